"""SCALE-Sim's conv-mode ifmap read buffer, walked demand by demand in compiled code (numba).

:func:`.scalesim_memory._read_slides_addressed` prepares the geometry; this module holds the two
kernels. SCALE-Sim checks each demanded address against the window's sets (Python sets, so any
occurrence of the pixel in the window hits), and on a miss slides the window forward until it
holds one. Per demand the kernel does O(1) work: the demanded word's own fetch position is in the
window (nearly always), else the pixel's few occurrences (at most R·S: one per window that
covers the pixel; a list per pixel, linked backwards from its last) are scanned. Fetch positions come from the fetch order's closed form, once
per anti-diagonal (consecutive words of one block on one diagonal are consecutive in the fetch
order), so no im2col-sized array of demands is built.

Geometry tuples (all int64):

* ``order = (rows, height, width, last_width, diagonal)``: :class:`.scalesim_memory._FetchOrder`;
* ``conv = (h, w, c, r, s, stride, q, m_from_column)``: the ifmap, filter, stride, ofmap width,
  and whether a stacked row's column indexes im2col rows (os, is) or im2col columns (ws).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit
from numba.extending import register_jitable

#: demand kinds of one fold (columns of the ``demands`` table: block, kind, arg0, arg1, arg2)
SWEEP, ROWS = 0, 1


@register_jitable
def _ramp(u: Any, h: int) -> Any:
    """Σ_{v=1}^{u} min(v, h) (0 for u ≤ 0)."""
    u = np.maximum(u, 0)
    low = np.minimum(u, h)
    return low * (low + 1) // 2 + (u - low) * h


@register_jitable
def fetch_rank(r: Any, c: Any, order: tuple[int, ...]) -> Any:
    """Index of word (r, c) among the valid words in fetch order, in closed form (numpy arrays or,
    inside the compiled kernels, integers). Anti-diagonal order: diagonals d = r + c in turn, each
    from its bottom row up; the padding words (rows ≥ rows − h, columns wl..w−1) before (r, c) are
    those on earlier diagonals, Σ_{pc=wl}^{w−1} clip(x − pc, 0, h) with x = d − (rows − h) (a
    difference of two ramp sums: O(1) memory per word), and those on the same diagonal below."""
    rows, h, w, wl, diagonal = order
    if not diagonal:
        return r * w + c - np.where(r >= rows - h, (r - (rows - h)) * (w - wl), 0)
    d = r + c
    before = np.where(d <= rows, d * (d + 1) // 2, rows * (rows + 1) // 2 + (d - rows) * rows)
    cut = np.maximum(d - w, 0)
    pos = before - cut * (cut + 1) // 2 + np.minimum(d, rows - 1) - r
    if wl == w:
        return pos
    x = d - (rows - h)
    earlier = _ramp(x - wl, h) - _ramp(x - w, h)
    same = np.maximum(np.minimum(rows - 1, d - wl) - np.maximum(np.maximum(rows - h, r + 1), d - w + 1) + 1, 0)
    return pos - earlier - same


def conv_tables(conv: tuple[int, ...], p: int) -> tuple[np.ndarray, ...]:
    """Per im2col row m (``p`` ofmap rows of q): the window's top-left (y, x) and its address; per
    im2col column k: the tap's (y, x) offset and its address offset — so that an entry's address
    is a sum, not five divisions."""
    _, w, c, r, s, stride, q, _ = conv
    oy, ox = np.divmod(np.arange(p * q, dtype=np.int64), q)
    fr, rest = np.divmod(np.arange(r * s * c, dtype=np.int64), s * c)
    fs, ch = np.divmod(rest, c)
    my, mx = oy * stride, ox * stride
    return my, mx, (my * w + mx) * c, fr, fs, (fr * w + fs) * c + ch


@njit(cache=True)
def build_index(order: tuple[int, ...], conv: tuple[int, ...], tables: tuple[np.ndarray, ...], compact: np.ndarray,
                address: np.ndarray, before: np.ndarray, last: np.ndarray) -> int:
    """Fill ``compact`` (fetch position → index among the words with an address, −1 for none) and,
    per such index, its address and the previous index holding the same address (−1 for none);
    ``last`` (one slot per ifmap word, −1 on entry) ends holding each pixel's last index: the
    pixel's occurrences are a list linked backwards from there. Returns the words with an
    address; ``tables``: :func:`conv_tables`."""
    rows, height, width, wl, diagonal = order
    ih, iw, m_from_column = conv[0], conv[1], conv[7]
    my, mx, m_addr, ky, kx, k_addr = tables
    n = 0
    p = 0
    # the fetch order: anti-diagonals, each from its bottom row up, or rows left to right
    for d in range(rows + width - 1 if diagonal else rows):
        r_hi = min(d, rows - 1) if diagonal else d
        r_lo = max(0, d - width + 1) if diagonal else d
        block = r_hi // height
        within = r_hi - block * height
        for r in range(r_hi, r_lo - 1, -1):
            for col in range(d - r if diagonal else 0, d - r + 1 if diagonal else (wl if r >= rows - height else width)):
                if r >= rows - height and col >= wl:
                    continue                               # padding of the last block
                other = block * width + col
                m, k = (other, within) if m_from_column else (within, other)
                if my[m] + ky[k] < ih and mx[m] + kx[k] < iw:
                    a = m_addr[m] + k_addr[k]
                    compact[p] = n
                    address[n] = a
                    before[n] = last[a]
                    last[a] = n
                    n += 1
                else:
                    compact[p] = -1
                p += 1
            within -= 1
            if within < 0:
                block, within = block - 1, height - 1
    return n


@njit(cache=True)
def _occurrence_in_window(y: int, before: np.ndarray, lo: int, hi: int, wrap: int) -> bool:
    """Whether an index of the list linked backwards from ``y`` lies in [lo, hi) ∪ [0, wrap)."""
    while y >= 0:
        if (lo <= y < hi) or y < wrap:
            return True
        y = before[y]
    return False


@njit(cache=True)
def _nearest_ahead(y: int, before: np.ndarray, eps: int, start: int, n_sets: int) -> int:
    """Sets from the window's start to the nearest set ahead (circularly) holding an index of the
    list linked backwards from ``y``."""
    gap = n_sets
    while y >= 0:
        gap = min(gap, (y // eps - start) % n_sets)
        y = before[y]
    return gap


@njit(cache=True)
def walk(order: tuple[int, ...], demands: np.ndarray, fold_rows: int, window: tuple[int, ...],
         compact: np.ndarray, address: np.ndarray, before: np.ndarray, last: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """Every fold's demands in SCALE-Sim's checking order (demand rows ascending, columns
    ascending); ``window = (eps, sets in the window, sets per slide, sets, words with an
    address)``. Returns the demand rows of the misses and the slides each triggers."""
    rows, h, w, wl, _ = order
    eps, sets_in, step, n_sets, valid = window
    cap = 1024
    ev_rows = np.empty(cap, np.int64)
    ev_k = np.empty(cap, np.int64)
    n_ev = 0
    start = 0
    lo, hi = 0, min(sets_in * eps, valid)
    wrap = min((sets_in - n_sets) * eps, valid) if sets_in > n_sets else 0
    for f in range(demands.shape[0]):
        b, kind, a0, a1, a2 = demands[f, 0], demands[f, 1], demands[f, 2], demands[f, 3], demands[f, 4]
        width = wl if b * h >= rows - h else w
        base = f * fold_rows
        # a sweep: element (t, c) demanded at row a0 + t + c, diagonal by diagonal; rows: rows
        # a1 − 1 down to a0, each left to right
        n_diag = h + width - 1 if kind == SWEEP else a1 - a0
        for d in range(n_diag):
            if kind == SWEEP:
                c0, c1 = max(0, d - h + 1), min(width, d + 1)
                p = fetch_rank(b * h + d - c0, c0, order)
                demand_row = base + a0 + d
            else:
                c0, c1 = 0, width
                r_local = a1 - 1 - d
                p = fetch_rank(b * h + r_local, 0, order)
                demand_row = base + a2 - 1 - (r_local - a0)
            for i in range(p, p + c1 - c0):
                x = compact[i]
                if x < 0 or (lo <= x < hi) or x < wrap:
                    continue
                head = last[address[x]]
                if _occurrence_in_window(head, before, lo, hi, wrap):
                    continue
                gap = _nearest_ahead(head, before, eps, start, n_sets)
                k = -(-(gap - sets_in + 1) // step)
                start = (start + k * step) % n_sets
                lo, hi = start * eps, min((start + sets_in) * eps, valid)
                wrap = min((start + sets_in - n_sets) * eps, valid) if start + sets_in > n_sets else 0
                if n_ev == cap:
                    cap *= 2
                    ev_rows = np.concatenate((ev_rows, np.empty(cap - n_ev, np.int64)))
                    ev_k = np.concatenate((ev_k, np.empty(cap - n_ev, np.int64)))
                ev_rows[n_ev] = demand_row
                ev_k[n_ev] = k
                n_ev += 1
    return ev_rows[:n_ev], ev_k[:n_ev]
