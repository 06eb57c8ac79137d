"""numpy's float semantics in compiled (numba) kernels, so that a kernel gives its array path's numbers
to the bit: :func:`maximum` / :func:`minimum` of two floats as ``np.maximum`` / ``np.minimum`` (a NaN
wins), and :func:`pairwise_sum`, numpy's ``sum``.

A compiled kernel that must give a numpy ``sum`` (or ``np.add.reduceat``) to the bit calls
:func:`pairwise_sum`: numpy adds a contiguous run of doubles by ``pairwise_sum``
(``numpy/_core/src/umath/loops_utils.h.src``): fewer than 8 terms one after another from -0.0; up to
``PW_BLOCKSIZE`` = 128 terms in eight interleaved partial sums combined as a tree, then the rest in
order; a longer run as the sum of its two halves, split at a multiple of 8.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

PW_BLOCK = 128                     # numpy's PW_BLOCKSIZE (numpy/_core/src/umath/loops_utils.h.src)


@njit(cache=True, inline="always")
def maximum(a: float, b: float) -> float:  # pragma: no cover - compiled
    """``np.maximum`` of two floats: ``a`` where ``a >= b`` or ``a`` is NaN, else ``b`` (numpy's scalar rule;
    a tie of 0.0 and -0.0 gives ``a``)."""
    return a if a >= b or math.isnan(a) else b


@njit(cache=True, inline="always")
def minimum(a: float, b: float) -> float:  # pragma: no cover - compiled
    """``np.minimum`` of two floats: ``a`` where ``a <= b`` or ``a`` is NaN, else ``b`` (numpy's scalar rule;
    a tie of 0.0 and -0.0 gives ``a``)."""
    return a if a <= b or math.isnan(a) else b


@njit(cache=True)
def pairwise_sum(x: np.ndarray, s: int, n: int) -> float:  # pragma: no cover - compiled
    """numpy's ``pairwise_sum`` of ``x[s:s + n]`` (``x`` one-dimensional). numpy recurses; this walks
    the same tree with an explicit stack (a cached recursive numba function crashed when loaded from
    the cache by a caller in another function)."""
    if n <= PW_BLOCK:
        return _block(x, s, n)
    starts, sizes, state = np.empty(64, np.int64), np.empty(64, np.int64), np.zeros(64, np.int64)
    values = np.empty(64)
    top, n_values = 0, 0
    starts[0], sizes[0] = s, n
    while top >= 0:
        a, m = starts[top], sizes[top]
        if m <= PW_BLOCK or state[top] == 2:
            if m <= PW_BLOCK:
                values[n_values] = _block(x, a, m)
                n_values += 1
            else:                         # both halves done: left + right
                n_values -= 1
                values[n_values - 1] = values[n_values - 1] + values[n_values]
            top -= 1
            continue
        half = m // 2
        half -= half % 8
        state[top] += 1
        child_start, child_size = (a, half) if state[top] == 1 else (a + half, m - half)
        top += 1
        starts[top], sizes[top], state[top] = child_start, child_size, 0
    return values[0]


@njit(cache=True, inline="always")
def _block(x: np.ndarray, s: int, n: int) -> float:  # pragma: no cover - compiled
    """numpy's ``pairwise_sum`` of ``n <=`` :data:`PW_BLOCK` terms."""
    if n < 8:
        res = -0.0
        for i in range(s, s + n):
            res += x[i]
        return res
    r0, r1, r2, r3, r4, r5, r6, r7 = x[s], x[s + 1], x[s + 2], x[s + 3], x[s + 4], x[s + 5], x[s + 6], x[s + 7]
    i = 8
    while i < n - n % 8:       # the eight partial sums in locals (an array cost an allocation per call)
        j = s + i
        r0, r1, r2, r3 = r0 + x[j], r1 + x[j + 1], r2 + x[j + 2], r3 + x[j + 3]
        r4, r5, r6, r7 = r4 + x[j + 4], r5 + x[j + 5], r6 + x[j + 6], r7 + x[j + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += x[s + i]
        i += 1
    return res
