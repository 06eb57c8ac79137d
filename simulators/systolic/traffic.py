"""Off-chip traffic of one GEMM on a systolic array with double-buffered SRAMs (vectorised).

SCALE-Sim semantics (memory/double_buffered_scratchpad_mem.py, read_buffer.py): each operand
is fetched from DRAM as its *prefetch matrix* — the im2col operand padded with null entries to
whole folds — in fold order, through a double buffer whose active half holds
``⌊KB·1024 / word_bytes⌋ / 2`` words. An operand whose prefetch matrix fits the active half
is fetched once; otherwise the buffer streams it circularly, so every pass over it re-fetches
it. Every ofmap word written by the array goes to DRAM once (partial sums are written per
row fold for ws and is, as in SCALE-Sim).

Prologue and epilogue (idealised controller, not SCALE-Sim's prefetch of the whole active half):
compute starts once the first fold's operand slabs have arrived, the rest streams behind it, and
only the last fold's outputs drain after compute; so neither grows with the SRAM sizes (a bigger
buffer never makes a layer slower; SCALE-Sim's own prefetch lives in :mod:`.scalesim_memory`).

Loop order over folds (``order``): 0 = column folds outer, row folds inner (SCALE-Sim);
1 = row folds outer. The operand indexed only by the inner loop's dimension is re-read once per
outer iteration unless it fits; the operand indexed by the outer dimension is re-read only when
one outer slice does not fit.

SRAM tiles (``tile``, a mapping choice; 1 = SCALE-Sim's streaming): the outer fold loop is split
into blocks of ``tile`` folds. Within a block the inner loop runs over the inner dimension and,
for each inner slice, over the block's folds, so one slice of the inner operand serves ``tile``
folds and is re-fetched once per block instead of once per outer fold. Tiles always fit the
SRAMs: ``tile`` is an upper bound, legalised to the largest tile whose resident slices fit the
active halves (:func:`tile_block`) — the block's slices of the outer operand when that is an
input (os's filter for column blocks) and one slice of the inner operand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulators.common.arrays import ceil_div, maximum, minimum, where
from simulators.systolic.folds import IS, OS, WS, Folds


@dataclass
class Traffic:
    """Words moved between DRAM and each SRAM for one GEMM."""

    ifmap_fetch: Any       # padded prefetch-matrix words of one pass
    filter_fetch: Any
    ifmap_reads: Any       # DRAM → ifmap SRAM words, all passes
    filter_reads: Any
    ofmap_writes: Any      # ofmap SRAM → DRAM words
    ifmap_prologue: Any    # words the first fold needs before compute starts (its operand slab)
    filter_prologue: Any
    ofmap_epilogue: Any    # words drained after compute ends (the last fold's outputs)
    tile_folds: Any = 1    # outer folds per SRAM tile used (:func:`tile_block`)


def active_words(kb: Any, word_bytes: Any) -> Any:
    """Words in the active half of a double-buffered SRAM of ``kb`` KB."""
    return (kb * 1024 // word_bytes) // 2


def tile_block(k: Any, f: Folds, rows: Any, cols: Any, df: Any, col_outer: Any, tile: Any,
               act_r: Any, act_f: Any) -> Any:
    """Outer folds per SRAM tile actually used: ``tile`` clipped to the outer fold count and to
    the largest tile whose resident slices fit the active halves — one slice of the inner
    operand (R·T words) and, for os, the filter's column slices (K·C words each) under column
    blocks or the row slices under row blocks. 1 (streaming) when even one slice does not fit.
    ``act_r``: active-half words of the row-fold operand X_r's buffer."""
    slab_r, slab_c = rows * f.t, k * cols            # X_r words per row fold, filter per column fold
    inner_fits = where(col_outer, slab_r <= act_r, (df != OS) | (slab_c <= act_f))
    # blocks of column folds are bounded by the filter buffer (os only), of row folds by X_r's
    by_buffer = where(col_outer, where(df == OS, act_f // maximum(slab_c, 1), f.col_folds),
                      act_r // maximum(slab_r, 1))
    block = minimum(minimum(tile, where(col_outer, f.col_folds, f.row_folds)), by_buffer)
    return where(inner_fits, maximum(block, 1), 1)


def traffic(m: Any, k: Any, n: Any, f: Folds, rows: Any, cols: Any, df: Any, order: Any,
            act_i: Any, act_f: Any, act_o: Any, tile: Any = 1) -> Traffic:
    """DRAM traffic of GEMM (m, k, n) split into folds ``f``; ``act_*`` = active-half words;
    ``tile`` = outer folds per SRAM tile (see the module docstring)."""
    pad_r = f.row_folds * rows          # S_R padded to whole folds
    pad_c = f.col_folds * cols
    # prefetch matrices (SCALE-Sim: ifmap pads S_R for os/ws and S_C (= M) for is;
    # filter pads S_C (= N) for os/ws and S_R (= K) for is)
    ifmap_fetch = where(df == IS, k * pad_c, pad_r * f.t)
    filter_fetch = where(df == IS, pad_r * n, k * pad_c)
    # which operand is indexed by the row folds only (X_r) / by the column folds only (X_c)
    xr_is_ifmap = (df == OS) | (df == WS)            # is: X_r is the filter (K × N)
    xc_is_filter = df == OS                          # ws/is: X_c is the output
    col_outer = order == 0
    ifmap_fits = ifmap_fetch <= act_i
    filter_fits = filter_fetch <= act_f
    xr_fits = where(xr_is_ifmap, ifmap_fits, filter_fits)
    act_r = where(xr_is_ifmap, act_i, act_f)
    block = tile_block(k, f, rows, cols, df, col_outer, tile, act_r, act_f)
    # column folds outer: X_r re-read per column block unless it fits whole;
    # X_c (filter, os) re-read per row fold unless one block of column slices (K × C each) fits
    # row folds outer: X_r re-read per column fold unless one block of row slices (R × T) fits;
    # X_c re-read per row block unless it fits whole
    xr_slice_fits = block * rows * f.t <= act_r
    xr_passes = where(col_outer, where(xr_fits, 1, ceil_div(f.col_folds, block)),
                      where(xr_slice_fits, 1, f.col_folds))
    xc_passes = where(col_outer, where(block * k * cols <= act_f, 1, f.row_folds),
                      where(filter_fits, 1, ceil_div(f.row_folds, block)))
    ifmap_passes = where(xr_is_ifmap, xr_passes, 1)
    filter_passes = where(xr_is_ifmap, where(xc_is_filter, xc_passes, 1), xr_passes)
    ofmap_writes = where(df == OS, m * n, f.row_folds * m * n)
    # the first fold needs one slab of each operand (X_r: one row fold's, the other: one column
    # fold's); the last fold's outputs drain after compute. Both are buffer-independent: a bigger
    # SRAM is not filled (or drained) serially, so it never adds prologue or epilogue cycles.
    ifmap_first = where(xr_is_ifmap, ifmap_fetch // f.row_folds, ifmap_fetch // f.col_folds)
    filter_first = where(xr_is_ifmap, filter_fetch // f.col_folds, filter_fetch // f.row_folds)
    return Traffic(
        ifmap_fetch, filter_fetch,
        ifmap_fetch * ifmap_passes, filter_fetch * filter_passes, ofmap_writes,
        ifmap_first, filter_first, ceil_div(ofmap_writes, f.folds), block,
    )
