"""Fold arithmetic of an R×C systolic array, in SCALE-Sim v3's conventions (vectorised).

A GEMM ``A[M×K]·B[K×N]`` (M = ofmap pixels, K = window R·S·C, N = filters) maps to the array
by dataflow (Samajdar et al., "A systematic methodology for characterizing scalability of DNN
accelerators using SCALE-Sim", ISPASS 2020, Table I):

========  =====================  =======================  ======================
dataflow  spatial rows  S_R      spatial cols  S_C        temporal  T
========  =====================  =======================  ======================
os        M  (ofmap pixels)      N  (filters)             K  (reduction)
ws        K  (reduction)         N  (filters)             M  (ofmap pixels)
is        K  (reduction)         M  (ofmap pixels)        N  (filters)
========  =====================  =======================  ======================

The array runs ``⌈S_R/R⌉ · ⌈S_C/C⌉`` folds. One fold streams T operand vectors and pays the
systolic skew on both edges (fill + drain): ``T + R + C − 2`` cycles for os, plus R cycles to
preload the stationary operand for ws and is (``T + 2R + C − 2``). These are exactly the rows
of SCALE-Sim's per-fold demand matrices (compute/systolic_compute_{os,ws,is}.py).

All functions take scalars, numpy arrays or torch tensors (broadcasting); ``df`` is the
dataflow code 0 = os, 1 = ws, 2 = is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulators.common.arrays import ceil_div, where
from simulators.systolic.hardware import DATAFLOWS

OS, WS, IS = 0, 1, 2


def df_code(name: str) -> int:
    return DATAFLOWS.index(name)


def spatial_dims(m: Any, k: Any, n: Any, df: Any) -> tuple[Any, Any, Any]:
    """(S_R, S_C, T) of GEMM (m, k, n) under dataflow code(s) ``df``."""
    sr = where(df == OS, m, k)
    sc = where(df == IS, m, n)
    t = where(df == OS, k, where(df == WS, m, n))
    return sr, sc, t


@dataclass
class Folds:
    """Fold counts and per-fold timing of one GEMM on one (or a batch of) arrays."""

    sr: Any
    sc: Any
    t: Any
    row_folds: Any
    col_folds: Any
    fold_cycles: Any       # cycles of one fold (demand-matrix rows)
    util_cycles: Any       # SCALE-Sim's per-fold cycle count used in "Compute Util %"

    @property
    def folds(self) -> Any:
        return self.row_folds * self.col_folds

    @property
    def compute_cycles(self) -> Any:
        """Cycles with no memory stall: folds × fold cycles (SCALE-Sim demand-matrix rows)."""
        return self.folds * self.fold_cycles

    def mapping_efficiency(self, rows: Any, cols: Any) -> Any:
        """Mean over folds of the fraction of PEs holding a useful operand (0..1)."""
        return (self.sr * self.sc) / (self.folds * rows * cols)

    def compute_util(self, rows: Any, cols: Any) -> Any:
        """SCALE-Sim's mean per-fold compute utilisation (0..1)."""
        return self.mapping_efficiency(rows, cols) * self.t / self.util_cycles


def folds(m: Any, k: Any, n: Any, rows: Any, cols: Any, df: Any) -> Folds:
    """Fold decomposition of GEMM (m, k, n) on ``rows × cols`` arrays with dataflow ``df``."""
    sr, sc, t = spatial_dims(m, k, n, df)
    row_f = ceil_div(sr, rows)
    col_f = ceil_div(sc, cols)
    stationary = where(df == OS, 0, 1)
    fold_cycles = t + rows + cols - 2 + stationary * rows
    util_cycles = fold_cycles + stationary * (cols - 1)
    return Folds(sr, sc, t, row_f, col_f, fold_cycles, util_cycles)


@dataclass
class SramCounts:
    """SRAM accesses of one GEMM as SCALE-Sim counts them (words)."""

    ifmap_reads: Any
    filter_reads: Any
    ofmap_writes: Any


def sram_counts(m: Any, k: Any, n: Any, f: Folds, rows: Any, cols: Any, df: Any) -> SramCounts:
    """Words read from the ifmap/filter SRAMs and written to the ofmap SRAM by the array.

    Each fold reads its slice of the streamed and stationary operands once; an operand whose
    slice is indexed by the row-fold dimension only is re-read once per column fold, and vice
    versa. For os SCALE-Sim also counts R + C extra ofmap writes per fold (the drain of the
    skewed output, systolic_compute_os.py).
    """
    a, b, o = m * k, k * n, m * n
    ifmap = where(df == IS, a, f.col_folds * a)
    filt = where(df == OS, f.row_folds * b, where(df == WS, b, f.col_folds * b))
    ofmap = where(df == OS, o + f.folds * (rows + cols), f.row_folds * o)
    return SramCounts(ifmap, filt, ofmap)
