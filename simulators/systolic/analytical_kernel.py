"""The analytical systolic network model (:func:`.network.evaluate`) as one compiled CPU kernel (numba).

:mod:`.network` writes the model once over arrays (numpy or torch: the GPU and the differentiable path
of gradient search), which costs a few hundred small array operations per call whatever the batch.
This kernel computes the same numbers in one compiled loop over designs × fold orders × GEMMs, from
plain int64 / float64 arrays, with the floating-point operations of the array path in the same order:
each GEMM's fields as :func:`.analytical.gemm_cost` (integer fold arithmetic of :mod:`.folds` and
:mod:`.traffic`, then its float conversions and energy sum), GEMMs into layers as ``np.add.reduceat``
(the first GEMM plus numpy's pairwise sum of the rest, :func:`~simulators.common.kernel_math.pairwise_sum`), the fold order per layer, layers
into the network left to right (:func:`simulators.common.arrays.sequential_sum`), then
:func:`.analytical.summarize`. ``tests/test_systolic_kernel.py`` holds the two paths to bit equality.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit, types

from simulators.common.kernel_math import pairwise_sum

#: rows of the ``hw`` input (the hardware columns, :data:`.network.HW_NUMERIC`)
HW_ROWS = ("rows", "cols", "ifmap_kb", "filter_kb", "ofmap_kb", "dram_bw", "clock_mhz")
#: the metrics, in :func:`.analytical.summarize`'s order (the rows of the kernel's first output)
METRICS = ("latency_s", "cycles", "compute_cycles", "stall_cycles", "energy_j", "area_mm2", "peak_ops_per_s",
           "throughput_ops_per_s", "throughput_inf_per_s", "utilization", "mapping_efficiency", "dram_bytes",
           "sram_bytes")
#: packed per-layer fields (:data:`.network._PACKED`'s order)
N_FIELDS = 12
_OS, _WS, _IS = 0, 1, 2            # dataflow codes (:mod:`.folds`)


def network(hw: np.ndarray, e_sram: np.ndarray, area: np.ndarray, gemms: np.ndarray, starts: np.ndarray,
            df: np.ndarray, fold_order: np.ndarray, tile: np.ndarray, word_bytes: int, mac_reg_pj: float,
            dram_pj: float, macs_total: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(metrics ``(METRICS, designs)``, packed per-layer fields ``(12, designs, layers)``, tile folds used and
    row-order flags ``(designs, layers)``) of every design.

    ``hw`` ``(HW_ROWS, designs)`` int64; ``e_sram`` ``(3, designs)`` pJ per word of the ifmap, filter and
    ofmap SRAMs (:func:`.analytical.prepare`); ``area`` ``(designs,)`` mm²; ``gemms`` ``(5, GEMMs)`` int64:
    m, k, n, repeat, layer index; ``starts`` each layer's first GEMM; ``df`` / ``fold_order`` (codes into
    ``DATAFLOWS`` / ``FOLD_ORDERS``) and ``tile`` int64 ``(designs or 1, layers or 1)``; ``mac_reg_pj``: MAC
    and register energy per MAC, ``dram_pj``: DRAM energy per byte (pJ); ``macs_total``: the workload's MACs."""
    return _network(hw, e_sram, area, gemms, starts, df, fold_order, tile, word_bytes, mac_reg_pj, dram_pj,
                    macs_total)


#: the types of :func:`_network_one`'s arguments, in order: the hardware ints rows, cols, ifmap KB, filter KB,
#: DRAM bandwidth, clock (the ofmap KB enters through its SRAM energy only); the floats ``e_sram``'s three values and
#: the area; the workload's ``gemms`` and ``starts`` (int64, C order); the design's mapping codes, a read-only int64
#: ``(3, 1 or layers)`` array (dataflow, fold order, tile folds); the word bytes; the floats ``mac_reg_pj``,
#: ``dram_pj`` and ``macs_total`` (see :func:`network`)
ONE_ARGS = (*(types.int64,) * 6, *(types.float64,) * 4, types.Array(types.int64, 2, "C"),
            types.Array(types.int64, 1, "C"), types.Array(types.int64, 2, "C", readonly=True), types.int64,
            *(types.float64,) * 3)


def network_one(args: tuple[Any, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`network` of one design given as :data:`ONE_ARGS`: :func:`_network` itself on the design's
    arrays, built inside the compiled code (so the same numbers, without building them in Python); the
    metrics come back as ``(METRICS,)``."""
    return _network_one(*args)


@functools.cache
def compiled_one_metrics() -> Callable[..., tuple[float, ...]]:
    """The metrics of :func:`network_one` alone, as a tuple in :data:`METRICS`' order (the per-layer arrays are
    not boxed back): the compiled code of :data:`ONE_ARGS` itself, called without numba's type dispatch, so its
    caller must pass exactly those types (loaded from numba's cache, or compiled, on the first call)."""
    entry: Callable[..., tuple[float, ...]] = _network_one_metrics.compile(ONE_ARGS)
    return entry


@njit(cache=True, error_model="numpy")
def _network(hw: np.ndarray, e_sram: np.ndarray, area: np.ndarray, gemms: np.ndarray, starts: np.ndarray,
             df: np.ndarray, fold_order: np.ndarray, tile: np.ndarray, wb: int, mac_reg_pj: float, dram_pj: float,
             macs_total: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """:func:`network`, compiled: per design, both loop orders of every GEMM, GEMMs into layers, each
    layer's fold order, layers into the network, the metrics."""
    n_designs, n_gemms, n_layers = hw.shape[1], gemms.shape[1], starts.shape[0]
    per_gemm = np.empty((2, N_FIELDS, n_gemms))
    tile_gemm = np.empty((2, n_gemms), np.int64)
    per_layer = np.empty((2, N_FIELDS, n_layers))
    tile_layer = np.empty((2, n_layers), np.int64)
    packed = np.empty((N_FIELDS, n_designs, n_layers))
    tiles = np.empty((n_designs, n_layers), np.int64)
    row = np.empty((n_designs, n_layers), np.int64)
    metrics = np.empty((len(METRICS), n_designs))
    total = np.empty(N_FIELDS)
    for d in range(n_designs):
        rows, cols, bw = hw[0, d], hw[1, d], hw[5, d]
        # active-half words of the ifmap and filter SRAMs (traffic.active_words; the ofmap's never limits reuse)
        act_i = (hw[2, d] * 1024 // wb) // 2
        act_f = (hw[3, d] * 1024 // wb) // 2
        e_i, e_f, e_o = e_sram[0, d], e_sram[1, d], e_sram[2, d]
        dk = d if df.shape[0] > 1 else 0
        tk = d if tile.shape[0] > 1 else 0
        for g in range(n_gemms):
            j = gemms[4, g]
            code = df[dk, j if df.shape[1] > 1 else 0]
            tl = tile[tk, j if tile.shape[1] > 1 else 0]
            _gemm(gemms[0, g], gemms[1, g], gemms[2, g], gemms[3, g], rows, cols, bw, act_i, act_f, e_i, e_f, e_o,
                  code, tl, wb, mac_reg_pj, dram_pj, per_gemm[:, :, g], tile_gemm[:, g])
        for j in range(n_layers):       # GEMMs into layers (np.add.reduceat, np.maximum.reduceat)
            s = starts[j]
            e = starts[j + 1] if j + 1 < n_layers else n_gemms
            for o in range(2):
                for f in range(N_FIELDS):
                    per_layer[o, f, j] = _reduceat_add(per_gemm[o, f], s, e)
                peak = tile_gemm[o, s]
                for g in range(s + 1, e):
                    peak = max(peak, tile_gemm[o, g])
                tile_layer[o, j] = peak
        ok = d if fold_order.shape[0] > 1 else 0
        for j in range(n_layers):       # the fold order of each layer
            code = fold_order[ok, j if fold_order.shape[1] > 1 else 0]
            use_row = code == 2 or (code == 0 and per_layer[1, 0, j] < per_layer[0, 0, j])
            o = 1 if use_row else 0
            for f in range(N_FIELDS):
                packed[f, d, j] = per_layer[o, f, j]
            tiles[d, j] = tile_layer[o, j]
            row[d, j] = 1 if use_row else 0
        for f in range(N_FIELDS):       # layers one after another (sequential_sum)
            acc = packed[f, d, 0]
            for j in range(1, n_layers):
                acc += packed[f, d, j]
            total[f] = acc
        _summarize(total, float(rows), float(cols), float(hw[6, d]), area[d], wb, macs_total, metrics[:, d])
    return metrics, packed, tiles, row


@njit(cache=True, error_model="numpy")
def _network_one(rows: int, cols: int, ifmap_kb: int, filter_kb: int, bw: int, clock: int, e_i: float, e_f: float,
                 e_o: float, area: float, gemms: np.ndarray, starts: np.ndarray, codes: np.ndarray, wb: int,
                 mac_reg_pj: float, dram_pj: float, macs_total: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """:func:`network_one`, compiled: :func:`_network` on the one design's arrays, built here."""
    hw = np.zeros((len(HW_ROWS), 1), np.int64)      # row 4 (ofmap KB) enters through e_sram only
    hw[0, 0], hw[1, 0], hw[2, 0], hw[3, 0], hw[5, 0], hw[6, 0] = rows, cols, ifmap_kb, filter_kb, bw, clock
    e_sram = np.empty((3, 1))
    e_sram[0, 0], e_sram[1, 0], e_sram[2, 0] = e_i, e_f, e_o
    metrics, packed, tiles, row = _network(hw, e_sram, np.full(1, area), gemms, starts, codes[0:1], codes[1:2],
                                           codes[2:3], wb, mac_reg_pj, dram_pj, macs_total)
    return metrics[:, 0].copy(), packed, tiles, row


@njit(cache=True, error_model="numpy")
def _network_one_metrics(rows: int, cols: int, ifmap_kb: int, filter_kb: int, bw: int, clock: int, e_i: float,
                         e_f: float, e_o: float, area: float, gemms: np.ndarray, starts: np.ndarray, codes: np.ndarray,
                         wb: int, mac_reg_pj: float, dram_pj: float, macs_total: float
                         ) -> tuple[float, ...]:  # pragma: no cover - compiled
    """:func:`compiled_one_metrics`' code: :func:`_network_one`'s metrics as a tuple (:data:`METRICS`' order; a
    tuple of floats is boxed for Python at less cost than an array, which would then be read as a list)."""
    m = _network_one(rows, cols, ifmap_kb, filter_kb, bw, clock, e_i, e_f, e_o, area, gemms, starts, codes, wb,
                     mac_reg_pj, dram_pj, macs_total)[0]
    return m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12]


@njit(cache=True, error_model="numpy", inline="always")
def _gemm(m: int, k: int, n: int, r: int, rows: int, cols: int, bw: int, act_i: int, act_f: int, e_i: float,
          e_f: float, e_o: float, df: int, tile: int, wb: int, mac_reg_pj: float, dram_pj: float,
          out: np.ndarray, tiles: np.ndarray) -> None:  # pragma: no cover - compiled
    """One GEMM's packed fields under both traffic loop orders (``out[0]``: column folds outer, ``out[1]``:
    row folds outer; :func:`.analytical.gemm_cost`) and the tile folds each uses (``tiles``). Every branch
    tests the code as the array path's ``where`` does, so any code gives the same numbers."""
    # folds.folds / spatial_dims
    sr = m if df == _OS else k
    sc = m if df == _IS else n
    t = k if df == _OS else (m if df == _WS else n)
    row_f = -(-sr // rows)
    col_f = -(-sc // cols)
    stationary = 0 if df == _OS else 1
    fold_cycles = t + rows + cols - 2 + stationary * rows
    nf = row_f * col_f
    # folds.sram_counts
    s_i = m * k if df == _IS else col_f * (m * k)
    s_f = row_f * (k * n) if df == _OS else (k * n if df == _WS else col_f * (k * n))
    s_o = m * n + nf * (rows + cols) if df == _OS else row_f * (m * n)
    # traffic.traffic and traffic.tile_block: what the loop order does not change
    pad_r = row_f * rows
    pad_c = col_f * cols
    fetch_i = k * pad_c if df == _IS else pad_r * t
    fetch_f = pad_r * n if df == _IS else k * pad_c
    xr_is_ifmap = df == _OS or df == _WS
    xc_is_filter = df == _OS
    xr_fits = fetch_i <= act_i if xr_is_ifmap else fetch_f <= act_f
    act_r = act_i if xr_is_ifmap else act_f
    slab_r, slab_c = rows * t, k * cols
    writes_o = m * n if df == _OS else row_f * m * n
    first_i = fetch_i // row_f if xr_is_ifmap else fetch_i // col_f
    first_f = fetch_f // col_f if xr_is_ifmap else fetch_f // row_f
    last_o = -(-writes_o // nf)
    # analytical.gemm_cost: what the loop order does not change
    compute = nf * fold_cycles
    prologue = max(-(-first_i // bw), -(-first_f // bw))
    epilogue = -(-last_o // bw)
    drain_o = -(-(writes_o - last_o) // bw)
    sram_o = float(s_o + writes_o) * r
    dram_o = float(writes_o) * r
    macs_pj = float(m * k * n * r) * mac_reg_pj
    for order in range(2):
        if order == 0:          # column folds outer
            inner_fits = slab_r <= act_r
            by_buffer = act_f // max(slab_c, 1) if df == _OS else col_f
            block = min(min(tile, col_f), by_buffer)
        else:
            inner_fits = df != _OS or slab_c <= act_f
            by_buffer = act_r // max(slab_r, 1)
            block = min(min(tile, row_f), by_buffer)
        block = max(block, 1) if inner_fits else 1
        if order == 0:
            xr_passes = 1 if xr_fits else -(-col_f // block)
            xc_passes = 1 if block * k * cols <= act_f else row_f
        else:
            xr_passes = 1 if block * rows * t <= act_r else col_f
            xc_passes = 1 if fetch_f <= act_f else -(-row_f // block)
        passes_i = xr_passes if xr_is_ifmap else 1
        passes_f = (xc_passes if xc_is_filter else 1) if xr_is_ifmap else xr_passes
        reads_i = fetch_i * passes_i
        reads_f = fetch_f * passes_f
        body = max(max(compute, -(-(reads_i - first_i) // bw)), max(-(-(reads_f - first_f) // bw), drain_o))
        sram_i = float(s_i + reads_i) * r
        sram_f = float(s_f + reads_f) * r
        dram_i = float(reads_i) * r
        dram_f = float(reads_f) * r
        energy = macs_pj + sram_i * e_i
        energy = energy + sram_f * e_f
        energy = energy + sram_o * e_o
        energy = energy + (dram_i + dram_f + dram_o) * wb * dram_pj
        o = out[order]
        o[0] = float(prologue + body + epilogue) * r
        o[1] = float(compute) * r
        o[2] = float(body - compute) * r
        o[3] = float(sr * sc) * r
        o[4] = float(nf) * r
        o[5] = energy
        o[6], o[7], o[8] = sram_i, sram_f, sram_o
        o[9], o[10], o[11] = dram_i, dram_f, dram_o
        tiles[order] = block


@njit(cache=True, inline="always")
def _reduceat_add(x: np.ndarray, s: int, e: int) -> float:  # pragma: no cover - compiled
    """``np.add.reduceat``'s value for the segment ``x[s:e]``: its first entry plus numpy's pairwise sum of
    the rest (``x[s]`` alone when ``e <= s + 1``)."""
    if e <= s + 1:
        return x[s]
    return x[s] + pairwise_sum(x, s + 1, e - s - 1)


@njit(cache=True, inline="always")
def _summarize(total: np.ndarray, rows: float, cols: float, clock: float, area: float, wb: int,
               macs_total: float, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """:func:`.analytical.summarize` of one design's network total (packed fields) into ``out`` (METRICS)."""
    cycles = max(total[0], 1.0)
    latency = cycles / (clock * 1e6)
    pe = rows * cols
    out[0] = latency
    out[1] = cycles
    out[2] = total[1] + 0.0 * cycles
    out[3] = max(cycles - total[1], 0.0)
    out[4] = total[5] * 1e-12 + 0.0 * latency
    out[5] = area
    out[6] = 2.0 * rows * cols * clock * 1e6
    out[7] = 2.0 * macs_total / latency
    out[8] = 1.0 / latency
    out[9] = macs_total / (cycles * pe)
    out[10] = total[3] / (max(total[4], 1.0) * pe)
    out[11] = (0.0 + total[9] + total[10] + total[11]) * wb
    out[12] = (0.0 + total[6] + total[7] + total[8]) * wb
