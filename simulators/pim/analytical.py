"""Whole-workload PIM model, vectorised over designs × operators: per-operator placement (PIM or
host), per-job PIM mapping, sub-batch interleaving, the host-only baseline and the metrics.

Every distinct job of every operator is one column of a ``(designs, jobs)`` grid (the mapper's
candidates one more axis, :func:`.gemv.best_pim_jobs`), costed and summed into operators by
compiled element-wise kernels (:mod:`.kernels`), so one evaluation costs a fixed number of calls
whatever the depth of the network and the batch. Times are summed in topological
order (one token step of a decoder runs its operators one after another); with two sub-batches the
PIM side P and the host side H of both halves overlap: ``T ≈ max(P, H) + min(P, H) / 2`` (a
two-stage pipeline of two items). The fidelity matters in one place: the cycle model replaces the
PIM time of each job with the command-level simulation of the same mapping (:mod:`.cycle`).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.workload import Op, Workload
from simulators.common.lazy import cached
from simulators.common.memo import remember
from simulators.pim import energy, gemv, kernels
from simulators.pim.gemv import Hardware, Job, JobCost, Jobs
from simulators.pim.hardware import HW_PARAMS, PIMConfig, capacity_bytes
from simulators.pim.mapping import PLACES, half_batch, is_attention, jobs, resident_elems


@dataclass(frozen=True)
class Plan:
    """A workload's operators as arrays: MAC operators and their jobs (one entry per job, in order),
    and the workload totals the metrics need (built once per workload object)."""

    ops: tuple[Op, ...]
    mac: np.ndarray             # indices (into ``ops``) of the MAC operators
    elt: np.ndarray             # indices of the element-wise operators
    elt_flops: np.ndarray       # flops of each element-wise operator
    job_list: tuple[Job, ...]   # every job of every MAC operator
    job_op: np.ndarray          # index into ``mac`` of each job's operator
    starts: np.ndarray          # first job of each MAC operator
    op_jobs: tuple[tuple[tuple[int, int], ...], ...]  # (job index, position in the op) of each MAC op
    op_macs: tuple[int, ...]    # MACs of every operator
    mac_macs: np.ndarray        # MACs of each MAC operator (float)
    place_group: tuple[str, ...]  # shared placement column of each MAC operator
    total_flops: float
    total_macs: float
    batch: int                  # sequences per step (tokens/s = batch / latency)
    resident_elems: int         # weights and KV cache that live in the PIM memory
    dedup: dict[tuple[Any, ...], tuple[Jobs, np.ndarray, np.ndarray]] = field(default_factory=dict)
    sources: dict[tuple[Any, ...], tuple[str, ...]] = field(default_factory=dict)
    row_keys: dict[tuple[str, ...], tuple[Any, ...]] = field(default_factory=dict)
    singles: dict[Any, Any] = field(default_factory=dict)   # :mod:`.single`'s set-ups of one design

    @classmethod
    def of(cls, workload: Workload) -> Plan:
        plan = _PLANS.get(workload)
        if plan is None:
            ops = tuple(workload.ops)
            mac = np.array([i for i, op in enumerate(ops) if op.kind != "eltwise"], dtype=np.int64)
            elt = np.array([i for i, op in enumerate(ops) if op.kind == "eltwise"], dtype=np.int64)
            per_op = [jobs(ops[i]) for i in mac]
            job_op = np.array([o for o, js in enumerate(per_op) for _ in js], dtype=np.int64)
            layers = workload.layers
            plan = _PLANS[workload] = cls(
                ops, mac, elt, np.array([float(ops[i].flops) for i in elt]), tuple(j for js in per_op for j in js),
                job_op, np.searchsorted(job_op, np.arange(len(mac))),
                tuple(tuple((q, p) for p, q in enumerate(np.flatnonzero(job_op == o).tolist()))
                      for o in range(len(mac))), tuple(op.macs for op in ops),
                np.array([float(ops[i].macs) for i in mac]),
                tuple("attn_place" if is_attention(ops[i]) else "fc_place" for i in mac),
                float(workload.total_flops), float(workload.total_macs),
                max([op.dims.get("B", 1) for op in layers] or [1]), sum(resident_elems(op) for op in layers))
        return plan

    def unique_jobs(self, s_src: tuple[str, ...], m_src: tuple[str, ...]) -> tuple[Jobs, np.ndarray, np.ndarray]:
        """(the distinct jobs, the MAC operator of each, each job's position among them): jobs of the
        same shape that read the same mapping columns cost the same, so each is costed once."""
        def build() -> tuple[Jobs, np.ndarray, np.ndarray]:
            index: dict[tuple[Any, ...], int] = {}
            reps: list[int] = []
            inverse = []
            for j, (job, o) in enumerate(zip(self.job_list, self.job_op)):
                k = (job, s_src[o], m_src[o])
                if k not in index:
                    index[k] = len(reps)
                    reps.append(j)
                inverse.append(index[k])
            return (Jobs.of([self.job_list[j] for j in reps]), self.job_op[reps], np.array(inverse, dtype=np.int64))

        return remember(self.dedup, (s_src, m_src), build, MEMO_LIMIT)

    def choice_keys(self, names: tuple[str, ...]) -> tuple[tuple[tuple[str, str, int], ...] | None, ...]:
        """Per operator: None for an element-wise one, else the (row key, choice name, job column)
        of each of its jobs' mapping choices ``names`` (``KEY``, ``KEY1``, … for its jobs 0, 1, …);
        memoised per ``names``."""
        def build() -> tuple[tuple[tuple[str, str, int], ...] | None, ...]:
            mac_of = {int(i): j for j, i in enumerate(self.mac)}
            return tuple(None if i not in mac_of else
                         tuple((f"{k}{'' if p == 0 else p}", k, q) for q, p in self.op_jobs[mac_of[i]] for k in names)
                         for i in range(len(self.ops)))

        return remember(self.row_keys, names, build, MEMO_LIMIT)

    @cached
    def names(self) -> tuple[str, ...]:
        return tuple(op.name for op in self.ops)

    @cached
    def kinds(self) -> tuple[str, ...]:
        return tuple(op.kind for op in self.ops)

    def knob_sources(self, names: tuple[str, ...], key: str, shared: tuple[str, ...]) -> Knob:
        """Where each MAC operator reads knob ``key`` from, given the design's column ``names``:
        ``OP.key``, else its ``shared`` column, else "" (the default); memoised per column set."""
        def build() -> Knob:
            present = set(names)
            own = [f"{self.ops[i].name}.{key}" for i in self.mac]
            srcs = tuple(o if o in present else (s if s in present else "") for o, s in zip(own, shared))
            distinct = tuple(dict.fromkeys(srcs))
            return Knob(srcs, distinct, np.array([distinct.index(x) for x in srcs], dtype=np.int64))

        return remember(self.sources, (names, key, shared), build, MEMO_LIMIT)

    @cached
    def bounds(self) -> np.ndarray:
        """MAC operator ``o``'s jobs are ``job_list[bounds[o]:bounds[o + 1]]``."""
        return np.append(self.starts, len(self.job_list)).astype(np.int64)


@dataclass(frozen=True)
class Knob:
    """Where the MAC operators read a mapping knob: the column of each ("" = the default), the
    distinct ones in order of first use, and each operator's index among them."""

    srcs: tuple[str, ...]
    distinct: tuple[str, ...]
    index: np.ndarray


_PLANS: weakref.WeakKeyDictionary[Workload, Plan] = weakref.WeakKeyDictionary()
#: entries a Plan memo keeps (one per column set or mapping-source pattern seen; a space has a few)
MEMO_LIMIT = 64


#: the per-operator quantities of :class:`OpCosts`, rows of its block in this order
OP_FIELDS = ("ns", "pj", "ext_bytes", "pim_ns", "pim_macs", "host_ns", "host_pj")


def _block_row(name: str, doc: str | None = None) -> Any:
    """A read-only property: row ``name`` of :class:`OpCosts`' block, ``(designs, ops)``."""
    i = OP_FIELDS.index(name)
    return property(lambda self: self.block[i], doc=doc)


@dataclass
class OpCosts:
    """Every operator over the designs: one block ``(OP_FIELDS, designs, ops)`` (ns, pJ, bytes; each
    row also a property) and, for the MAC operators, the chosen placement and per-job mapping."""

    plan: Plan
    on_pim: np.ndarray          # (designs, MAC ops)
    block: np.ndarray           # (OP_FIELDS, designs, ops)
    reg_bad: np.ndarray         # (designs,) some op on PIM whose tile does not fit the registers
    unique: JobCost             # the chosen PIM cost of each distinct job (designs, distinct jobs)
    inverse: np.ndarray         # each job's position among the distinct ones
    totals: np.ndarray          # (OP_FIELDS, designs): each row summed over the ops in their order

    @cached
    def job(self) -> JobCost:
        """The chosen PIM cost of every job (designs, jobs)."""
        return self.unique.take(self.inverse)

    ns = _block_row("ns")
    pj = _block_row("pj")
    ext_bytes = _block_row("ext_bytes")
    pim_ns = _block_row("pim_ns", "Time of each op spent on the PIM side (0 on the host).")
    pim_macs = _block_row("pim_macs")
    host_ns = _block_row("host_ns", "Each op's host-only time (the baseline).")
    host_pj = _block_row("host_pj")


@dataclass
class OpCost:
    """One operator of design ``d`` (a view of :class:`OpCosts`, for reports and tests)."""

    op: Op
    on_pim: np.ndarray
    ns: np.ndarray
    pj: np.ndarray
    ext_bytes: np.ndarray
    host_ns: np.ndarray
    choice: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class WorkloadCost:
    metrics: dict[str, np.ndarray]
    costs: OpCosts
    violations: dict[str, np.ndarray]

    def layer_rows(self, d: int = 0) -> list[dict[str, Any]]:
        """Design ``d``'s per-operator breakdown (the ``Result.layers`` of one evaluation)."""
        c, plan = self.costs, self.costs.plan
        pim = np.zeros(len(plan.ops), dtype=bool)
        pim[plan.mac] = c.on_pim[d]
        rows = [{"name": name, "kind": kind, "place": "pim" if p else "host", "latency_s": ns, "energy_j": pj,
                 "host_latency_s": host, "dram_bytes": ext, "macs": macs}
                for name, kind, p, ns, pj, host, ext, macs in zip(
                    plan.names, plan.kinds, pim.tolist(), (c.ns[d] * 1e-9).tolist(), (c.pj[d] * 1e-12).tolist(),
                    (c.host_ns[d] * 1e-9).tolist(), c.ext_bytes[d].tolist(), plan.op_macs)]
        choice = {k: np.asarray(v)[d].tolist() for k, v in c.job.choice.items()}
        for row, keys in zip(rows, plan.choice_keys(tuple(choice))):
            if keys and row["place"] == "pim":
                row.update({key: choice[k][q] for key, k, q in keys})
        return rows

    @property
    def ops(self) -> list[OpCost]:
        """Per-operator costs (arrays over the designs)."""
        c, plan = self.costs, self.costs.plan
        mac_of = {int(i): j for j, i in enumerate(plan.mac)}
        out = []
        for i, op in enumerate(plan.ops):
            j = mac_of.get(i)
            on_pim = c.on_pim[:, j] if j is not None else np.zeros(len(c.ns), dtype=bool)
            choice = {} if j is None else {f"{k}{'' if p == 0 else p}": v[:, q] for q, p in plan.op_jobs[j]
                                           for k, v in c.job.choice.items()}
            out.append(OpCost(op, on_pim, c.ns[:, i], c.pj[:, i], c.ext_bytes[:, i], c.host_ns[:, i], choice))
        return out


def _column(cols: Mapping[str, Any], name: str, default: Any, n: int) -> np.ndarray:
    """Column ``name`` over the ``n`` designs, or ``default`` for each when ``name`` is ""."""
    if not name:
        return np.full(n, default, dtype=_dtype(default))
    value = cols[name]
    # a one-design dict's str as the object entry a batch's column holds (not numpy's np.str_, which errors show)
    col = np.asarray(value, dtype=object) if type(value) is str else np.asarray(value)
    if col.shape == (n,):
        return col
    return col.reshape(1) if n == 1 and not col.ndim else np.broadcast_to(col, (n,))   # a scalar: its view of one


def _knob(cols: Mapping[str, Any], plan: Plan, names: tuple[str, ...], key: str, shared: tuple[str, ...],
          default: Any, n: int) -> tuple[np.ndarray, Knob]:
    """A mapping knob's distinct source columns ``(designs, distinct)`` (``OP.key``, else the shared
    column, else ``default``; a read-only ``(1, 1)`` default when no op has a column), and the
    :class:`Knob` that says which of them each MAC operator reads."""
    knob = plan.knob_sources(names, key, shared)
    if knob.distinct == ("",):
        return _default(default), knob
    return np.array([_column(cols, src, default, n) for src in knob.distinct]).T, knob


def _per_op(values: np.ndarray, knob: Knob, columns: np.ndarray | slice) -> np.ndarray:
    """Distinct knob values ``(designs or 1, distinct)`` as the columns of the MAC operators
    ``columns`` (one column when every op reads the same one)."""
    return values if values.shape[1] == 1 else values[:, knob.index[columns]]


def _dtype(default: Any) -> Any:
    return object if isinstance(default, str) else float


@functools.lru_cache(maxsize=8)
def _default(value: Any) -> np.ndarray:
    """A knob's default as a read-only ``(1, 1)`` column (shared by every evaluation)."""
    col = np.full((1, 1), value, dtype=_dtype(value))
    col.setflags(write=False)
    return col


_PLACE_CODE = {p: i for i, p in enumerate(PLACES)}


def _place_codes(col: np.ndarray) -> np.ndarray:
    """Placement names as codes (indices into ``PLACES``), same shape."""
    if col is _default("auto"):      # no placement column: every op "auto"
        return _AUTO_PLACE
    flat = col.ravel().tolist()
    codes = [_PLACE_CODE.get(p, -1) if isinstance(p, str) else -1 for p in flat]
    if -1 in codes:
        raise ConfigError.bad_value("place", flat[codes.index(-1)], PLACES)
    return np.array(codes, dtype=np.int64).reshape(col.shape)


_AUTO_PLACE = np.zeros((1, 1), dtype=np.int64)     # PLACES.index("auto") for every op
_AUTO_PLACE.setflags(write=False)


def op_costs(hw: Hardware, plan: Plan, cols: Mapping[str, Any], n: int, cycle: bool,
             place: np.ndarray | None = None) -> OpCosts:
    """Every operator's cost for every design, placements resolved (``place``: fixed codes): the
    distinct jobs' PIM and host costs summed into their operators, placed, and totalled in one
    compiled pass (:func:`.kernels.op_block`)."""
    names = tuple(cols)
    if place is None:
        values, knob = _knob(cols, plan, names, "place", plan.place_group, "auto", n)
        place = _per_op(_place_codes(values), knob, slice(None))
    s, s_knob = _knob(cols, plan, names, "split_k", ("split_k",) * len(plan.mac), 0, n)
    m, m_knob = _knob(cols, plan, names, "tile_rows", ("tile_rows",) * len(plan.mac), 0, n)
    u_jobs, u_op, inverse = plan.unique_jobs(s_knob.srcs, m_knob.srcs)
    c = gemv.best_pim_jobs(hw, u_jobs, np.asarray(_per_op(s, s_knob, u_op), dtype=float),
                           np.asarray(_per_op(m, m_knob, u_op), dtype=float))
    h_ns, h_pj, h_b = gemv.host_job(hw, u_jobs)     # (designs or none, distinct jobs)
    if cycle:   # simulate only the jobs whose operator may run on PIM (its lower bound does not exceed the host)
        from simulators.pim import cycle as cyc

        lay = cyc.chosen_layout(hw, u_jobs, c)
        bound = _seg((cyc.lower_bound_ns(hw, u_jobs, c, lay) + c.io_ns)[:, inverse], plan)
        maybe_pim = np.where(place == 0, bound <= _seg(h_ns[..., inverse], plan), place == 1)
        c = cyc.simulate_jobs(hw, u_jobs, c, cyc.needed(maybe_pim[:, plan.job_op], inverse, len(u_jobs)), lay)
    host = np.array([h_ns, h_pj, h_b])
    block = np.empty((len(OP_FIELDS), n, len(plan.ops)))
    on_pim = np.empty((n, len(plan.mac)), dtype=bool)
    reg_bad = np.empty(n, dtype=bool)
    totals = np.empty((len(OP_FIELDS), n))
    kernels.op_block(c.pim_ns, c.io_ns, c.energy_pj, c.ext_bytes, np.asarray(c.reg_ok), host.reshape(3, -1, host.shape[-1]),
                     inverse, plan.bounds, place, plan.mac, plan.elt, plan.elt_flops, plan.mac_macs,
                     hw.block.reshape(len(hw.block), -1)[kernels.HOST_OPNS], hw.cfg.host_pj_per_op,
                     block, on_pim, reg_bad, totals)
    return OpCosts(plan, on_pim, block, reg_bad, c, inverse, totals)


def _seg(x: np.ndarray, plan: Plan) -> np.ndarray:
    """Job columns summed into MAC-operator columns (jobs of an operator in order)."""
    return x if len(plan.starts) == x.shape[-1] else np.add.reduceat(x, plan.starts, axis=-1)


def _totals(stacked: np.ndarray) -> list[np.ndarray]:
    """Sums over operators in their order (a cumulative sum's last column: adding op after op) of a
    block ``(quantities, designs, ops)``, in one pass."""
    if not stacked.shape[-1]:
        return list(np.zeros(stacked.shape[:2]))
    return list(stacked.cumsum(axis=-1)[..., -1])


def evaluate(cfg: PIMConfig, cols: Mapping[str, Any], n: int, workload: Workload,
             fidelity: str = "analytical") -> WorkloadCost:
    """Metrics (arrays over the ``n`` designs), per-operator costs and violation masks."""
    hw_cols = _hardware_columns(cols, n)
    hw = Hardware.from_columns(cfg, hw_cols)
    cycle = fidelity == "cycle"
    plan = Plan.of(workload)
    costs = op_costs(hw, plan, cols, n, cycle)
    # one design: its totals as numpy float scalars (the same float64 arithmetic as on one-entry arrays,
    # division by zero included, at a tenth of the cost per operation)
    lat, pj, dram, pim_time, pim_macs, host_lat, host_pj = costs.totals[:, 0] if n == 1 else costs.totals
    sub = _column(cols, "sub_batches", 1, n).astype(int) if "sub_batches" in cols else None
    half = half_batch(workload) if sub is not None and (sub != 1).any() else None
    sub_batches: Any = 1.0         # a scalar metric is every design's value
    if half is not None:
        p2, h2, e2 = _interleaved(hw, Plan.of(half), cols, n, cycle, costs.on_pim)
        inter = np.maximum(p2, h2) + np.minimum(p2, h2) / 2
        use = np.where(sub == 0, inter < lat, sub == 2)
        lat, pj = np.where(use, inter, lat), np.where(use, e2, pj)
        sub_batches = np.where(use, 2.0, 1.0)

    flat = _flat if n > 1 else _same     # hardware columns (n, 1) → (n,); one design's are scalars
    peak = flat(hw.peak_ops_per_ns * 1e9)
    flops = plan.total_flops
    batch = plan.batch
    resident = plan.resident_elems * cfg.operand_bits / 8.0
    cap = flat(capacity_bytes(cfg, hw_cols["channels"]))
    lat_s = lat * 1e-9
    metrics = {
        "latency_s": lat_s,
        "cycles": np.ceil(lat / cfg.timing.tck_ns),
        "energy_j": pj * 1e-12,
        "throughput_ops_per_s": flops / lat_s,
        "throughput_inf_per_s": 1.0 / lat_s,
        "tokens_per_s": batch / lat_s,
        "peak_ops_per_s": peak,
        "utilization": np.divide(2 * pim_macs, pim_time * 1e-9 * peak, out=np.zeros(n),
                                 where=pim_time > 0),
        "dram_bytes": dram,
        "area_mm2": flat(energy.pim_logic_mm2(hw.banks / hw.g, hw.lanes, cfg.operand_bits, hw.irf_regs,
                                              cfg.irf_bits, hw.orf_regs, cfg.orf_bits)),
        "host_latency_s": host_lat * 1e-9,
        "host_energy_j": host_pj * 1e-12,
        "speedup_vs_host": host_lat / lat,
        "energy_saving_vs_host": host_pj / pj,
        "pim_mac_fraction": pim_macs / max(plan.total_macs, 1.0),
        "pim_time_fraction": pim_time / lat,
        "sub_batches": sub_batches,
        "resident_bytes": resident,
        "capacity_bytes": cap,
    }
    violations = {"weights_fit_in_memory": resident > cap, "tile_fits_registers": costs.reg_bad}
    return WorkloadCost(metrics, costs, violations)


def _flat(x: Any) -> np.ndarray:
    return np.reshape(x, -1)


def _same(x: Any) -> Any:
    return x


def _interleaved(hw: Hardware, half: Plan, cols: Mapping[str, Any], n: int, cycle: bool,
                 on_pim: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(PIM-side time, host-side time, energy) of two half batches, keeping each op's placement."""
    c = op_costs(hw, half, cols, n, cycle, np.where(on_pim, 1, 2))
    pim_side = np.zeros((n, len(half.ops)), dtype=bool)
    pim_side[:, half.mac] = c.on_pim
    p, h, e = _totals(2 * np.array([c.pim_ns, np.where(pim_side, 0.0, c.ns), c.pj]))   # pim_ns: ns on PIM, else 0
    return p, h, e


def _hardware_columns(cols: Mapping[str, Any], n: int) -> dict[str, Any]:
    """The hardware columns as ``(designs, 1)`` float arrays, or numpy float scalars for one design
    (arithmetic as on arrays, division by zero included, without array operations); one conversion
    for all of them."""
    block = np.array([cols[k] for k in HW_PARAMS], dtype=float)
    out: dict[str, Any] = dict(zip(HW_PARAMS, list(block.ravel()) if n == 1 else block[..., None]))
    if "act_mode" in cols:
        act = np.asarray(cols["act_mode"]).reshape(-1, 1)
        out["act_mode"] = act[0, 0] if n == 1 else act
    return out
