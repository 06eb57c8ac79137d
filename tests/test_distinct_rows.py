"""``simulators.common.arrays.distinct_rows`` (the PIM and systolic cycle batches' distinct simulations)
against ``np.unique(axis=0)``: the same first occurrences and inverse, in either column order."""

from __future__ import annotations

import numpy as np
import pytest

from simulators.common.arrays import distinct_rows


@pytest.mark.parametrize("shape,high", [((1, 3), 2), ((40, 1), 3), ((200, 4), 3), ((500, 6), 50), ((0, 3), 2)])
def test_distinct_rows_is_np_unique(shape: tuple[int, int], high: int) -> None:
    keys = np.random.default_rng(shape[0]).integers(0, high, shape)
    for last_major in (False, True):
        first, inverse = distinct_rows(keys, last_major)
        view = keys if last_major is False else keys[:, ::-1]    # np.unique sorts by the first column first
        uniq, index, inv = np.unique(view, axis=0, return_index=True, return_inverse=True)
        np.testing.assert_array_equal(first, index)
        np.testing.assert_array_equal(inverse, inv.reshape(-1))
        np.testing.assert_array_equal(keys[first][inverse], keys)
