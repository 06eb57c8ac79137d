"""The compiled pairwise sum that kernels use to reproduce numpy's sums bit for bit."""

import numpy as np
import pytest

from simulators.common.pairwise import pairwise_sum


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 15, 16, 17, 127, 128, 129, 255, 256, 257, 1000, 1031, 5000])
def test_pairwise_sum_is_numpys_sum(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.lognormal(0.0, 6.0, n + 9) * rng.choice([-1.0, 1.0], n + 9)
    for s in (0, 3, 9):
        if s + n <= len(x):
            assert pairwise_sum(x, s, n) == x[s:s + n].copy().sum()


def test_pairwise_sum_of_a_row_of_a_matrix() -> None:
    a = np.random.default_rng(1).normal(size=(3, 300))
    assert [pairwise_sum(a[i], 5, 290) for i in range(3)] == a[:, 5:295].copy().sum(axis=1).tolist()


def test_python_form_matches() -> None:
    x = np.random.default_rng(2).normal(size=700)
    assert pairwise_sum.py_func(x, 1, 650) == pairwise_sum(x, 1, 650)
