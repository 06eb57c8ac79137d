"""The fold walk of :func:`.cycle.gemm_timing` for many GEMMs at once (numpy, no Python loop per GEMM).

Every GEMM (one entry of the 1-D integer arrays given) contributes its folds, in execution order,
to one flat fold axis; the per-fold quantities of :mod:`.cycle` (operand stream needed, arrival,
ofmap back-pressure, lag, drain) are computed on that axis with the same floating-point operations
in the same order, and reduced per GEMM with segmented maxima, so every field equals the
single-GEMM walk's bit for bit. GEMMs are walked in chunks of about :data:`CHUNK_FOLDS` folds, so
memory is bounded by the largest single GEMM (which the single walk allocates as well).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import numpy as np

from simulators.systolic.cycle import GemmTiming
from simulators.systolic.folds import OS, WS, folds, sram_counts
from simulators.systolic.traffic import traffic

#: folds walked per chunk (~20 float64 arrays of this length live at once: ~20 MB)
CHUNK_FOLDS = 1 << 17
#: :class:`.cycle.GemmTiming`'s fields, the keys of :func:`timings`' result
FIELDS = tuple(f.name for f in fields(GemmTiming))


def timings(m: np.ndarray, k: np.ndarray, n: np.ndarray, rows: np.ndarray, cols: np.ndarray, df: np.ndarray,
            order: np.ndarray, tile: np.ndarray, kb: tuple[np.ndarray, np.ndarray, np.ndarray], dram_bw: np.ndarray,
            word_bytes: int) -> dict[str, np.ndarray]:
    """:class:`.cycle.GemmTiming` fields (name → array, one entry per GEMM) of :func:`.cycle.gemm_timing`
    on GEMMs ``(m, k, n)`` (``order`` 0 = col, 1 = row; ``kb`` = ifmap, filter, ofmap SRAM KB; every
    read port at ``dram_bw``; all int64 arrays of one length)."""
    f = folds(m, k, n, rows, cols, df)
    s = sram_counts(m, k, n, f, rows, cols, df)
    words = [(b * 1024) // word_bytes for b in kb]
    tr = traffic(m, k, n, f, rows, cols, df, order, words[0] // 2, words[1] // 2, words[2] // 2, tile)
    nf = f.folds
    pro_i = np.ceil(tr.ifmap_prologue / dram_bw).astype(np.int64)
    pro_f = np.ceil(tr.filter_prologue / dram_bw).astype(np.int64)
    walk = {"rf": f.row_folds, "cf": f.col_folds, "nf": nf, "L": f.fold_cycles, "order": order,
            "block": np.broadcast_to(tr.tile_folds, nf.shape), "row_i": (df == OS) | (df == WS),
            "fetch_i": tr.ifmap_fetch, "fetch_f": tr.filter_fetch, "reads_i": tr.ifmap_reads,
            "reads_f": tr.filter_reads, "words_i": pro_i * dram_bw, "words_f": pro_f * dram_bw,
            "words_o": words[2], "w_o": tr.ofmap_writes, "bw": dram_bw}
    stall, epilogue = np.zeros_like(nf), np.zeros_like(nf)
    chunk = (np.cumsum(nf) - nf) // CHUNK_FOLDS
    for c in np.unique(chunk):
        sel = np.flatnonzero(chunk == c)
        stall[sel], epilogue[sel] = _walk({key: v[sel] for key, v in walk.items()})
    me = f.mapping_efficiency(rows, cols)
    return {"compute_cycles": nf * f.fold_cycles, "stall_cycles": stall, "prologue_cycles": np.maximum(pro_i, pro_f),
            "epilogue_cycles": epilogue, "folds": nf, "mapping_efficiency": me,
            "compute_util": me * f.t / f.util_cycles, "sram_ifmap_reads": s.ifmap_reads,
            "sram_filter_reads": s.filter_reads, "sram_ofmap_writes": s.ofmap_writes,
            "dram_ifmap_reads": tr.ifmap_reads, "dram_filter_reads": tr.filter_reads,
            "dram_ofmap_writes": tr.ofmap_writes, "ifmap_prologue_cycles": pro_i, "filter_prologue_cycles": pro_f,
            "tile_folds_used": np.broadcast_to(tr.tile_folds, nf.shape)}


def _walk(g: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(stall, epilogue) cycles of the GEMMs of one chunk (``g``: per-GEMM arrays, see :func:`timings`)."""
    nf = g["nf"]
    starts = np.cumsum(nf) - nf
    seg = np.repeat(np.arange(len(nf)), nf)
    j = np.arange(int(nf.sum()), dtype=np.int64) - starts[seg]
    fr, fc = _fold_sequence(j, seg, g)
    col_outer = (g["order"] == 0)[seg]
    ready = np.maximum(_arrival(j, seg, fr, fc, col_outer, g, "i"), _arrival(j, seg, fr, fc, col_outer, g, "f"))
    out_per_fold = g["w_o"] / nf
    written = (j + 1) * out_per_fold[seg]
    ready = np.maximum(ready, np.ceil(np.maximum(written - g["words_o"][seg], 0) / g["bw"][seg]))
    ideal_end = (j + 1) * g["L"][seg]
    delay = ready - ideal_end
    lag = _segmented_cummax(delay, seg)
    stall = np.maximum(np.maximum.reduceat(delay, starts), 0).astype(np.int64)
    drain = (out_per_fold / g["bw"])[seg]
    last = np.maximum.reduceat(ideal_end + np.maximum(lag, 0) + (nf[seg] - j) * drain, starts)
    epilogue = np.maximum(np.ceil(last - (nf * g["L"] + stall) - 1e-9), 0).astype(np.int64)
    return stall, epilogue


def _fold_sequence(j: np.ndarray, seg: np.ndarray, g: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(row fold, column fold) of the ``j``-th fold of each GEMM in execution order: blocks of
    ``block`` outer folds, then the inner folds, then the folds of the block (:func:`.cycle._fold_sequence`
    in closed form; only the last block can be narrower)."""
    col_outer = g["order"] == 0
    outer_n = np.where(col_outer, g["cf"], g["rf"])[seg]
    inner_n = np.where(col_outer, g["rf"], g["cf"])[seg]
    block = g["block"][seg]
    per_block = block * inner_n
    b = j // per_block
    q = j - b * per_block
    width = np.minimum(block, outer_n - b * block)
    inner, outer = q // width, b * block + q % width
    c = col_outer[seg]
    return np.where(c, inner, outer), np.where(c, outer, inner)


def _arrival(j: np.ndarray, seg: np.ndarray, fr: np.ndarray, fc: np.ndarray, col_outer: np.ndarray,
             g: dict[str, Any], buf: str) -> np.ndarray:
    """Cycle at which each fold's share of ``buf``'s (``i``: ifmap, ``f``: filter) fetch stream has
    arrived (:func:`.cycle._stream_need` then :func:`.cycle._arrival`, per fold)."""
    fetch = g[f"fetch_{buf}"]
    row_operand = g["row_i"] if buf == "i" else ~g["row_i"]     # indexed by the row folds
    many = (np.maximum(g[f"reads_{buf}"] // np.maximum(fetch, 1), 1) > 1)[seg]
    slab = (fetch / np.where(row_operand, g["rf"], g["cf"]))[seg]
    r = row_operand[seg]
    own, other = np.where(r, fr, fc), np.where(r, fc, fr)
    # the operand of the inner loop is re-read per block of outer folds; the outer one per fold
    by_block = r == col_outer
    blocked = np.where(many, (other // g["block"][seg]) * fetch[seg], 0) + (own + 1) * slab
    linear = own * np.where(r, g["cf"][seg], g["rf"][seg]) + other
    need = np.where(by_block, blocked, np.where(many, (linear + 1) * slab, (own + 1) * slab))
    bw = g["bw"][seg]
    return np.ceil(np.maximum(need - g[f"words_{buf}"][seg], 0) / bw)


def _segmented_cummax(x: np.ndarray, seg: np.ndarray) -> np.ndarray:
    """Running maximum of integer-valued ``x`` restarting at each segment (``seg`` sorted): one
    accumulate over values lifted by a per-segment offset, exact in int64 (x < 2⁵³)."""
    xi = x.astype(np.int64)
    lo = int(xi.min())
    span = int(xi.max()) - lo + 1
    if span * (int(seg[-1]) + 1) >= 1 << 62:       # offsets would overflow: one segment at a time
        bounds = np.flatnonzero(np.diff(seg)) + 1
        return np.concatenate([np.maximum.accumulate(p) for p in np.split(x, bounds)])
    lift = seg * span
    return (np.maximum.accumulate(xi - lo + lift) - lift + lo).astype(np.float64)

