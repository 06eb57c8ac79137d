"""numpy's float semantics for compiled kernels: the pairwise sum and maximum / minimum, to the bit."""

import numpy as np
import pytest

from simulators.common.kernel_math import maximum, minimum, pairwise_sum


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


def test_maximum_and_minimum_are_numpys() -> None:
    """Equal values (a tie of 0.0 and -0.0 may come back with either sign, as numpy's SIMD loops do)."""
    values = [0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan]
    for a in values:
        for b in values:
            for ours, theirs in ((maximum, np.maximum), (minimum, np.minimum)):
                got, want = ours(a, b), float(theirs(a, b))
                assert (np.isnan(got) and np.isnan(want)) or got == want
