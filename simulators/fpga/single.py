"""One FPGA design given as plain Python values: its analytical metrics, violations and info from one
compiled call per style (:func:`tiled_one`, :func:`streaming_one`, :func:`hybrid_one`), the numbers
:func:`model.analyze` gives the design in a batch.

Each builds the design's one-entry arrays in compiled code and calls the batch kernels themselves
(:func:`kernels.engine_resources` and :func:`kernels.engine`; :func:`kernels.fold` and
:func:`kernels.stage_model`; for hybrids also :func:`kernels.fold_groups` and :func:`kernels.hybrid_rows`),
and does the scalar arithmetic of :func:`model.analyze` around them
(utilisations, :func:`resources.achieved_clock` and bytes per cycle: :func:`_clock`;
``StreamingModel.latency``/``ii``; :func:`model.time_metrics`, :func:`power.dynamic_power_w` and the
budgets: :func:`_metrics`) with the same float operations in the same order (``np.maximum``/``np.minimum``/
``np.clip`` as :mod:`simulators.common.kernel_math`'s NaN-propagating picks, a row sum as numpy's pairwise
sum, ``cumsum`` left to right, ``argmax`` the first NaN else the first maximum).
``tests/test_fpga_single_one.py`` binds them to the batch path to the bit. Any design this path does not
take (per-layer folds missing or not ``int``, ``sched_*`` values not allowed, fewer than 1 or more than :data:`MAX_GROUPS` groups, values
that are not plain ``int``/``float``/``str``, numbers of magnitude 2^53 or more) returns ``None`` from :func:`one` and goes the general way,
whose errors are unchanged.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections.abc import Mapping
from typing import Any

import numpy as np
from numba import njit, typeof

from simulators.common.kernel_math import maximum, minimum, pairwise_sum
from simulators.fpga import kernels, model, power, streaming
from simulators.fpga.fabric import RESOURCES, _code, every_pair
from simulators.fpga.layers import StageTable
from simulators.fpga.model import (
    CONFIG_BITS_PER_LUT,
    DRAM_EFFICIENCY,
    ICAP_BITS_PER_S,
    INTAR_LUT_OVERHEAD,
    INTAR_SWITCH_S,
)
from simulators.fpga.resources import CLOCK_KNEE, CLOCK_SLOPE, FF_PER_LUT
from simulators.fpga.space import SCHEDULE, param_name
from simulators.fpga.tiled import ENGINE_CONTROL_LUT, VECTOR_LUT_PER_LANE_BIT, _layers

#: the metrics of :func:`model.time_metrics`, in its order (per-resource values and utilisations last)
METRICS = ("latency_s", "cycles", "ii_cycles", "energy_j", "power_w", "throughput_ops_per_s",
           "throughput_inf_per_s", "peak_ops_per_s", "utilization", "dram_bytes", "clock_mhz", "mac_lanes",
           *(name for r in RESOURCES for name in (r, f"{r}_util")))
_CLOCK_AT = METRICS.index("clock_mhz")
_METRICS_N = len(METRICS)
#: the violations of :func:`model.analyze`, in its order
VIOLATIONS = (*(f"{r}_budget" for r in RESOURCES), "tile_buffer", "dram_capacity")
_NUMERIC = ("tm", "tn", "buf_kib", "clock_mhz", "util_cap", "fifo_depth")   # read as float columns
_STYLES = ("tiled", "streaming", "hybrid")
_NO_FOLDS = (False, np.zeros((1, 0), np.int64), np.zeros((1, 0), np.int64), np.zeros((1, 0), np.int64))
_INT64_MIN, _INT64_MAX = -2**63, 2**63 - 1       # a Python int np.array(..., dtype=np.int64) holds exactly
_SCHED_CODES = {"auto": 0, "dataflow": 1, "sequential": 2}                 # kernels.hybrid_rows' codes
_PLACE = {"auto": kernels.PLACE_AUTO, "on-chip": kernels.PLACE_ON}     # any other weight_mem: off chip (Placement.of)
# positions in :func:`_fabric`'s vector
(BITS, IS_FLOAT, FP_LUT, USES_DSP, SLICE_DIV, HAS_URAM, USER, CLOCK_MAX, GBPS, GIB, STATIC_W, DRAM_PJ,
 COEF, LUT) = (0, 1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16, 21)
_WIDTH_AT = {w: k for k, w in enumerate(model.WIDTHS.tolist())}   # a width's row in model.dataflow_table
MAX_GROUPS = 64             # assumed: a bound on the hybrid groups this path takes (the space's are 1, 2, 4)
#: the knobs :func:`one` reads, :data:`_NUMERIC` first, then ``groups`` and the names
_KNOBS = operator.itemgetter(*_NUMERIC, "groups", "device", "precision", "reconfig", "weight_mem")
#: the types of :data:`_KNOBS` this path takes: each numeric knob a Python ``int`` or ``float``, ``groups`` an
#: ``int``, the names ``str``
_PLAIN = frozenset((*nums, int, str, str, str, str) for nums in itertools.product((int, float), repeat=6))
_MAX_EXACT = 2**53          # derived: a Python int converts to float64 as numpy does below 2^53
_UNREAD = np.zeros((1, 0), dtype=np.int64)   # the schedule codes of a tiled or streaming design without sched_*


def _fabric(device: str, precision: str) -> np.ndarray:
    """The fabric constants the kernels read for one (device, precision) pair, one float vector (flags 0/1;
    the users' budgets from ``USER`` and the power coefficients from ``COEF``, in :data:`RESOURCES` order; the
    device's LUTs at ``LUT``): a read-only row of :func:`_fabric_rows`; unknown names raise
    :func:`fabric._code`'s ``ConfigError``."""
    return _fabric_rows()[_code(device, precision)]


@functools.cache
def _fabric_rows() -> np.ndarray:
    """:func:`_fabric`'s vector of every catalog pair, one row each (row ``fabric._code``), built at once on first
    use rather than pair by pair as designs on new pairs arrive (35 pairs: ~0.1 ms each)."""
    fab = every_pair()
    rows = np.stack([fab.bits, fab.is_float, fab.fp_lut_per_lane, fab.uses_dsp, fab.slice_divisor, fab.has_uram,
                     *(fab.user[r] for r in RESOURCES), fab.clock_max_mhz, fab.offchip_gbps, fab.offchip_gib,
                     fab.static_w, fab.dram_pj_per_byte, *(fab.dynamic_uw_per_mhz[r] for r in RESOURCES), fab.lut],
                    axis=1).astype(np.float64)
    rows.setflags(write=False)
    return rows


def _tiled_tables(table: StageTable) -> tuple[Any, ...]:
    """The stage table's arrays :func:`tiled_one` reads (``tiled._Layers``): its 14 per-stage float arrays as the
    rows of one ``(14, n)`` array (:func:`_tiled_rows`; one argument for numba to unbox instead of 14), the MAC
    mask, ``acc_log`` and ``kmax``; memoised on the table."""
    def build() -> tuple[Any, ...]:
        lay = _layers(table)
        rows = np.stack([*lay.dims.values(), lay.row_words, lay.weight_words, lay.out_words, lay.extra_words,
                         lay.kernel])
        return rows, table.is_mac, lay.acc_log, lay.kmax

    return table.remember("single_tiled", build)


def _streaming_tables(table: StageTable) -> tuple[Any, ...]:
    """The stage table's arrays :func:`streaming_one` reads (the fold pack, ``streaming._Stages``), those of one
    length and dtype as the rows of one 2-D array (fewer arguments for numba to unbox; :func:`_streaming_rows`
    gives them back), memoised."""
    def build() -> tuple[Any, ...]:
        pack, st = streaming._fold_pack(table), streaming._stages(table)
        return (pack.key, np.stack([pack.pick, pack.pe, pack.simd]),
                np.stack([pack.start, table.mac_idx, st.macs, st.MH, st.MW, st.pix, st.lb_words]),
                np.stack([pack.offset, st.acc_log]), st.spatial, np.stack([pack.elts, st.elts, st.E, st.elt_ops]),
                np.stack([pack.elt_E, st.skip_words]), st.skip, st.out_rows, st.row_elems[0],
                np.atleast_2d(st.need_next), np.atleast_2d(st.fill_rows), pack.span, float(st.io_elems))

    return table.remember("single_streaming", build)


def _hybrid_tables(table: StageTable, groups: int) -> tuple[Any, ...]:
    """The cut of ``table`` into ``groups`` groups as :func:`hybrid_one` reads it (``model.dataflow_groups``'
    group row, the group pipelines' ``need_next``/``fill_rows``, ``model.group_bounds`` ``(1, groups, 2)``),
    the number of non-empty groups, each one's (group, first, last stage name) and, per precision width
    (:data:`_WIDTH_AT`), the groups' streamed DRAM bytes ``(1, groups)`` (``model.dataflow_table``'s rows);
    memoised on the table."""
    def build() -> tuple[Any, ...]:
        cut = np.ascontiguousarray(model.group_index(table, groups)[None, :], dtype=np.int64)
        st = streaming._group_stages(table, cut)
        parts = model.group_stages(table, groups)
        df = model.dataflow_table(table, (groups,))
        return (cut, np.atleast_2d(st.need_next), np.atleast_2d(st.fill_rows),
                model.group_bounds(table, (groups,), groups), len(parts),
                [(g, table.names[idx[0]], table.names[idx[-1]]) for g, idx in parts],
                [df[w:w + 1] for w in range(df.shape[0])])

    return table.remember(("single_hybrid", groups), build)


def _entry(table: StageTable, kernel: Any, args: tuple[Any, ...]) -> Any:
    """``kernel``'s compiled code for the types of ``args``, called without numba's type dispatch (which types
    every argument of every call; simulators/systolic/analytical_kernel.py does the same): typed once per table
    and kernel (memoised), so every later call must pass arguments of the same types, as :func:`one` does (the
    table's memoised arrays themselves, ``float`` knobs, ``int`` counts and codes, ``bool`` flags, int64 C-order
    folds and codes, the read-only fabric vector and streamed-bytes rows)."""
    return table.remember(("single_entry", kernel.__name__),
                          lambda: kernel.compile(tuple(typeof(a) for a in args)))


def _weight_bytes(table: StageTable) -> list[float]:
    """The MAC stages' weight bytes (``streaming._weight_bytes``) at each width of ``model.WIDTHS``
    (:data:`_WIDTH_AT`), memoised on the table."""
    return table.remember("single_weight_bytes", lambda: [
        float(streaming._weight_bytes(table, table.mac_idx, model.WIDTHS[w:w + 1])[0]) for w in range(model.WIDTHS.size)])


def _totals(table: StageTable) -> tuple[float, float]:
    """``float(table.macs.sum())`` and ``float(table.weight_elems.sum())`` (memoised on the table)."""
    return table.remember("single_totals", lambda: (float(table.macs.sum()), float(table.weight_elems.sum())))


def one(table: StageTable, design: Mapping[str, Any]
        ) -> tuple[dict[str, float], dict[str, bool], dict[str, Any]] | None:
    """A design's metrics and violations as :func:`model.analyze` gives its batch row, and
    its ``FPGASimulator._info``; ``None`` when this path does not take it (see the module docstring)."""
    style = design.get("style")
    if style not in _STYLES:
        return None
    folds = _folds(table, design)
    if folds is None:
        return None
    knobs = _KNOBS(design)
    if tuple(map(type, knobs)) not in _PLAIN or not 1 <= knobs[6] <= MAX_GROUPS:
        return None
    nums = knobs[:6]
    if not (-_MAX_EXACT < min(nums) and max(nums) < _MAX_EXACT):    # floats outside ±2^53 too (the same numbers)
        return None
    groups, names = knobs[6], knobs[7:]
    choice = _schedule(design, groups) if style == "hybrid" or "sched_0" in design else _UNREAD
    if choice is None:
        return None
    fab = _fabric(names[0], names[1])
    tm, tn, buf_kib, clock_mhz, cap, fifo = map(float, nums)
    macs_total, weight_elems = _totals(table)
    if style == "tiled":
        args = (*_tiled_tables(table), macs_total, weight_elems, fab, tm, tn, buf_kib, clock_mhz, cap)
        out = _entry(table, tiled_one, args)(*args)
        info: dict[str, Any] = {"clock_mhz": out[_CLOCK_AT]}
    elif style == "hybrid":
        cut, need_next, fill_rows, bounds, n_parts, parts, df_rows = _hybrid_tables(table, groups)
        df_off = df_rows[_WIDTH_AT[fab[BITS]]]
        args = (_tiled_tables(table), _streaming_tables(table), table.macs, cut, need_next, fill_rows, bounds, n_parts,
                df_off, groups, macs_total, weight_elems, fab, tm, tn, buf_kib, clock_mhz, cap, fifo,
                names[2] == "partial", choice)
        out = _entry(table, hybrid_one, args)(*args)
        modes = ["dataflow" if m else "sequential" for m in out[-4].tolist()]
        cyc, nbytes = out[-3].tolist(), out[-2].tolist()
        info = {"clock_mhz": out[_CLOCK_AT], "group_modes": modes,
                "groups": [{"group": g, "mode": modes[g], "first": first, "last": last, "cycles": cyc[g],
                            "dram_bytes": nbytes[g]} for g, first, last in parts],
                "reconfig_cycles": out[-1]}
    else:
        args = (_streaming_tables(table), macs_total, weight_elems, _weight_bytes(table)[_WIDTH_AT[fab[BITS]]], fab, tm * tn, clock_mhz, cap, fifo,
                _PLACE.get(names[3], kernels.PLACE_OFF), *folds)
        out = _entry(table, streaming_one, args)(*args)
        info = {"clock_mhz": out[_CLOCK_AT], "weights": "on-chip" if out[-1] else "off-chip",
                "bottleneck": table.names[out[-2]]}
    return dict(zip(METRICS, out)), dict(zip(VIOLATIONS, out[_METRICS_N:_METRICS_N + len(VIOLATIONS)])), info


def _folds(table: StageTable, design: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """``(explicit, pe, simd, eltwise lanes)`` as ``model._pipeline`` reads them: the per-layer ``pe_*``/``simd_*``
    knobs as ``(1, n_mac)`` int64 and ``streaming.producer_lanes`` of them when the first MAC stage's ``pe_*``
    is present (as ``FPGASimulator._columns`` decides), else no folds (``auto_fold`` in :func:`streaming_one`);
    ``None`` when a knob is missing or not an ``int`` in the int64 range (the general way and its error)."""
    pe_keys, simd_keys = table.remember("single_fold_keys", lambda: tuple(
        [param_name(kind, table.names[i]) for i in table.mac_idx.tolist()] for kind in ("pe", "simd")))
    if not pe_keys:               # no MAC stage: _columns' look-up of the first one fails (the general way)
        return None
    if pe_keys[0] not in design:
        return _NO_FOLDS
    try:
        vals = [design[k] for k in pe_keys] + [design[k] for k in simd_keys]
    except KeyError:
        return None
    if any(type(v) is not int or not _INT64_MIN <= v <= _INT64_MAX for v in vals):
        return None
    n = len(pe_keys)
    pe = np.array([vals[:n]], dtype=np.int64)
    return True, pe, np.array([vals[n:]], dtype=np.int64), streaming.producer_lanes(table, pe)


def _schedule(design: Mapping[str, Any], groups: int) -> np.ndarray | None:
    """The ``sched_*`` knobs of the design's ``groups`` groups as ``model._schedule_codes`` gives them
    ``(1, groups)`` (all auto without ``sched_0``, as ``FPGASimulator._columns`` reads them); ``None`` when a
    value is not an allowed ``str`` (the general way raises its error)."""
    codes = np.zeros((1, groups), dtype=np.int64)
    if "sched_0" not in design:
        return codes
    for g in range(groups):
        v = design.get(f"sched_{g}", "auto")
        if type(v) is not str or v not in SCHEDULE:
            return None
        codes[0, g] = _SCHED_CODES[v]
    return codes


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
def _clock(res: np.ndarray, fab: np.ndarray, clock_mhz: float
           ) -> tuple[np.ndarray, float, float, float, float]:  # pragma: no cover
    """``model.analyze`` from the resources ``res`` (:data:`RESOURCES` order): their utilisations, the highest of
    ``model._CLOCK``'s, the clock (:func:`resources.achieved_clock` of it), in Hz, and DRAM bytes per cycle."""
    util = np.empty(5)
    for r in range(5):
        util[r] = _util(res[r], fab[USER + r])
    util_max = maximum(maximum(maximum(util[0], util[1]), util[2]), util[3])     # dsp, bram18k, uram, lut
    ceiling = fab[CLOCK_MAX] * (1.0 - CLOCK_SLOPE * maximum(util_max - CLOCK_KNEE, 0.0))
    f_mhz = minimum(clock_mhz, maximum(ceiling, 1.0))
    f_hz = f_mhz * 1e6
    return util, util_max, f_mhz, f_hz, fab[GBPS] * 1e9 * DRAM_EFFICIENCY / f_hz


@njit(cache=True, error_model="numpy")
def _metrics(res: np.ndarray, util: np.ndarray, f_mhz: float, f_hz: float, lat: float, ii: float, dram: float,
             lanes: float, macs_total: float, fab: np.ndarray, cap: float) -> tuple[Any, ...]:  # pragma: no cover
    """:data:`METRICS` (``model.time_metrics``) and the five resource budgets of :data:`VIOLATIONS`."""
    period_s = ii / f_hz
    latency_s = lat / f_hz
    inf_per_s = 1.0 / period_s
    peak = 2.0 * lanes * f_hz
    utilization = (2.0 * macs_total * inf_per_s) / peak
    act = power.IDLE_ACTIVITY + (1 - power.IDLE_ACTIVITY) * _clip(utilization, 0.0, 1.0)
    dsp, bram, uram, lut, ff = res[0], res[1], res[2], res[3], res[4]
    c = fab[COEF:COEF + 5]
    logic = c[0] * dsp + c[3] * lut + c[4] * ff
    mem = c[1] * bram + c[2] * uram
    p_dyn = f_mhz * (logic * act + mem * power.MEMORY_ACTIVITY) * 1e-6
    energy = (fab[STATIC_W] + p_dyn) * period_s + dram * fab[DRAM_PJ] * 1e-12
    u = fab[USER:USER + 5]
    return (latency_s, lat, ii, energy, energy / period_s, 2.0 * macs_total * inf_per_s, inf_per_s, peak,
            utilization, dram, f_mhz, lanes, dsp, util[0], bram, util[1], uram, util[2], lut, util[3], ff, util[4],
            dsp > cap * u[0] + 1e-9, bram > cap * u[1] + 1e-9, uram > cap * u[2] + 1e-9,
            lut > cap * u[3] + 1e-9, ff > cap * u[4] + 1e-9)


@njit(cache=True, inline="always")
def _tiled_rows(rows: np.ndarray) -> tuple[np.ndarray, ...]:  # pragma: no cover - compiled
    """:func:`_tiled_tables`' rows as M, N, Kr, Ks, R, C, S, rep, E, row_words, weight_words, out_words,
    extra_words, kernel (``tiled._Layers``; contiguous views)."""
    return (rows[0], rows[1], rows[2], rows[3], rows[4], rows[5], rows[6], rows[7], rows[8], rows[9], rows[10],
            rows[11], rows[12], rows[13])


@njit(cache=True, error_model="numpy")
def tiled_one(rows: np.ndarray, is_mac: np.ndarray, acc_log: float, kmax: float, macs_total: float,
              weight_elems: float, fab: np.ndarray, tm: float, tn: float, buf_kib: float, clock_mhz: float, cap: float
              ) -> tuple[Any, ...]:  # pragma: no cover - compiled
    """:data:`METRICS` then :data:`VIOLATIONS` of one tiled design (``model.analyze`` on a batch of it);
    ``rows``, ``is_mac``, ``acc_log``, ``kmax``: :func:`_tiled_tables`."""
    M, N, Kr, Ks, R, C, S, rep, E, row_words, weight_words, out_words, extra_words, kernel = _tiled_rows(rows)
    one = np.ones(1)
    bits = fab[BITS]
    res_k, words = kernels.engine_resources(
        one * bits, np.full(1, fab[IS_FLOAT] != 0.0), one * fab[FP_LUT], np.full(1, fab[USES_DSP] != 0.0),
        one * fab[SLICE_DIV], np.full(1, fab[HAS_URAM] != 0.0), one * tm, one * tn, one * buf_kib, acc_log, kmax,
        float(ENGINE_CONTROL_LUT), VECTOR_LUT_PER_LANE_BIT, FF_PER_LUT)
    res = np.array([res_k[0, 0], res_k[3, 0], res_k[4, 0], res_k[1, 0], res_k[2, 0]])   # RESOURCES order
    util, _, f_mhz, f_hz, bpc = _clock(res, fab, clock_mhz)
    cycles, _, dram_b, _, _, ok = kernels.engine(
        M, N, Kr, Ks, R, C, S, rep, E, row_words, weight_words, out_words, extra_words, kernel, is_mac,
        one * (bits / 8.0), one * tm, one * tn, words[0], words[1], one * bpc)
    n = M.size
    lat = pairwise_sum(cycles[0], 0, n)
    out = _metrics(res, util, f_mhz, f_hz, lat, lat, pairwise_sum(dram_b[0], 0, n), tm * tn, macs_total, fab, cap)
    return out + (not ok[0], weight_elems * bits / 8.0 > fab[GIB] * 2**30)


@njit(cache=True, inline="always")
def _streaming_rows(tables: tuple[Any, ...]) -> tuple[Any, ...]:  # pragma: no cover - compiled
    """:func:`_streaming_tables` as key, offset, start, pick, pe, simd, span, mac_idx, fold_elts, fold_E (the fold
    pack), macs, MH, MW, pix, lb_words, spatial, acc_log, elts, E, elt_ops, skip, skip_words, out_rows, row_elems,
    need_next, fill_rows, io_elems (``streaming._Stages``); contiguous views."""
    key, cand, mac_i, mac_f, spatial, elt_i, elt_f, skip, out_rows, row_elems, need_next, fill_rows, span, io_elems = \
        tables
    return (key, mac_f[0], mac_i[0], cand[0], cand[1], cand[2], span, mac_i[1], elt_i[0], elt_f[0], mac_i[2],
            mac_i[3], mac_i[4], mac_i[5], mac_i[6], spatial, mac_f[1], elt_i[1], elt_i[2], elt_i[3], skip, elt_f[1],
            out_rows, row_elems, need_next, fill_rows, io_elems)


@njit(cache=True, error_model="numpy")
def streaming_one(tables: tuple[Any, ...], macs_total: float, weight_elems: float, weight_bytes: float,
                  fab: np.ndarray, lanes_budget: float, clock_mhz: float, cap: float, fifo: float, place: int,
                  explicit: bool, pe_in: np.ndarray, simd_in: np.ndarray, lanes_in: np.ndarray
                  ) -> tuple[Any, ...]:  # pragma: no cover
    """:data:`METRICS`, :data:`VIOLATIONS`, the slowest stage (``argmax`` of the cycles) and whether the weights
    are on chip, of one streaming design folded by ``auto_fold`` to ``MACs / (tm·tn)``, or by ``pe_in``,
    ``simd_in`` and ``lanes_in`` when ``explicit`` (``model._pipeline``);
    ``weight_bytes``: its MAC stages' weight bytes (``streaming._weight_bytes``); ``tables``:
    :func:`_streaming_tables`."""
    (key, offset, start, pick, pe_c, simd_c, span, mac_idx, fold_elts, fold_E, macs, MH, MW, pix, lb_words, spatial,
     acc_log, elts, E, elt_ops, skip, skip_words, out_rows, row_elems, need_next, fill_rows, io_elems) = \
        _streaming_rows(tables)
    one = np.ones(1)
    bits = fab[BITS]
    if explicit:
        pe, simd, lanes_e = pe_in, simd_in, lanes_in
    else:
        pe, simd, lanes_e = kernels.fold(key, offset, start, pick, pe_c, simd_c, span, mac_idx, fold_elts, fold_E,
                                         np.full((1, 1), macs_total / lanes_budget))
    (cycles, lanes, dsp, lut, ff, bram, uram, row_time, fill, _, _, onchip) = kernels.stage_model(
        macs, MH, MW, pix, lb_words, spatial, acc_log, elts, E, elt_ops, skip, skip_words, out_rows, row_elems,
        need_next, fill_rows, one * bits, np.full(1, fab[HAS_URAM] != 0.0), np.full(1, fab[USES_DSP] != 0.0),
        one * fab[SLICE_DIV], np.full(1, fab[IS_FLOAT] != 0.0), one * fab[FP_LUT], pe, simd, lanes_e, one * fifo,
        np.full(1, place), one * cap, one * fab[USER + 1], one * fab[USER + 2],
        streaming.ELT_LUT_PER_LANE_BIT, float(streaming.WEIGHT_PREFETCH_DEPTH), FF_PER_LUT)
    n = cycles.shape[1]
    res = np.array([pairwise_sum(a[0], 0, n) for a in (dsp, bram, uram, lut, ff)])   # StreamingModel.totals
    util, _, f_mhz, f_hz, bpc = _clock(res, fab, clock_mhz)
    on = onchip[0]
    dram = (0.0 + (0.0 if on else weight_bytes)) + io_elems * bits / 8.0          # streaming.offchip_bytes
    stream = dram / bpc
    c, f, rt = cycles[0], fill[0], row_time[0]
    before, after = np.empty(n), np.empty(n)                                       # StreamingModel.latency
    acc = 0.0
    for j in range(n):
        acc += f[j]
        before[j] = acc - f[j]
    acc = 0.0
    for j in range(n - 1, -1, -1):
        acc += rt[j]
        after[j] = acc - rt[j]
    path, slowest, worst = before[0] + c[0] + after[0], c[0], 0
    for j in range(1, n):
        path = maximum(path, before[j] + c[j] + after[j])
        slowest = maximum(slowest, c[j])
    for j in range(n):                                                             # np.argmax: first NaN, else first max
        if np.isnan(c[j]):
            worst = j
            break
        if c[j] > c[worst]:
            worst = j
    mac_lanes = np.empty(mac_idx.size)
    for k in range(mac_idx.size):
        mac_lanes[k] = lanes[0, mac_idx[k]]
    out = _metrics(res, util, f_mhz, f_hz, maximum(path, stream), maximum(slowest, stream), dram,
                   pairwise_sum(mac_lanes, 0, mac_idx.size), macs_total, fab, cap)
    return out + (False, (weight_elems * bits / 8.0 > fab[GIB] * 2**30) and not on, worst, on)


@njit(cache=True, error_model="numpy")
def hybrid_one(tiled_tables: tuple[Any, ...], streaming_tables: tuple[Any, ...], stage_macs: np.ndarray, cut: np.ndarray,
               need_next: np.ndarray, fill_rows: np.ndarray, bounds: np.ndarray, n_parts: int, df_off: np.ndarray,
               groups: int, macs_total: float, weight_elems: float, fab: np.ndarray,
               tm: float, tn: float, buf_kib: float, clock_mhz: float, cap: float, fifo: float, partial: bool,
               choice: np.ndarray) -> tuple[Any, ...]:  # pragma: no cover - compiled
    """:data:`METRICS`, :data:`VIOLATIONS`, each group's mode, cycles and DRAM bytes ``(groups,)`` and the
    reconfiguration cycles of one hybrid design cut into ``groups`` groups (``cut``; ``bounds``
    ``(1, groups, 2)``: each group's stages, ``n_parts`` of them non-empty; ``df_off``: their streamed DRAM bytes
    ``(1, groups)``; ``choice``: their schedule codes ``(1, groups)``):
    ``model.analyze``'s engine resources with InTAR's logic overhead, its group folding
    (``kernels.fold_groups``), group pipelines (``kernels.stage_model``, weights off chip) and schedule
    (``kernels.hybrid_rows``)."""
    rows, is_mac, acc_log, kmax = tiled_tables
    M, N, Kr, Ks, R, C, S, rep, E, row_words, weight_words, out_words, extra_words, kernel = _tiled_rows(rows)
    (key, offset, start, pick, pe_c, simd_c, span, mac_idx, fold_elts, fold_E, macs, MH, MW, pix, lb_words, spatial,
     s_acc_log, elts, s_E, elt_ops, skip, skip_words, out_rows, row_elems, _, _, _) = \
        _streaming_rows(streaming_tables)
    one = np.ones(1)
    bits = fab[BITS]
    is_float, uses_dsp, has_uram = np.full(1, fab[IS_FLOAT] != 0.0), np.full(1, fab[USES_DSP] != 0.0), \
        np.full(1, fab[HAS_URAM] != 0.0)
    res_k, words = kernels.engine_resources(
        one * bits, is_float, one * fab[FP_LUT], uses_dsp, one * fab[SLICE_DIV], has_uram, one * tm, one * tn,
        one * buf_kib, acc_log, kmax, float(ENGINE_CONTROL_LUT), VECTOR_LUT_PER_LANE_BIT, FF_PER_LUT)
    over = 1.0 + (0.0 if partial else INTAR_LUT_OVERHEAD)
    res = np.array([res_k[0, 0], res_k[3, 0], res_k[4, 0], res_k[1, 0] * over, res_k[2, 0] * over])
    util, util_max, f_mhz, f_hz, bpc = _clock(res, fab, clock_mhz)
    e_cycles, _, e_bytes, _, _, ok = kernels.engine(
        M, N, Kr, Ks, R, C, S, rep, E, row_words, weight_words, out_words, extra_words, kernel, is_mac,
        one * (bits / 8.0), one * tm, one * tn, words[0], words[1], one * bpc)
    lanes = one * (tm * tn)
    pe, simd, lanes_e = kernels.fold_groups(key, offset, start, pick, pe_c, simd_c, span, mac_idx, fold_elts, fold_E,
                                            stage_macs, cut, lanes, streaming.FOLD_RELAX_STEPS)
    zero = np.zeros(1)
    (df_cycles, df_lanes, _, _, _, df_bram, df_uram, df_row, df_fill, _, _, _) = kernels.stage_model(
        macs, MH, MW, pix, lb_words, spatial, s_acc_log, elts, s_E, elt_ops, skip, skip_words, out_rows, row_elems,
        need_next, fill_rows, one * bits, has_uram, uses_dsp, one * fab[SLICE_DIV], is_float, one * fab[FP_LUT],
        pe, simd, lanes_e, one * fifo, np.full(1, kernels.PLACE_OFF), zero, zero, zero,
        streaming.ELT_LUT_PER_LANE_BIT, float(streaming.WEIGHT_PREFETCH_DEPTH), FF_PER_LUT)
    mode, cycles, nbytes = kernels.hybrid_rows(
        bounds, np.zeros(1, np.int64), e_cycles, e_bytes, df_cycles, df_fill, df_row, df_lanes, df_bram, df_uram,
        is_mac, df_off, one * (res_k[3, 0] + 8 * res_k[4, 0]), lanes, one * bpc, choice)
    reconfig_s = util_max * CONFIG_BITS_PER_LUT * fab[LUT] / ICAP_BITS_PER_S if partial else INTAR_SWITCH_S
    reconfig = (n_parts - 1) * reconfig_s * f_hz
    lat = pairwise_sum(cycles[0], 0, groups) + reconfig
    out = _metrics(res, util, f_mhz, f_hz, lat, lat, pairwise_sum(nbytes[0], 0, groups), tm * tn, macs_total, fab,
                   cap)
    return out + (not ok[0], weight_elems * bits / 8.0 > fab[GIB] * 2**30, mode[0], cycles[0], nbytes[0], reconfig)
