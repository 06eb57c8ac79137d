"""The fold walk of :func:`.cycle.gemm_timing` for many GEMMs at once, compiled by numba.

For every GEMM (one entry of the 1-D integer arrays given) the compiled walk visits its folds in
execution order and computes the per-fold quantities of :mod:`.cycle` (operand stream needed,
arrival, ofmap back-pressure, lag, drain) with the same floating-point operations in the same
order, keeping only running maxima, so every field equals the single-GEMM walk's bit for bit and
memory is constant per GEMM; the kernels' ``py_func`` (plain Python) is the tests' reference.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulators.systolic.folds import OS, WS, folds, sram_counts
from simulators.systolic.traffic import traffic


def timings(m: np.ndarray, k: np.ndarray, n: np.ndarray, rows: np.ndarray, cols: np.ndarray, df: np.ndarray,
            order: np.ndarray, tile: np.ndarray, kb: tuple[np.ndarray, np.ndarray, np.ndarray], dram_bw: np.ndarray,
            word_bytes: int) -> dict[str, np.ndarray]:
    """:class:`.cycle.GemmTiming` fields (name → array, one entry per GEMM; in its field order, which
    :func:`.cycle_network.assemble` keeps in its rows) of :func:`.cycle.gemm_timing` on GEMMs ``(m, k, n)``
    (``order`` 0 = col, 1 = row; ``kb`` = ifmap, filter, ofmap SRAM KB; every read port at ``dram_bw``;
    all int64 arrays of one length)."""
    f = folds(m, k, n, rows, cols, df)
    s = sram_counts(m, k, n, f, rows, cols, df)
    words = [(b * 1024) // word_bytes for b in kb]
    tr = traffic(m, k, n, f, rows, cols, df, order, words[0] // 2, words[1] // 2, words[2] // 2, tile)
    nf = f.folds
    pro_i = np.ceil(tr.ifmap_prologue / dram_bw).astype(np.int64)
    pro_f = np.ceil(tr.filter_prologue / dram_bw).astype(np.int64)
    block = np.broadcast_to(tr.tile_folds, nf.shape).astype(np.int64)
    ints = [np.ascontiguousarray(x, dtype=np.int64) for x in (
        f.row_folds, f.col_folds, f.fold_cycles, order, block)]
    streams = [np.ascontiguousarray(x, dtype=np.int64) for x in (
        tr.ifmap_fetch, tr.filter_fetch, tr.ifmap_reads, tr.filter_reads, pro_i * dram_bw, pro_f * dram_bw, words[2],
        tr.ofmap_writes, dram_bw)]
    row_i = np.ascontiguousarray((df == OS) | (df == WS))
    stall, epilogue = _walk(*ints, row_i, *streams)  # type: ignore[call-arg]  # numba dispatcher
    me = f.mapping_efficiency(rows, cols)
    return {"compute_cycles": nf * f.fold_cycles, "stall_cycles": stall, "prologue_cycles": np.maximum(pro_i, pro_f),
            "epilogue_cycles": epilogue, "folds": nf, "mapping_efficiency": me,
            "compute_util": me * f.t / f.util_cycles, "sram_ifmap_reads": s.ifmap_reads,
            "sram_filter_reads": s.filter_reads, "sram_ofmap_writes": s.ofmap_writes,
            "dram_ifmap_reads": tr.ifmap_reads, "dram_filter_reads": tr.filter_reads,
            "dram_ofmap_writes": tr.ofmap_writes, "ifmap_prologue_cycles": pro_i, "filter_prologue_cycles": pro_f,
            "tile_folds_used": block}


@njit(cache=True)
def _walk(rf: np.ndarray, cf: np.ndarray, L: np.ndarray, order: np.ndarray, block: np.ndarray, row_i: np.ndarray,
          fetch_i: np.ndarray, fetch_f: np.ndarray, reads_i: np.ndarray, reads_f: np.ndarray, words_i: np.ndarray,
          words_f: np.ndarray, words_o: np.ndarray, w_o: np.ndarray,
          bw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:   # pragma: no cover - compiled
    """(stall, epilogue) cycles of every GEMM: its folds in execution order (blocks of ``block`` outer
    folds, then the inner folds, then the folds of the block: :func:`.cycle._fold_sequence`), each
    fold's arrival (:func:`.cycle._stream_need`, :func:`.cycle._arrival`), back-pressure, lag
    (running maximum) and drain (:func:`.cycle._drain_epilogue`). ``words_*``: read ports' prologue
    words, then the ofmap buffer's words."""
    n_gemms = len(rf)
    stall = np.zeros(n_gemms, np.int64)
    epilogue = np.zeros(n_gemms, np.int64)
    for t in range(n_gemms):
        col_outer = order[t] == 0
        outer_n, inner_n = (cf[t], rf[t]) if col_outer else (rf[t], cf[t])
        nf = rf[t] * cf[t]
        out_per_fold = w_o[t] / nf
        drain = out_per_fold / bw[t]
        lag = 0.0
        last = 0.0
        j = 0
        for b0 in range(0, outer_n, block[t]):
            for inner in range(inner_n):
                for outer in range(b0, min(b0 + block[t], outer_n)):
                    fr, fc = (inner, outer) if col_outer else (outer, inner)
                    ready = max(_arrival(fetch_i[t], reads_i[t], row_i[t], col_outer, rf[t], cf[t], fr, fc,
                                         block[t], words_i[t], bw[t]),
                                _arrival(fetch_f[t], reads_f[t], not row_i[t], col_outer, rf[t], cf[t], fr, fc,
                                         block[t], words_f[t], bw[t]))
                    written = (j + 1) * out_per_fold
                    ready = max(ready, np.ceil(max(written - words_o[t], 0.0) / bw[t]))
                    ideal_end = (j + 1) * L[t]
                    delay = ready - ideal_end
                    lag = delay if j == 0 else max(lag, delay)
                    end = ideal_end + max(lag, 0.0) + (nf - j) * drain
                    last = end if j == 0 else max(last, end)
                    j += 1
        stall[t] = int(max(lag, 0.0))
        epilogue[t] = int(max(np.ceil(last - (nf * L[t] + stall[t]) - 1e-9), 0.0))
    return stall, epilogue


@njit(cache=True)
def _arrival(fetch: int, reads: int, row_operand: bool, col_outer: bool, rf: int, cf: int, fr: int, fc: int,
             block: int, words: int, bw: int) -> float:   # pragma: no cover - compiled
    """Cycle at which fold (fr, fc)'s share of one operand's fetch stream has arrived: the operand of
    the inner loop is re-read per block of outer folds, the outer one per fold (when it streams)."""
    many = max(reads // max(fetch, 1), 1) > 1
    if row_operand:                      # indexed by the row folds
        own, other, slab, stride = fr, fc, fetch / rf, cf
    else:
        own, other, slab, stride = fc, fr, fetch / cf, rf
    if row_operand == col_outer:
        need = ((other // block) * fetch if many else 0) + (own + 1) * slab
    elif many:
        need = (own * stride + other + 1) * slab
    else:
        need = (own + 1) * slab
    return np.ceil(max(need - words, 0.0) / bw)
