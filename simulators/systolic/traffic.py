"""Off-chip traffic of one GEMM on a systolic array with double-buffered SRAMs (vectorised).

SCALE-Sim semantics (memory/double_buffered_scratchpad_mem.py, read_buffer.py): each operand
is fetched from DRAM as its *prefetch matrix* — the im2col operand padded with null entries to
whole folds — in fold order, through a double buffer whose active half holds
``⌊KB·1024 / word_bytes⌋ / 2`` words. An operand whose prefetch matrix fits the active half
is fetched once; otherwise the buffer streams it circularly, so every pass over it re-fetches
it. Every ofmap word written by the array goes to DRAM once (partial sums are written per
row fold for ws and is, as in SCALE-Sim).

Loop order over folds (``order``): 0 = column folds outer, row folds inner (SCALE-Sim);
1 = row folds outer. The operand indexed only by the inner loop's dimension is re-read once per
outer iteration unless it fits; the operand indexed by the outer dimension is re-read only when
one outer slice does not fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulators.common.arrays import maximum, minimum, where
from simulators.systolic.folds import IS, OS, WS, Folds


@dataclass
class Traffic:
    """Words moved between DRAM and each SRAM for one GEMM."""

    ifmap_fetch: Any       # padded prefetch-matrix words of one pass
    filter_fetch: Any
    ifmap_reads: Any       # DRAM → ifmap SRAM words, all passes
    filter_reads: Any
    ofmap_writes: Any      # ofmap SRAM → DRAM words
    ifmap_prologue: Any    # words fetched before compute starts (fills the active half)
    filter_prologue: Any
    ofmap_epilogue: Any    # words drained after compute ends


def active_words(kb: Any, word_bytes: Any) -> Any:
    """Words in the active half of a double-buffered SRAM of ``kb`` KB."""
    return (kb * 1024 // word_bytes) // 2


def traffic(m: Any, k: Any, n: Any, f: Folds, rows: Any, cols: Any, df: Any, order: Any,
            act_i: Any, act_f: Any, act_o: Any) -> Traffic:
    """DRAM traffic of GEMM (m, k, n) split into folds ``f``; ``act_*`` = active-half words."""
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
    # column folds outer: X_r re-read per column fold unless it fits whole;
    # X_c (filter, os) re-read per row fold unless one column slice (K × C) fits
    xr_passes_colouter = f.col_folds
    # row folds outer: X_r re-read per column fold unless one row slice (R × T) fits;
    # X_c re-read per row fold unless it fits whole
    xr_slice_fits = rows * f.t <= where(xr_is_ifmap, act_i, act_f)
    ifmap_passes = where(xr_is_ifmap,
                         where(col_outer, where(ifmap_fits, 1, xr_passes_colouter),
                               where(xr_slice_fits, 1, f.col_folds)),
                         1)
    filter_passes = where(xr_is_ifmap,
                          where(xc_is_filter,
                                where(col_outer, where(k * cols <= act_f, 1, f.row_folds),
                                      where(filter_fits, 1, f.row_folds)),
                                1),
                          where(col_outer, where(filter_fits, 1, f.col_folds),
                                where(xr_slice_fits, 1, f.col_folds)))
    ofmap_writes = where(df == OS, m * n, f.row_folds * m * n)
    return Traffic(
        ifmap_fetch, filter_fetch,
        ifmap_fetch * ifmap_passes, filter_fetch * filter_passes, ofmap_writes,
        minimum(ifmap_fetch, act_i), minimum(filter_fetch, act_f),
        minimum(ofmap_writes, maximum(act_o, 1)),
    )
