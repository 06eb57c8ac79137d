"""One tiled FPGA design given as plain Python values: its analytical metrics and violations from one
compiled call (:func:`tiled_one`), the numbers :func:`model.analyze` gives the design in a batch.

:func:`tiled_one` builds the design's one-entry arrays in compiled code, calls the batch kernels
:func:`kernels.engine_resources` and :func:`kernels.engine` themselves, and does the scalar arithmetic of
:func:`model.analyze` around them (utilisations, :func:`resources.achieved_clock`, bytes per cycle,
:func:`model.time_metrics`, :func:`power.dynamic_power_w`, the violations) with the same float operations
in the same order (``np.maximum``/``np.minimum``/``np.clip`` as :mod:`simulators.common.kernel_math`'s
NaN-propagating picks, a row sum as numpy's pairwise sum). ``tests/test_fpga_single_tiled.py`` binds it
to the batch path to the bit. Any design this path does not take (another style, per-layer folding or
``sched_*`` knobs, values that are not plain ``int``/``float``/``str``) returns ``None`` from :func:`one`
and goes the general way, whose errors are unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
from numba import njit

from simulators.common.kernel_math import maximum, minimum, pairwise_sum
from simulators.fpga import kernels, power
from simulators.fpga.fabric import RESOURCES, _code, _single
from simulators.fpga.layers import StageTable
from simulators.fpga.model import DRAM_EFFICIENCY
from simulators.fpga.resources import CLOCK_KNEE, CLOCK_SLOPE, FF_PER_LUT
from simulators.fpga.tiled import ENGINE_CONTROL_LUT, VECTOR_LUT_PER_LANE_BIT, _layers

#: the metrics of :func:`model.time_metrics`, in its order (per-resource values and utilisations last)
METRICS = ("latency_s", "cycles", "ii_cycles", "energy_j", "power_w", "throughput_ops_per_s",
           "throughput_inf_per_s", "peak_ops_per_s", "utilization", "dram_bytes", "clock_mhz", "mac_lanes",
           *(name for r in RESOURCES for name in (r, f"{r}_util")))
#: the violations of :func:`model.analyze`, in its order
VIOLATIONS = (*(f"{r}_budget" for r in RESOURCES), "tile_buffer", "dram_capacity")
_NUMERIC = ("tm", "tn", "buf_kib", "clock_mhz", "util_cap", "fifo_depth")   # read as float columns
_MAX_EXACT = 2**53          # derived: a Python int converts to float64 as numpy does below 2^53


@functools.cache
def _fabric(device: str, precision: str) -> tuple[Any, ...]:
    """The fabric constants :func:`tiled_one` reads, for one (device, precision) pair (a pure function of the
    names; unknown names raise :func:`fabric._code`'s ``ConfigError`` and are not kept)."""
    fab = _single(_code(device, precision))
    coef = fab.dynamic_uw_per_mhz
    return (float(fab.bits[0]), bool(fab.is_float[0]), float(fab.fp_lut_per_lane[0]), bool(fab.uses_dsp[0]),
            float(fab.slice_divisor[0]), bool(fab.has_uram[0]), *(float(fab.user[r][0]) for r in RESOURCES),
            float(fab.clock_max_mhz[0]), float(fab.offchip_gbps[0]), float(fab.offchip_gib[0]),
            float(fab.static_w[0]), float(fab.dram_pj_per_byte[0]), *(float(coef[r][0]) for r in RESOURCES))


def _workload(table: StageTable) -> tuple[Any, ...]:
    """The stage table's arrays :func:`tiled_one` reads (``tiled._Layers`` and totals), memoised on the table."""
    return table.remember("single_tiled", lambda: _workload_arrays(table))


def _workload_arrays(table: StageTable) -> tuple[Any, ...]:
    lay = _layers(table)
    M, N, Kr, Ks, R, C, S, rep, E = lay.dims.values()
    return (M, N, Kr, Ks, R, C, S, rep, E, lay.row_words, lay.weight_words, lay.out_words, lay.extra_words,
            lay.kernel, table.is_mac, lay.acc_log, lay.kmax, float(table.macs.sum()), float(table.weight_elems.sum()))


def one(table: StageTable, design: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, bool]] | None:
    """A tiled design's metrics and violations as :func:`model.analyze` gives its batch row, or ``None``
    when :func:`tiled_one` does not take it (see the module docstring). A tiled design's ``info`` is its
    clock alone (``FPGASimulator._info``): the ``clock_mhz`` metric."""
    if design.get("style") != "tiled" or "sched_0" in design or any(k.startswith("pe_") for k in design):
        return None
    knobs = [design[k] for k in _NUMERIC]
    if any(type(v) is not float and (type(v) is not int or abs(v) >= _MAX_EXACT) for v in knobs):
        return None
    names = [design[k] for k in ("device", "precision", "reconfig", "weight_mem")]
    if any(type(v) is not str for v in names) or type(design["groups"]) is not int:
        return None
    out = tiled_one(*_workload(table), *_fabric(names[0], names[1]), *(float(v) for v in knobs[:5]))
    return dict(zip(METRICS, out[:len(METRICS)])), dict(zip(VIOLATIONS, out[len(METRICS):]))


@njit(cache=True, error_model="numpy")
def _util(r: float, user: float) -> float:  # pragma: no cover - compiled
    """``model.analyze``'s utilisation of one resource: ``r / user`` where ``user > 0``, else inf for ``r > 0``, 0."""
    if user > 0:
        return r / user
    return np.inf if r > 0 else 0.0


@njit(cache=True, error_model="numpy")
def _clip(x: float, lo: float, hi: float) -> float:  # pragma: no cover - compiled
    """``np.clip`` of one float (NaN stays NaN)."""
    return minimum(maximum(x, lo), hi)


@njit(cache=True, error_model="numpy")
def tiled_one(M: np.ndarray, N: np.ndarray, Kr: np.ndarray, Ks: np.ndarray, R: np.ndarray, C: np.ndarray,
              S: np.ndarray, rep: np.ndarray, E: np.ndarray, row_words: np.ndarray, weight_words: np.ndarray,
              out_words: np.ndarray, extra_words: np.ndarray, kernel: np.ndarray, is_mac: np.ndarray,
              acc_log: float, kmax: float, macs_total: float, weight_elems: float,
              bits: float, is_float: bool, fp_lut: float, uses_dsp: bool, slice_divisor: float, has_uram: bool,
              u_dsp: float, u_bram: float, u_uram: float, u_lut: float, u_ff: float,
              clock_max: float, offchip_gbps: float, offchip_gib: float, static_w: float, dram_pj: float,
              c_dsp: float, c_bram: float, c_uram: float, c_lut: float, c_ff: float,
              tm: float, tn: float, buf_kib: float, clock_mhz: float, cap: float
              ) -> tuple[Any, ...]:  # pragma: no cover - compiled
    """:data:`METRICS` then :data:`VIOLATIONS` of one tiled design (``model.analyze`` on a batch of it)."""
    one = np.ones(1)
    res_k, words = kernels.engine_resources(
        one * bits, np.full(1, is_float), one * fp_lut, np.full(1, uses_dsp), one * slice_divisor,
        np.full(1, has_uram), one * tm, one * tn, one * buf_kib, acc_log, kmax, float(ENGINE_CONTROL_LUT),
        VECTOR_LUT_PER_LANE_BIT, FF_PER_LUT)
    dsp, lut, ff, bram, uram = res_k[0, 0], res_k[1, 0], res_k[2, 0], res_k[3, 0], res_k[4, 0]
    ut_dsp, ut_bram, ut_uram = _util(dsp, u_dsp), _util(bram, u_bram), _util(uram, u_uram)
    ut_lut, ut_ff = _util(lut, u_lut), _util(ff, u_ff)
    # resources.achieved_clock of the highest clock-setting utilisation (model._CLOCK order)
    util_max = maximum(maximum(maximum(ut_dsp, ut_bram), ut_uram), ut_lut)
    ceiling = clock_max * (1.0 - CLOCK_SLOPE * maximum(util_max - CLOCK_KNEE, 0.0))
    f_mhz = minimum(clock_mhz, maximum(ceiling, 1.0))
    f_hz = f_mhz * 1e6
    bpc = offchip_gbps * 1e9 * DRAM_EFFICIENCY / f_hz
    cycles, _, dram_b, _, _, ok = kernels.engine(
        M, N, Kr, Ks, R, C, S, rep, E, row_words, weight_words, out_words, extra_words, kernel, is_mac,
        one * (bits / 8.0), one * tm, one * tn, words[0], words[1], one * bpc)
    n = M.size
    lat = pairwise_sum(cycles[0], 0, n)
    dram = pairwise_sum(dram_b[0], 0, n)
    lanes = tm * tn
    # model.time_metrics and power.dynamic_power_w / dram_energy_j
    period_s = lat / f_hz
    latency_s = lat / f_hz
    inf_per_s = 1.0 / period_s
    peak = 2.0 * lanes * f_hz
    utilization = (2.0 * macs_total * inf_per_s) / peak
    act = power.IDLE_ACTIVITY + (1 - power.IDLE_ACTIVITY) * _clip(utilization, 0.0, 1.0)
    logic = c_dsp * dsp + c_lut * lut + c_ff * ff
    mem = c_bram * bram + c_uram * uram
    p_dyn = f_mhz * (logic * act + mem * power.MEMORY_ACTIVITY) * 1e-6
    energy = (static_w + p_dyn) * period_s + dram * dram_pj * 1e-12
    weight_bytes = weight_elems * bits / 8.0
    return (latency_s, lat, lat, energy, energy / period_s, 2.0 * macs_total * inf_per_s, inf_per_s, peak,
            utilization, dram, f_mhz, lanes, dsp, ut_dsp, bram, ut_bram, uram, ut_uram, lut, ut_lut, ff, ut_ff,
            dsp > cap * u_dsp + 1e-9, bram > cap * u_bram + 1e-9, uram > cap * u_uram + 1e-9,
            lut > cap * u_lut + 1e-9, ff > cap * u_ff + 1e-9, not ok[0], weight_bytes > offchip_gib * 2**30)
