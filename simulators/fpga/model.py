"""The analytical FPGA model: resources → feasibility and clock → time → power, vectorised.

:func:`analyze` evaluates ``D`` designs, each on its own device and precision (a
:class:`~simulators.fpga.fabric.Fabric` of per-design constants), for the three architecture styles:

``streaming``  one pipeline of per-layer engines (:mod:`streaming`);
``tiled``      one ``Tm × Tn`` engine reused layer after layer (:mod:`tiled`);
``hybrid``     InTAR's schedule: the layers are cut into ``groups`` contiguous groups; each group
               runs either *sequentially* on the tiled engine (intermediates through DRAM) or as a
               *dataflow* pipeline carved out of the same PE array (intermediates on chip, weights
               streamed), whichever is faster (or as the ``sched_*`` knobs say), with a
               reconfiguration between groups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from simulators.fpga import kernels, power
from simulators.fpga.fabric import RESOURCES, Fabric, stacked
from simulators.fpga.layers import StageTable
from simulators.fpga.precision import PRECISIONS
from simulators.fpga.resources import achieved_clock
from simulators.fpga.streaming import (
    Placement,
    StreamingModel,
    auto_fold,
    fold_groups,
    group_streaming,
    offchip_bytes,
    producer_lanes,
    streaming,
)
from simulators.fpga.tiled import TiledModel, engine, engine_resources

DRAM_EFFICIENCY = 0.85          # sustained / peak off-chip bandwidth for long bursts [U]
INTAR_SWITCH_S = 15e-9          # InTAR runtime mode switch, 10–20 ns (InTAR README) [V]
INTAR_LUT_OVERHEAD = 0.15       # reconfigurable interconnect and mode control, fraction of engine LUTs [U]
CONFIG_BITS_PER_LUT = 800.0     # bitstream bits per LUT of a region, ≈ XCZU9EG 212 Mb / 274 k LUT [U]
ICAP_BITS_PER_S = 3.2e9         # ICAP 32 bit × 100 MHz (UG909) [U]
_V = TypeVar("_V")
_LOGIC = [RESOURCES.index("lut"), RESOURCES.index("ff")]    # the engine resources InTAR's overhead grows
_CLOCK = [RESOURCES.index(r) for r in ("dsp", "bram18k", "uram", "lut")]   # the utilisations that set the clock
#: the precisions' widths in bits, ascending (every design's ``Fabric.bits`` is one of them)
WIDTHS = np.array(sorted({float(p.bits) for p in PRECISIONS.values()}))


@dataclass
class Pipeline:
    """The streaming style over the ``S`` streaming designs of a batch, in batch order (a design of another style
    never needs it): folding, weight placement, the pipeline model."""

    pe: np.ndarray                       # (S, n_mac)
    simd: np.ndarray
    weights_onchip: np.ndarray           # (S,)
    model: StreamingModel


@dataclass(frozen=True)
class Dataflow:
    """The ``R`` hybrid designs of a batch and their dataflow groups' pipelines (what the cycle level walks)."""

    rows: np.ndarray                     # (R,) the hybrid designs' rows of the batch
    counts: tuple[int, ...]              # their distinct group counts
    count_of: np.ndarray                 # (R,) each design's index into counts
    bounds: np.ndarray                   # (C, G, 2) :func:`group_bounds` of counts
    model: StreamingModel | None         # :func:`dataflow_groups` over the R designs (None: R = 0)
    offchip_bytes: np.ndarray            # (R, G) :func:`dataflow_bytes`


@dataclass
class Analysis:
    """Everything one batch evaluation computed (arrays over the ``D`` designs; the streaming pipeline's over the
    streaming designs only). The analytical metrics, the streaming pipeline and the tiled engine's timing are
    built on first use: a batch without a streaming (or without a tiled/hybrid) design never needs them."""

    fabric: Fabric                       # the designs' devices and precisions
    timing: Callable[[], dict[str, np.ndarray]]   # memoised: the analytical metrics
    violations: dict[str, np.ndarray]
    group_mode: np.ndarray               # (D, G) True = dataflow
    f_mhz: np.ndarray
    # res/util/lanes/bpc (bytes per cycle), is_s/is_t; hybrid: group_cycles and group_bytes (D, G)
    # (cycles and DRAM bytes of each group), reconfig_cycles (D,) (all switches of one inference),
    # dataflow: the hybrid designs' dataflow groups (:class:`Dataflow`)
    extra: dict[str, Any]
    pipeline: Callable[[], Pipeline]     # memoised
    timed_engine: Callable[[], TiledModel]   # memoised

    @property
    def metrics(self) -> dict[str, np.ndarray]:
        """The analytical metrics (computed on first use: a cycle-level batch times the designs its own way)."""
        return self.timing()

    @property
    def stream(self) -> StreamingModel:
        return self.pipeline().model

    @property
    def pe(self) -> np.ndarray:
        return self.pipeline().pe

    @property
    def simd(self) -> np.ndarray:
        return self.pipeline().simd

    @property
    def weights_onchip(self) -> np.ndarray:
        return self.pipeline().weights_onchip

    @property
    def engine(self) -> TiledModel:
        return self.timed_engine()


def group_index(table: StageTable, groups: int) -> np.ndarray:
    """Cut the stage list into ``groups`` contiguous groups with about equal MAC-stage counts."""
    mac_rank = np.cumsum(table.is_mac) - 1
    n_mac = max(int(table.is_mac.sum()), 1)
    g = np.minimum((np.maximum(mac_rank, 0) * groups) // n_mac, groups - 1)
    return g.astype(np.int64)


def group_stages(table: StageTable, groups: int) -> list[tuple[int, np.ndarray]]:
    """``(g, stage indices)`` of each non-empty group of :func:`group_index`, in execution order
    (a workload with fewer MAC stages than ``groups`` leaves some groups empty); memoised per
    table (read the result, never modify it)."""
    def build() -> list[tuple[int, np.ndarray]]:
        gi = group_index(table, groups)
        return [(g, idx) for g in range(groups) if (idx := np.flatnonzero(gi == g)).size]

    return table.remember(("groups", groups), build)


def dataflow_groups(table: StageTable, counts: tuple[int, ...], count_of: np.ndarray, fab: Fabric, lanes: np.ndarray,
                    fifo: np.ndarray) -> StreamingModel:
    """Each non-empty group of :func:`group_stages` as an InTAR *dataflow* group for ``D`` designs, design ``i``
    cut into ``counts[count_of[i]]`` groups: its streaming pipeline carved out of the engine's ``lanes = Tm·Tn``
    MAC lanes (``(D,)``, folded by :func:`fold_within` of the group's stages alone), weights streamed from DRAM,
    the group's input and output activations through DRAM (:func:`dataflow_bytes`). ``fab``: the designs'
    devices and precisions; ``fifo``: FIFO depth knob in words, ``(D,)``. Every design's groups are folded and
    modelled in one pass over the table (:func:`fold_groups`, :func:`group_streaming`): group ``g``'s pipeline
    is the returned model's columns ``lo:hi`` of its stages (:func:`group_bounds`), with the numbers of its
    sub-table alone. :func:`kernels.hybrid_rows` says whether a group's lanes and memories fit the engine's."""
    cuts = table.remember(("group_of", counts), lambda: np.stack([group_index(table, c) for c in counts]))
    pe, simd, lanes_e = fold_groups(table, cuts[count_of], np.asarray(lanes, dtype=float))
    return group_streaming(table, cuts, count_of, fab, pe, simd, lanes_e, fifo)


def dataflow_bytes(table: StageTable, counts: tuple[int, ...], count_of: np.ndarray, bits: np.ndarray,
                   g_max: int) -> np.ndarray:
    """``(R, g_max)`` DRAM bytes of each group's dataflow pipeline of ``R`` hybrid designs of widths ``bits`` ``(R,)``,
    design ``i`` cut into ``counts[count_of[i]]`` groups (0 for an empty group): rows of :func:`dataflow_table`."""
    out = np.zeros((count_of.size, g_max))
    out[:, :max(counts)] = dataflow_table(table, counts)[count_of * WIDTHS.size + np.searchsorted(WIDTHS, bits)]
    return out


def dataflow_table(table: StageTable, counts: tuple[int, ...]) -> np.ndarray:
    """``(C·W, max(counts))``: row ``c·W + w`` holds each group's DRAM bytes as a dataflow pipeline of its own
    (:func:`offchip_bytes` of its sub-table, every weight streamed) of designs cut into ``counts[c]`` groups at
    width ``WIDTHS[w]`` (``W`` widths), 0 for an empty group (memoised per table and ``counts``; read it only)."""
    def build() -> np.ndarray:
        out = np.zeros((len(counts) * WIDTHS.size, max(counts)))
        off = np.zeros(1, dtype=bool)
        for c, count in enumerate(counts):
            for g, idx in group_stages(table, count):
                sub = _group_table(table, idx)
                for w in range(WIDTHS.size):
                    out[c * WIDTHS.size + w, g] = offchip_bytes(sub, WIDTHS[w:w + 1], off)[0]
        out.setflags(write=False)
        return out

    return table.remember(("dataflow_bytes", counts), build)


def group_bounds(table: StageTable, counts: tuple[int, ...], g_max: int) -> np.ndarray:
    """``(C, G, 2)``: stages ``lo:hi`` of each non-empty group of each group count ``counts`` (-1 elsewhere),
    ``G = g_max`` (memoised per table)."""
    def build() -> np.ndarray:
        out = np.full((len(counts), g_max, 2), -1, dtype=np.int64)
        for c, count in enumerate(counts):
            for g, idx in group_stages(table, count):
                out[c, g] = idx[0], idx[-1] + 1
        return out

    return table.remember(("group_bounds", counts, g_max), build)


def _rows(a: np.ndarray, idx: np.ndarray, whole: bool) -> np.ndarray:
    """``a[idx]``, or ``a`` itself when ``idx`` takes every row (``whole``)."""
    return a if whole else a[idx]


def _schedule_codes(sched: np.ndarray | None, d: int, groups: int) -> np.ndarray:
    """The ``sched_*`` knobs ``(D, ≤ groups)`` (``None``: none) as :func:`kernels.hybrid_rows` codes
    ``(D, groups)`` (0 auto, 1 dataflow, 2 sequential; auto where a design has no knob)."""
    code = np.zeros((d, groups), dtype=np.int64)
    if sched is not None:
        sched = np.asarray(sched, dtype=object)
        k = min(sched.shape[1], groups)
        code[:, :k] = np.where(sched[:, :k] == "auto", 0, np.where(sched[:, :k] == "dataflow", 1, 2))
    return code


def distinct(values: np.ndarray) -> tuple[tuple[int, ...], np.ndarray]:
    """``np.unique(values, return_inverse=True)`` of non-negative integers (integer-valued floats too), as a
    tuple of Python ints and the inverse (one comparison when every value is the same; else a count per value,
    cheaper than sorting for the small values here: group counts, bit widths)."""
    if (values == values[0]).all():
        return (int(values[0]),), np.zeros(values.size, dtype=np.int64)
    ints = values.astype(np.int64)
    present = np.bincount(ints) > 0
    return tuple(np.flatnonzero(present).tolist()), (np.cumsum(present) - 1)[ints]


def _group_table(table: StageTable, idx: np.ndarray) -> StageTable:
    """Stages ``idx`` of ``table`` as a table of their own (memoised per table)."""
    return table.remember(("sub", idx.tobytes()), lambda: _subtable(table, idx))


def _subtable(table: StageTable, idx: np.ndarray) -> StageTable:
    fields = {k: getattr(table, k)[idx] for k in ("is_mac", "M", "N", "Kr", "Ks", "R", "C", "S", "pad", "rep",
                                                  "in_rows", "in_cols", "E", "elt_ops", "elt_inputs")}
    pos = {int(i): j for j, i in enumerate(idx)}
    producer = np.array([pos.get(int(p), -1) for p in table.producer[idx]], dtype=np.int64)
    return StageTable(tuple(table.names[i] for i in idx), producer=producer, **fields)


def _pipeline(table: StageTable, fab: Fabric, cols: dict[str, np.ndarray], lanes: np.ndarray, rows: np.ndarray
              ) -> Pipeline:
    """The streaming style of designs ``rows`` (ascending): folding (explicit ``pe``/``simd`` columns, else
    :func:`auto_fold` to ``MACs / lanes``) and on-chip/off-chip weights (``weight_mem``; ``auto``: on chip when
    the memories fit ``util_cap``). Each design's numbers are element-wise its own."""
    whole = rows.size == lanes.size                  # every design: the arrays as they are

    def pick(a: Any, dtype: Any) -> np.ndarray:
        return _rows(np.asarray(a, dtype=dtype), rows, whole)

    fab = fab.take(rows)
    if cols.get("pe") is not None:
        pe, simd = pick(cols["pe"], np.int64), pick(cols["simd"], np.int64)
        lanes_e = producer_lanes(table, pe)
    else:
        pe, simd, lanes_e = auto_fold(table, float(table.macs.sum()) / pick(lanes, float))
    fifo = pick(cols["fifo_depth"], float)
    place = Placement.of(pick(cols["weight_mem"], object), pick(cols["util_cap"], float), fab)
    stream, onchip = streaming(table, fab, pe, simd, lanes_e, place, fifo)
    return Pipeline(pe, simd, onchip, stream)


def _once(build: Callable[[], _V]) -> Callable[[], _V]:
    """``build`` called on first use only (its result kept): parts of the model a batch may not need."""
    box: list[_V] = []

    def get() -> _V:
        if not box:
            box.append(build())
        return box[0]

    return get


def _styles(is_s: np.ndarray, sides: tuple[bool, bool], s: Callable[[], Any], other: Callable[[], Any]) -> Any:
    """``np.where(is_s, s(), other())`` with ``s()`` over the streaming designs only (the last axis' entries
    ``is_s``), calling only the side(s) some design takes (``sides``: whether any design is streaming, whether
    any is not; 0.0 stands in for the other: every caller's values are float)."""
    if not sides[1]:
        return np.where(is_s, s(), 0.0)
    if not sides[0]:
        return np.where(is_s, 0.0, other())
    out = np.array(other(), dtype=float)
    out[..., is_s] = s()
    return out


def analyze(table: StageTable, fab: Fabric, cols: dict[str, np.ndarray]) -> Analysis:
    """Evaluate ``D`` designs on the devices and precisions of ``fab`` (``cols``: one array per knob;
    ``pe``/``simd`` ``(D, n_mac)`` when folding is explicit; ``sched`` ``(D, G)`` of
    "dataflow"/"sequential"/"auto")."""
    style = np.asarray(cols["style"], dtype=object)
    d = style.shape[0]
    tm = np.asarray(cols["tm"], dtype=float)
    tn = np.asarray(cols["tn"], dtype=float)
    cap = np.asarray(cols["util_cap"], dtype=float)
    is_s, is_t = style == "streaming", style == "tiled"
    n_s = int(np.count_nonzero(is_s))
    sides = (n_s > 0, n_s < d)
    pipeline = _once(lambda: _pipeline(table, fab, cols, tm * tn, np.flatnonzero(is_s)))

    # -- resources per style, (RESOURCES, D) -------------------------------------------------------
    engine_res = _once(lambda: engine_resources(table, fab, tm, tn, cols["buf_kib"]))
    hybrid_partial = np.asarray(cols["reconfig"], dtype=object) == "partial"

    def engine_side() -> np.ndarray:
        e = stacked(engine_res()[0])
        h = e.copy()
        h[_LOGIC] = e[_LOGIC] * (1.0 + np.where(hybrid_partial, 0.0, INTAR_LUT_OVERHEAD))
        return np.where(is_t, e, h)

    res_rd = _styles(is_s, sides, lambda: stacked(pipeline().model.totals()), engine_side)
    users = fab.users
    util_rd = np.divide(res_rd, users, out=np.where(res_rd > 0, np.inf, 0.0), where=users > 0)
    res, util = dict(zip(RESOURCES, res_rd)), dict(zip(RESOURCES, util_rd))
    util_max = util_rd[_CLOCK].max(axis=0)
    f_mhz = achieved_clock(np.asarray(cols["clock_mhz"], dtype=float), fab.clock_max_mhz, util_max)
    f_hz = f_mhz * 1e6
    bpc = fab.offchip_gbps * 1e9 * DRAM_EFFICIENCY / f_hz

    # -- time ------------------------------------------------------------------------------------
    timed = _once(lambda: engine(table, fab, tm, tn, cols["buf_kib"], bpc, engine_res()))
    gmax = int(np.max(cols["groups"]))
    h_lat = np.zeros(d)
    h_bytes = np.zeros(d)
    group_mode = np.zeros((d, gmax), dtype=bool)
    group_cycles = np.zeros((d, gmax))           # cycles of each group (0: empty group)
    group_bytes = np.zeros((d, gmax))            # DRAM bytes of each group
    reconfig_cycles = np.zeros(d)                # all switches between groups of one inference
    dataflow = Dataflow(np.zeros(0, np.int64), (), np.zeros(0, np.int64), np.zeros((0, gmax, 2), np.int64), None,
                        np.zeros((0, gmax)))
    need_h = ~(is_s | is_t)
    if need_h.any():
        groups = np.asarray(cols["groups"], dtype=np.int64)
        e_tot = engine_res()[0]
        buf_mem = e_tot["bram18k"] + 8 * e_tot["uram"]
        fifo = np.asarray(cols["fifo_depth"], dtype=float)
        reconfig_s = np.where(hybrid_partial, util_max * CONFIG_BITS_PER_LUT * fab.lut / ICAP_BITS_PER_S,
                              INTAR_SWITCH_S)
        hyb = np.flatnonzero(need_h)
        counts, h_count = distinct(groups[hyb])
        fab_h = fab.take(hyb)
        df_model = dataflow_groups(table, counts, h_count, fab_h, tm[hyb] * tn[hyb], fifo[hyb])
        df_off = dataflow_bytes(table, counts, h_count, fab_h.bits, gmax)
        bounds = group_bounds(table, counts, gmax)
        dataflow = Dataflow(hyb, counts, h_count, bounds, df_model, df_off)
        whole = hyb.size == d                            # every design: the arrays as they are
        e = [_rows(a, hyb, whole) for a in (timed().cycles, timed().dram_bytes, buf_mem)]
        mode, cyc, nbytes = kernels.hybrid_rows(
            bounds, h_count, e[0], e[1], df_model.cycles, df_model.fill, df_model.row_time, df_model.lanes,
            df_model.res["bram18k"], df_model.res["uram"], table.is_mac, df_off, e[2], tm[hyb] * tn[hyb], bpc[hyb],
            _schedule_codes(cols.get("sched"), d, gmax)[hyb])
        group_mode[hyb], group_cycles[hyb], group_bytes[hyb] = mode, cyc, nbytes
        n_parts = (bounds[:, :, 0] >= 0).sum(axis=1)
        reconfig_cycles[hyb] = (n_parts[h_count] - 1) * reconfig_s[hyb] * f_hz[hyb]
        h_lat = group_cycles.sum(axis=1) + reconfig_cycles
        h_bytes = group_bytes.sum(axis=1)

    lanes = _styles(is_s, sides, lambda: pipeline().model.lanes[:, table.is_mac].sum(axis=1), lambda: tm * tn)

    def analytical() -> dict[str, np.ndarray]:
        lat_cycles = _styles(is_s, sides, lambda: pipeline().model.latency(bpc[is_s]),
                             lambda: np.where(is_t, timed().cycles.sum(axis=1), h_lat))
        ii_cycles = _styles(is_s, sides, lambda: pipeline().model.ii(bpc[is_s]), lambda: lat_cycles)
        dram = _styles(is_s, sides, lambda: pipeline().model.offchip_bytes,
                       lambda: np.where(is_t, timed().dram_bytes.sum(axis=1), h_bytes))
        return time_metrics(table, fab, res, util, f_mhz, lat_cycles, ii_cycles, dram, lanes)

    weight_bytes = float(table.weight_elems.sum()) * fab.bits / 8.0
    violations = dict(zip([f"{r}_budget" for r in RESOURCES], res_rd > cap * users + 1e-9))
    violations["tile_buffer"] = ~is_s & ~timed().buffer_ok if sides[1] else ~is_s
    streamed_onchip = is_s.copy()
    if sides[0]:
        streamed_onchip[is_s] = pipeline().weights_onchip
    violations["dram_capacity"] = (weight_bytes > fab.offchip_gib * 2**30) & ~streamed_onchip
    return Analysis(fab, _once(analytical), violations, group_mode, f_mhz,
                    {"res": res, "util": util, "lanes": lanes, "bpc": bpc, "is_s": is_s, "is_t": is_t,
                     "group_cycles": group_cycles, "group_bytes": group_bytes, "reconfig_cycles": reconfig_cycles,
                     "dataflow": dataflow},
                    pipeline, timed)


def time_metrics(table: StageTable, fab: Fabric, res: dict[str, np.ndarray], util: dict[str, np.ndarray],
                 f_mhz: np.ndarray, lat_cycles: np.ndarray, ii_cycles: np.ndarray, dram: np.ndarray,
                 lanes: np.ndarray) -> dict[str, np.ndarray]:
    """Metrics from resources and times: throughput from the initiation interval, energy per
    inference = (static + dynamic power) × interval + DRAM energy, power = energy / interval.
    Throughput counts MAC operations (2 per MAC), as the MAC lanes' peak does: element-wise work
    runs on LUT logic outside that peak, so counting it would let throughput exceed the peak."""
    f_hz = f_mhz * 1e6
    macs_total = float(table.macs.sum())
    period_s = ii_cycles / f_hz
    latency_s = lat_cycles / f_hz
    inf_per_s = 1.0 / period_s
    peak = 2.0 * lanes * f_hz
    utilization = (2.0 * macs_total * inf_per_s) / peak
    p_dyn = power.dynamic_power_w(fab.dynamic_uw_per_mhz, f_mhz, res, utilization)
    energy = (fab.static_w + p_dyn) * period_s + power.dram_energy_j(fab.dram_pj_per_byte, dram)
    metrics = {
        "latency_s": latency_s, "cycles": lat_cycles, "ii_cycles": ii_cycles, "energy_j": energy,
        # average power over the initiation interval (a streaming pipeline overlaps inferences, so
        # energy / latency would understate it); EDP comes from archgym.metrics.derive
        "power_w": energy / period_s,
        "throughput_ops_per_s": 2.0 * macs_total * inf_per_s, "throughput_inf_per_s": inf_per_s, "peak_ops_per_s": peak,
        "utilization": utilization, "dram_bytes": dram, "clock_mhz": f_mhz, "mac_lanes": lanes,
    }
    for r in RESOURCES:
        metrics[r] = res[r]
        metrics[f"{r}_util"] = util[r]
    return metrics
