"""Layer-pipelined streaming architecture (FINN, DNNBuilder, hls4ml io_stream).

One engine per stage, all stages running concurrently on a stream of inferences.

* MAC stage (a FINN MVAU): ``cycles = ceil(MH/PE) · ceil(MW/SIMD) · pix`` (FINN
  ``get_exp_cycles`` [V]); resources from PE × SIMD lanes (DSP packing, FINN-R LUTs), the weight
  memory ``PE·SIMD·W`` bits wide and ``MW·MH/(PE·SIMD)`` deep (FINN-R banding), the sliding-window
  line buffer (``Kr`` input rows) and the output FIFO.
* Eltwise stage (pool, residual add, activation): ``cycles = ceil(E / lanes)``.
* Throughput: ``f / max_i cycles_i`` — the slowest stage; bounded by off-chip traffic when the
  weights stream from DRAM. Latency: the critical path through the pipeline's fill (below).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from simulators.fpga import kernels
from simulators.fpga.fabric import Fabric
from simulators.fpga.layers import StageTable
from simulators.fpga.resources import FF_PER_LUT, acc_log, ceil_div, datapath_lut, memory

FOLD_LIMIT = 4096          # largest PE or SIMD considered for one stage
SKIP_ROWS = 4              # rows a residual skip FIFO holds (two 3×3 convolutions' fill) [heuristic]
WEIGHT_PREFETCH_DEPTH = 512  # words of the FIFO in front of a stage whose weights stream from DRAM
ELT_LUT_PER_LANE_BIT = 1.0  # one LUT per bit per lane per operation (comparator / adder) [U]
FOLD_RELAX_STEPS = 16      # doublings of the folding target in fold_within (2^16 × MACs/lanes: one lane a stage) [D]


# -- folding choices ------------------------------------------------------------------------------

def divisors(n: int) -> list[int]:
    small = [d for d in range(1, int(n ** 0.5) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def fold_values(dim: int, limit: int = FOLD_LIMIT) -> np.ndarray:
    """Heuristic candidates for PE (of ``MH``) or SIMD (of ``MW``): divisors and powers of two."""
    pow2 = [1 << e for e in range(int(np.log2(max(dim, 1))) + 1)]
    return np.array(sorted({v for v in divisors(dim) + pow2 if v <= min(dim, limit)}), dtype=np.int64)


def per_layer_values(dim: int, count: int = 8, limit: int = FOLD_LIMIT) -> tuple[int, ...]:
    """At most ``count`` divisors of ``dim`` (≤ limit), spread on a log scale, 1 always included."""
    divs = [d for d in divisors(dim) if d <= limit]
    if len(divs) <= count:
        return tuple(divs)
    picks = np.unique(np.rint(np.linspace(0, len(divs) - 1, count)).astype(int))
    return tuple(divs[i] for i in picks)


def auto_fold(table: StageTable, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FINN ``SetFolding``: per MAC stage, the fewest lanes whose cycles meet ``target`` (per design);
    stages that cannot meet it get their fastest folding. Eltwise stages get ``ceil(E/target)``
    lanes rounded up to a power of two. Returns ``pe, simd`` of shape ``(D, n_mac)`` and
    eltwise lanes of shape ``(D, n)`` (1 on MAC stages). ``target``: ``(D,)``, or ``(D, n)`` one per stage
    (each stage's choice depends on its own target only). :func:`kernels.fold`, the numbers of
    :func:`auto_fold_arrays`."""
    target = np.asarray(target, dtype=float)
    pack = _fold_pack(table)
    return kernels.fold(pack.key, pack.offset, pack.start, pack.pick, pack.pe, pack.simd, pack.span, table.mac_idx,
                        pack.elts, pack.elt_E, target.reshape(target.shape[0], -1))


def _fold_pack(table: StageTable) -> _FoldPack:
    return table.remember("fold", lambda: _FoldPack.of(table))


def auto_fold_arrays(table: StageTable, target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`auto_fold` as array operations (all stages in one pass): the definition the compiled kernel
    is held to (``tests/test_fpga_single_path.py``)."""
    target = np.asarray(target, dtype=float)
    pack = _fold_pack(table)
    elts = pack.elts
    if target.ndim == 2:
        t_mac, t_elt = target[:, table.mac_idx], target[:, elts]
    else:
        t_mac = t_elt = target.reshape(-1, 1)
    # a stage's cycles are integers, so "cycles ≤ target" is "cycles ≤ floor(target)"; NaN: the slowest
    # (any target at or above a stage's slowest candidate picks the same: the clamp to span − 1 is exact)
    floor = np.floor(t_mac)
    t = np.minimum(np.maximum(np.where(np.isnan(floor), pack.span - 1, floor), -1.0), pack.span - 1)
    idx = np.searchsorted(pack.key, pack.offset + t, side="right") - 1
    pick = np.where(idx >= pack.start, pack.pick[np.maximum(idx, 0)], pack.start)
    pe, simd = pack.pe[pick], pack.simd[pick]
    lanes_e = np.ones((target.shape[0], table.n), dtype=np.int64)
    if elts.size:
        E = table.E[elts]
        need = np.clip(np.ceil(E / np.maximum(t_elt, 1.0)), 1, E)
        lanes_e[:, elts] = np.minimum(2 ** np.ceil(np.log2(need)), E).astype(np.int64)
    return pe, simd, lanes_e


@functools.lru_cache(maxsize=4096)
def _fold_table(mh: float, mw: float, pix: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A MAC stage's (PE, SIMD) candidates sorted by cycles then lanes: ``(cycles, index of the fewest
    lanes among the candidates up to here, PE, SIMD)`` (memoised: it depends on the stage's shape only)."""
    pp, ss = np.meshgrid(fold_values(int(mh)), fold_values(int(mw)), indexing="ij")
    pp, ss = pp.ravel(), ss.ravel()
    cyc = np.ceil(mh / pp) * np.ceil(mw / ss) * pix
    lanes = pp * ss
    order = np.lexsort((lanes, cyc))            # by cycles, then lanes
    cyc, lanes, pp, ss = cyc[order], lanes[order], pp[order], ss[order]
    # fewest lanes among candidates with cycles ≤ target: prefix argmin over sorted cycles
    run_min = np.minimum.accumulate(lanes)
    new_min = np.concatenate([[True], lanes[1:] < run_min[:-1]])
    arg = np.maximum.accumulate(np.where(new_min, np.arange(lanes.size), 0))
    for a in (cyc, arg, pp, ss):
        a.setflags(write=False)     # shared by every call: never modified
    return cyc, arg, pp, ss


@dataclass(frozen=True)
class _FoldPack:
    """Every MAC stage's :func:`_fold_table` in one sorted array (built once per stage table).

    Stage ``j``'s candidate cycles sit at ``key = j·span + cycles`` (``span`` above every stage's
    cycles), so one ``searchsorted`` of ``j·span + floor(target)`` finds each stage's last candidate
    within the target; exact while ``n_mac · span < 2^53``."""

    key: np.ndarray       # (candidates,) stage-major, ascending
    offset: np.ndarray    # (n_mac,) j·span
    start: np.ndarray     # (n_mac,) first candidate of each stage
    pick: np.ndarray      # (candidates,) global index of the fewest-lanes candidate up to each one
    pe: np.ndarray
    simd: np.ndarray
    span: float
    elts: np.ndarray      # indices of the eltwise stages
    elt_E: np.ndarray     # their elements, float

    @classmethod
    def of(cls, table: StageTable) -> _FoldPack:
        tabs = [_fold_table(table.MH[i], table.MW[i], table.pix[i]) for i in table.mac_idx]
        sizes = np.array([len(c) for c, *_ in tabs], dtype=np.int64)
        start = np.cumsum(sizes) - sizes
        span = float(max((c[-1] for c, *_ in tabs), default=0.0)) + 2.0
        offset = np.arange(len(tabs)) * span
        if len(tabs) * span >= 2.0 ** 53:
            raise ConfigError(f"fpga workload: stage cycles up to {span:.3g} over {len(tabs)} MAC stages "
                              f"exceed the exact folding search (n_mac * cycles < 2^53)")

        def flat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        key = flat([o + c for o, (c, *_) in zip(offset, tabs)], float)
        pick = flat([s + a for s, (_, a, _, _) in zip(start, tabs)], np.int64)
        return cls(key, offset, start, pick, flat([t[2] for t in tabs], np.int64),
                   flat([t[3] for t in tabs], np.int64), span, np.flatnonzero(~table.is_mac),
                   table.E[~table.is_mac].astype(float))


def fold_within(table: StageTable, lanes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`auto_fold` for a MAC-lane budget ``lanes`` (``(D,)``): the target ``MACs / lanes``
    is doubled (up to :data:`FOLD_RELAX_STEPS` times) while the folds' lanes exceed the budget,
    since FINN's power-of-two and divisor folds overshoot it. The designs over budget at the first
    target get all their doublings folded in one pass, each keeping its first that fits (else the last)."""
    return fold_groups(table, np.zeros(table.n, dtype=np.int64), lanes)


def fold_groups(table: StageTable, group_of: np.ndarray, lanes: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`fold_within` of each group of stages as if the group were a table of its own: group ``g``'s
    target is ``MACs_g / lanes`` and its doublings stop when *its* folds fit the lanes. ``group_of``: group
    index (≥ 0) of each stage, ``(n,)``, or one row per design ``(D, n)``. :func:`kernels.fold_groups`, the
    numbers of :func:`fold_groups_arrays`."""
    lanes = np.asarray(lanes, dtype=float).reshape(-1)
    if group_of.shape != (lanes.size, table.n):
        group_of = np.broadcast_to(group_of, (lanes.size, table.n))
    group_of = np.ascontiguousarray(group_of, dtype=np.int64)
    pack = _fold_pack(table)
    return kernels.fold_groups(pack.key, pack.offset, pack.start, pack.pick, pack.pe, pack.simd, pack.span,
                               table.mac_idx, pack.elts, pack.elt_E, table.macs, group_of, lanes, FOLD_RELAX_STEPS)


def fold_groups_arrays(table: StageTable, group_of: np.ndarray, lanes: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`fold_groups` as array operations, all groups in one pass: the definition the compiled kernel
    is held to (``tests/test_fpga_single_path.py``)."""
    lanes = np.asarray(lanes, dtype=float)
    group_of = np.broadcast_to(group_of, (lanes.size, table.n))
    groups = np.unique(group_of)
    mac_group = group_of[:, table.mac_idx]
    target = np.empty((lanes.size, table.n))
    for g in groups:
        at = group_of == g
        macs = np.where(at, table.macs, 0).sum(axis=1)              # integers: exact in any order
        target = np.where(at, (macs.astype(float) / lanes)[:, None], target)

    def over_budget(pe: np.ndarray, simd: np.ndarray, budget: np.ndarray, mac_group: np.ndarray) -> np.ndarray:
        used = pe * simd
        return np.stack([np.where(mac_group == g, used, 0).sum(axis=1) for g in groups], axis=1) > budget[:, None]

    pe, simd, lanes_e = auto_fold_arrays(table, target)
    over = over_budget(pe, simd, lanes, mac_group)                   # (D, groups)
    rows = np.flatnonzero(over.any(axis=1))
    if rows.size:
        steps = FOLD_RELAX_STEPS
        doubled = target[rows, None, :] * 2.0 ** np.arange(1, steps + 1)[:, None]     # exact: powers of two
        p2, s2, e2 = auto_fold_arrays(table, doubled.reshape(-1, table.n))
        still = over_budget(p2, s2, np.repeat(lanes[rows], steps), np.repeat(mac_group[rows], steps, axis=0))
        still = still.reshape(rows.size, steps, groups.size)
        k = np.where(still[:, :-1].all(axis=1), steps - 1, np.argmin(still[:, :-1], axis=1))   # (rows, groups)
        # per stage of each relaxed design: whether its group was over budget, and the doubling's row
        at = np.searchsorted(groups, group_of[rows])
        relax = np.take_along_axis(over[rows], at, axis=1)
        src = np.take_along_axis(np.arange(rows.size)[:, None] * steps + k, at, axis=1)
        lanes_e[rows] = np.where(relax, e2[src, np.arange(table.n)], lanes_e[rows])
        mac_relax, mac_src, mac_col = relax[:, table.mac_idx], src[:, table.mac_idx], np.arange(table.mac_idx.size)
        pe[rows] = np.where(mac_relax, p2[mac_src, mac_col], pe[rows])
        simd[rows] = np.where(mac_relax, s2[mac_src, mac_col], simd[rows])
    return pe, simd, lanes_e


def producer_lanes(table: StageTable, pe: np.ndarray) -> np.ndarray:
    """Eltwise lanes for explicit folding: the PE count of the producing MAC stage."""
    lanes = np.ones((pe.shape[0], table.n), dtype=np.int64)
    col = {int(i): j for j, i in enumerate(table.mac_idx)}
    for i in np.flatnonzero(~table.is_mac):
        prod = int(table.producer[i])
        if prod >= 0:
            lanes[:, i] = np.minimum(pe[:, col[prod]], table.E[i])
    return lanes


# -- the model ------------------------------------------------------------------------------------

@dataclass
class StreamingModel:
    """Arrays over designs ``(D,)`` and stages ``(D, n)`` of one streaming evaluation."""

    cycles: np.ndarray          # (D, n) cycles per inference of each stage
    lanes: np.ndarray           # (D, n) MAC lanes (PE·SIMD) or eltwise lanes
    res: dict[str, np.ndarray]  # resource -> (D, n)
    offchip_bytes: np.ndarray   # (D,) DRAM bytes per inference
    fill: np.ndarray            # (D, n) cycles stage i runs before its consumer can start
    row_time: np.ndarray        # (D, n) cycles per output row
    width: np.ndarray           # (D, n) output stream width in elements (PE, or eltwise lanes)
    fifo: np.ndarray            # (D, n) depth in words of each stage's output FIFO

    def totals(self) -> dict[str, np.ndarray]:
        return {k: v.sum(axis=1) for k, v in self.res.items()}

    def ii(self, bytes_per_cycle: np.ndarray) -> np.ndarray:
        """Initiation interval in cycles: slowest stage, or DRAM traffic when that is slower."""
        return np.maximum(self.cycles.max(axis=1), self.offchip_bytes / bytes_per_cycle)

    def latency(self, bytes_per_cycle: np.ndarray) -> np.ndarray:
        """Critical path of one inference: ``max_i (Σ_{j<i} fill_j + cycles_i + Σ_{j>i} row_j)``."""
        before = np.cumsum(self.fill, axis=1) - self.fill
        after = np.cumsum(self.row_time[:, ::-1], axis=1)[:, ::-1] - self.row_time
        path = (before + self.cycles + after).max(axis=1)
        return np.maximum(path, self.offchip_bytes / bytes_per_cycle)


def first_need_rows(table: StageTable) -> np.ndarray:
    """Rows of its producer's stream stage ``i`` needs before its first output row (length n)."""
    own = np.clip(table.Kr - table.pad, 1, table.in_rows)
    prev_rows = np.concatenate([[1], table.out_rows[:-1]])
    return np.ceil(own * prev_rows / np.maximum(table.in_rows, 1))


@dataclass(frozen=True)
class _Stages:
    """The workload-only arrays :func:`streaming` reads (built once per stage table)."""

    macs: np.ndarray
    MH: np.ndarray
    MW: np.ndarray
    pix: np.ndarray
    lb_words: np.ndarray       # Kr · padded input columns · input channels (line buffer before ÷ SIMD)
    spatial: np.ndarray        # MAC stages with a kernel wider than 1
    elts: np.ndarray
    E: np.ndarray              # eltwise elements
    elt_ops: np.ndarray
    skip: np.ndarray           # eltwise stages with a second operand (a skip FIFO)
    skip_words: np.ndarray     # SKIP_ROWS rows of the eltwise input (before ÷ lanes)
    out_rows: np.ndarray       # at least 1
    row_elems: np.ndarray      # (1, n) output elements per row
    need_next: np.ndarray      # rows the next stage needs first (1 after the last)
    fill_rows: np.ndarray      # need_next capped at the stage's own rows
    io_elems: float            # first input and last output elements
    acc_log: np.ndarray        # ceil(log2(max(MW, 2))) of the MAC stages (resources.acc_bits's reduction term)

    @classmethod
    def of(cls, table: StageTable) -> _Stages:
        macs, elts = table.mac_idx, np.flatnonzero(~table.is_mac)
        out_rows = np.maximum(table.out_rows, 1)
        need_next = np.concatenate([first_need_rows(table)[1:], [1.0]])
        return cls(macs, table.MH[macs], table.MW[macs], table.pix[macs],
                   table.Kr[macs] * table.in_cols[macs] * (table.N * table.rep)[macs],
                   (table.Kr[macs] > 1) | (table.Ks[macs] > 1), elts, table.E[elts], table.elt_ops[elts],
                   table.elt_inputs[elts] > 1, SKIP_ROWS * (table.E[elts] / np.maximum(table.in_rows[elts], 1)),
                   out_rows, (table.out_elems / out_rows)[None, :], need_next,
                   np.minimum(need_next, table.out_rows), table.in_elems[0] + table.out_elems[-1],
                   acc_log(table.MW[macs]))


def _weight_bytes(table: StageTable, macs: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """Bytes of the MAC stages' weights at each design's width ``bits`` (memoised per width)."""
    def at(width: float) -> np.floating:
        return table.remember(("weight_bytes", width), lambda: (table.weight_elems[macs] * width / 8.0).sum())

    per_width = {b: at(b) for b in set(bits.tolist())}
    return np.array([per_width[b] for b in bits.tolist()])


def _stages(table: StageTable) -> _Stages:
    return table.remember("stages", lambda: _Stages.of(table))


def _group_stages(table: StageTable, group_of: np.ndarray) -> _Stages:
    """:func:`_stages` of ``table`` cut into contiguous groups (``group_of``: group of each stage, one row per
    design ``(D, n)``), each group a pipeline of its own: its last stage's output leaves the pipeline
    (``need_next`` 1, as the last stage of a table has; ``need_next`` and ``fill_rows`` become ``(D, n)``).
    Per-stage arrays only (``io_elems`` belongs to each group's sub-table)."""
    st = _stages(table)
    last = np.concatenate([group_of[:, 1:] != group_of[:, :-1], np.ones((group_of.shape[0], 1), bool)], axis=1)
    need_next = np.where(last, 1.0, st.need_next)
    return replace(st, need_next=need_next, fill_rows=np.minimum(need_next, table.out_rows), io_elems=np.nan)


def fifo_words(st: _Stages, width: np.ndarray, fifo: np.ndarray) -> np.ndarray:
    """Depth (words) of each stage's output FIFO, ``(D, n)``, for output streams ``width`` elements
    wide ``(D, n)``. A requested depth of 0 means *auto*: room for the rows the consumer's first
    output needs (its whole window), so that the producer can run one window ahead — the depth
    FINN's FIFO sizing converges to for coarse consumers."""
    auto = np.ceil(st.row_elems / np.maximum(width, 1.0) * st.need_next)
    return np.where(fifo <= 0, auto, fifo)


@dataclass(frozen=True)
class Placement:
    """Which designs keep their weights on chip (the ``weight_mem`` knob as :data:`kernels.PLACE_AUTO`/``ON``/
    ``OFF`` codes, ``(D,)``): *auto* when the pipeline's BRAM18 and URAM totals with every weight memory on
    chip fit ``cap`` × the user's budgets ``user_bram``/``user_uram``."""

    code: np.ndarray
    cap: np.ndarray
    user_bram: np.ndarray
    user_uram: np.ndarray

    @classmethod
    def of(cls, weight_mem: np.ndarray, cap: np.ndarray, fab: Fabric) -> Placement:
        """The placement of ``weight_mem`` ("auto"/"on-chip"/"off-chip" per design) within ``cap``."""
        code = np.where(weight_mem == "auto", kernels.PLACE_AUTO,
                        np.where(weight_mem == "on-chip", kernels.PLACE_ON, kernels.PLACE_OFF))
        return cls(code.astype(np.int64), np.asarray(cap, dtype=float), fab.user["bram18k"], fab.user["uram"])

    @classmethod
    def fixed(cls, onchip: np.ndarray) -> Placement:
        """Weights on chip where ``onchip`` (``(D,)``) says."""
        code = np.where(onchip, kernels.PLACE_ON, kernels.PLACE_OFF).astype(np.int64)
        zero = np.zeros(code.size)
        return cls(code, zero, zero, zero)

    def __call__(self, bram18k: np.ndarray, uram: np.ndarray) -> np.ndarray:
        """The placement, from the totals ``(D,)`` with every weight memory on chip."""
        fits = (bram18k <= self.cap * self.user_bram) & (uram <= self.cap * np.maximum(self.user_uram, 0.0))
        return np.where(self.code == kernels.PLACE_AUTO, fits, self.code == kernels.PLACE_ON)


def streaming(table: StageTable, fab: Fabric, pe: np.ndarray, simd: np.ndarray, lanes_e: np.ndarray,
              place: Placement, fifo_depth: np.ndarray) -> tuple[StreamingModel, np.ndarray]:
    """Evaluate a streaming pipeline for ``D`` designs, ``fab`` their devices and precisions, with weights on
    chip where ``place`` says; returns the model and that placement ``(D,)``."""
    model, onchip = _stage_model(_stages(table), fab, pe, simd, lanes_e, place, fifo_depth)
    model.offchip_bytes = offchip_bytes(table, fab.bits, onchip)
    return model, onchip


def offchip_bytes(table: StageTable, bits: np.ndarray, weights_onchip: np.ndarray) -> np.ndarray:
    """DRAM bytes per inference of a streaming pipeline over ``table`` for designs of widths ``bits`` ``(D,)``:
    the weights not on chip (``weights_onchip``, ``(D,)``; all off chip in a hybrid's dataflow group), the
    first stage's input and the last stage's output."""
    st = _stages(table)
    offchip = np.zeros(weights_onchip.size)
    offchip += np.where(weights_onchip, 0.0, _weight_bytes(table, st.macs, bits))
    offchip += st.io_elems * bits / 8.0
    return offchip


def group_streaming(table: StageTable, cuts: np.ndarray, which: np.ndarray, fab: Fabric, pe: np.ndarray,
                    simd: np.ndarray, lanes_e: np.ndarray, fifo_depth: np.ndarray) -> StreamingModel:
    """:func:`streaming` with weights off chip of every contiguous group of stages (``cuts``, ``(C, n)``: the
    group of each stage under each of ``C`` cuts; design ``i`` is cut by ``cuts[which[i]]``) as a pipeline of
    its own, all groups in one pass: the per-stage arrays of each group's pipeline are its columns;
    ``offchip_bytes`` is left 0 (each group's own: :func:`offchip_bytes` of its sub-table). The cuts' stage arrays are memoised per table."""
    onchip = Placement.fixed(np.zeros(pe.shape[0], dtype=bool))
    st = table.remember(("group_stages", cuts.tobytes()), lambda: _group_stages(table, cuts))
    return _stage_model(st, fab, pe, simd, lanes_e, onchip, fifo_depth,
                        which if cuts.shape[0] > 1 else None)[0]      # one cut: its rows serve every design


def _stage_model(st: _Stages, fab: Fabric, pe: np.ndarray, simd: np.ndarray, lanes_e: np.ndarray,
                 place: Placement, fifo_depth: np.ndarray, rows: np.ndarray | None = None
                 ) -> tuple[StreamingModel, np.ndarray]:
    """The per-stage arrays of a streaming pipeline (``offchip_bytes`` 0: the caller's) with weights on chip
    where ``place`` says, and that placement: :func:`kernels.stage_model`, the numbers of
    :func:`stage_model_arrays`. ``rows``: each design's row of ``st.need_next``/``fill_rows`` (``None``: their
    rows as they are, one for every design or one per design)."""
    d = pe.shape[0]
    need_next, fill_rows = np.atleast_2d(st.need_next), np.atleast_2d(st.fill_rows)
    if rows is not None:
        need_next, fill_rows = need_next[rows], fill_rows[rows]
    (cycles, lanes, dsp, lut, ff, bram, uram, row_time, fill, width, depth, onchip) = kernels.stage_model(
        st.macs, st.MH, st.MW, st.pix, st.lb_words, st.spatial, st.acc_log, st.elts, st.E, st.elt_ops, st.skip,
        st.skip_words, st.out_rows, st.row_elems[0], need_next, fill_rows,
        fab.bits, fab.has_uram, fab.uses_dsp, fab.slice_divisor, fab.is_float, fab.fp_lut_per_lane,
        np.ascontiguousarray(pe, dtype=np.int64), np.ascontiguousarray(simd, dtype=np.int64),
        np.ascontiguousarray(lanes_e, dtype=np.int64), np.asarray(fifo_depth, dtype=float).reshape(d),
        place.code, place.cap, place.user_bram, place.user_uram,
        ELT_LUT_PER_LANE_BIT, float(WEIGHT_PREFETCH_DEPTH), FF_PER_LUT)
    res = {"dsp": dsp, "lut": lut, "ff": ff, "bram18k": bram, "uram": uram}
    return StreamingModel(cycles, lanes, res, np.zeros(d), fill, row_time, width, depth), onchip


def stage_model_arrays(st: _Stages, fab: Fabric, pe: np.ndarray, simd: np.ndarray, lanes_e: np.ndarray,
                       onchip: np.ndarray | Placement, fifo_depth: np.ndarray, rows: np.ndarray | None = None
                       ) -> tuple[StreamingModel, np.ndarray]:
    """:func:`_stage_model` as array operations: the definition the compiled kernel is held to
    (``tests/test_fpga_single_path.py``); ``onchip``: ``(D,)``, or a :class:`Placement`."""
    if rows is not None:
        st = replace(st, need_next=st.need_next[rows], fill_rows=st.fill_rows[rows])
    d = pe.shape[0]
    n = lanes_e.shape[1]
    col = fab.col
    bits, has_uram, uses_dsp = col.bits, col.has_uram, col.uses_dsp
    macs = st.macs
    fifo = np.asarray(fifo_depth, dtype=float)[:, None]
    width = lanes_e.astype(float)
    width[:, macs] = pe
    depth = fifo_words(st, width, fifo)

    cycles = np.zeros((d, n))
    lanes = lanes_e.astype(float)
    res = {k: np.zeros((d, n)) for k in ("dsp", "lut", "bram18k", "uram")}

    # eltwise stages
    elts = st.elts
    if elts.size:
        le = lanes[:, elts]
        cycles[:, elts] = ceil_div(st.E, le)
        res["lut"][:, elts] = 100.0 + le * bits * st.elt_ops * ELT_LUT_PER_LANE_BIT
        skip_depth = np.where(st.skip, st.skip_words / le, 0.0)
        sb, su, sl = memory(le * bits, skip_depth, has_uram)
        res["lut"][:, elts] += sl
        res["bram18k"][:, elts] = sb
        res["uram"][:, elts] = su

    # MAC stages
    nf, sf = ceil_div(st.MH, pe), ceil_div(st.MW, simd)
    cycles[:, macs] = nf * sf * st.pix
    ln = (pe * simd).astype(float)
    lanes[:, macs] = ln
    res["dsp"][:, macs] = np.where(uses_dsp, np.ceil(ln / col.slice_divisor), 0.0)
    lut = datapath_lut(pe, simd, bits, col.is_float, col.fp_lut_per_lane, st.MW, uses_dsp)
    # the weight memory (on chip: all the weights; off chip: a prefetch FIFO; both when the placement
    # depends on the totals), the line buffer and the output FIFO of each MAC stage, in one call
    wdepth = nf * sf
    if callable(onchip):
        wdepths = [wdepth, np.full_like(wdepth, WEIGHT_PREFETCH_DEPTH)]
    else:
        wdepths = [np.where(onchip[:, None], wdepth, WEIGHT_PREFETCH_DEPTH)]
    lb_depth = np.where(st.spatial, st.lb_words / simd, 0.0)
    bram, uram, lutram = memory(np.stack([ln * bits] * len(wdepths) + [simd * bits, pe * bits]),
                                np.stack([*wdepths, lb_depth, depth[:, macs]]), has_uram)
    (lbb, fb), (lbu, fu), (lbl, fl) = bram[-2:], uram[-2:], lutram[-2:]
    if callable(onchip):
        on_bram, on_uram = res["bram18k"].copy(), res["uram"].copy()
        on_bram[:, macs], on_uram[:, macs] = bram[0] + lbb + fb, uram[0] + lbu + fu
        onchip = np.asarray(onchip(on_bram.sum(axis=1), on_uram.sum(axis=1)), dtype=bool)
        keep = onchip[:, None]
        wb, wu, wl = np.where(keep, bram[0], bram[1]), np.where(keep, uram[0], uram[1]), \
            np.where(keep, lutram[0], lutram[1])
    else:
        wb, wu, wl = bram[0], uram[0], lutram[0]
    res["lut"][:, macs] = lut + wl + lbl + fl
    res["bram18k"][:, macs] = wb + lbb + fb
    res["uram"][:, macs] = wu + lbu + fu
    res["ff"] = res["lut"] * 1.3

    row_time = cycles / st.out_rows
    fill = row_time * st.fill_rows
    res = {k: res[k] for k in ("dsp", "lut", "ff", "bram18k", "uram")}
    return StreamingModel(cycles, lanes, res, np.zeros(d), fill, row_time, width, depth), np.asarray(onchip)
