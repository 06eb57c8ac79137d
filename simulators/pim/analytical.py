"""Whole-workload PIM model, vectorised over designs: per-operator placement (PIM or host),
per-job PIM mapping, sub-batch interleaving, the host-only baseline and the metrics.

Times are summed in topological order (one token step of a decoder runs its operators one after
another); with two sub-batches the PIM side P and the host side H of both halves overlap:
``T ≈ max(P, H) + min(P, H) / 2`` (a two-stage pipeline of two items). ``job_cost`` is the only
place where the fidelity matters: the cycle model replaces the PIM part of a job with the
command-level simulation of the same mapping (:mod:`simulators.pim.cycle`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.workload import Op, Workload
from simulators.pim import energy, gemv
from simulators.pim.gemv import Hardware, Job, JobCost
from simulators.pim.hardware import PIMConfig, capacity_bytes
from simulators.pim.mapping import PLACES, half_batch, is_attention, jobs, resident_elems

#: job-cost hook: (hardware, job, fixed split-K, fixed tile rows) → JobCost
JobCostFn = Callable[[Hardware, Job, np.ndarray, np.ndarray], JobCost]


def analytical_job(hw: Hardware, job: Job, s: np.ndarray, m: np.ndarray) -> JobCost:
    return gemv.best_pim_job(hw, job, s, m)


@dataclass
class OpCost:
    """One operator over the designs: chosen placement and its costs (ns, pJ, bytes)."""

    op: Op
    on_pim: np.ndarray
    ns: np.ndarray
    pj: np.ndarray
    ext_bytes: np.ndarray
    pim_ns: np.ndarray          # time of this op spent on the PIM side (0 when on the host)
    pim_macs: np.ndarray
    host_ns: np.ndarray         # the op's host-only time (baseline)
    host_pj: np.ndarray
    choice: dict[str, np.ndarray] = field(default_factory=dict)
    reg_ok: np.ndarray | bool = True


def _column(cols: Mapping[str, Any], names: tuple[str, ...], default: Any, n: int) -> np.ndarray:
    for name in names:
        if name in cols:
            return np.broadcast_to(np.asarray(cols[name]), (n,))
    return np.full(n, default, dtype=object if isinstance(default, str) else float)


def _place_codes(col: np.ndarray) -> np.ndarray:
    out = np.full(col.shape, -1, dtype=np.int64)
    for i, p in enumerate(PLACES):
        out[col == p] = i
    if (out < 0).any():
        raise ConfigError.bad_value("place", col[out < 0][0], PLACES)
    return out


def op_cost(hw: Hardware, op: Op, cols: Mapping[str, Any], n: int, job_fn: JobCostFn) -> OpCost:
    """Cost of ``op`` for every design, with its placement resolved."""
    if op.kind == "eltwise":
        ops = float(op.flops)
        ns = ops / hw.host_ops_per_ns * np.ones(n)
        pj = ops * hw.cfg.host_pj_per_op * np.ones(n)
        zero = np.zeros(n)
        return OpCost(op, zero.astype(bool), ns, pj, zero, zero, zero, ns, pj)
    group = "attn_place" if is_attention(op) else "fc_place"
    place = _place_codes(_column(cols, (f"{op.name}.place", group), "auto", n))
    s = _column(cols, (f"{op.name}.split_k", "split_k"), 0, n).astype(float)
    m = _column(cols, (f"{op.name}.tile_rows", "tile_rows"), 0, n).astype(float)
    pim_ns = np.zeros(n)
    pim_pj = np.zeros(n)
    pim_ext = np.zeros(n)
    pim_core = np.zeros(n)
    host_ns = np.zeros(n)
    host_pj = np.zeros(n)
    host_bytes = np.zeros(n)
    reg_ok = np.ones(n, dtype=bool)
    choice: dict[str, np.ndarray] = {}
    for i, job in enumerate(jobs(op)):
        c = job_fn(hw, job, s, m)
        pim_ns = pim_ns + c.total_ns
        pim_core = pim_core + c.pim_ns
        pim_pj = pim_pj + c.energy_pj
        pim_ext = pim_ext + c.ext_bytes
        reg_ok &= np.asarray(c.reg_ok, dtype=bool)
        for k, v in c.choice.items():
            choice[f"{k}{'' if i == 0 else i}"] = v
        h_ns, h_pj, h_b = gemv.host_job(hw, job)
        host_ns, host_pj, host_bytes = host_ns + h_ns, host_pj + h_pj, host_bytes + h_b
    on_pim = np.where(place == 0, pim_ns <= host_ns, place == 1)
    macs = float(op.macs)
    return OpCost(op, on_pim, np.where(on_pim, pim_ns, host_ns), np.where(on_pim, pim_pj, host_pj),
                  np.where(on_pim, pim_ext, host_bytes), np.where(on_pim, pim_ns, 0.0),
                  np.where(on_pim, macs, 0.0), host_ns, host_pj, choice, np.where(on_pim, reg_ok, True))


@dataclass
class WorkloadCost:
    metrics: dict[str, np.ndarray]
    ops: list[OpCost]
    violations: dict[str, np.ndarray]


def evaluate(cfg: PIMConfig, cols: Mapping[str, Any], n: int, workload: Workload,
             job_fn: JobCostFn = analytical_job) -> WorkloadCost:
    """Metrics (arrays over the ``n`` designs), per-operator costs and violation masks."""
    hw = Hardware.from_columns(cfg, cols)
    job_fn = _memoised(job_fn)
    ops = [op_cost(hw, op, cols, n, job_fn) for op in workload.ops]
    lat = sum(o.ns for o in ops)
    pj = sum(o.pj for o in ops)
    sub = _column(cols, ("sub_batches",), 1, n).astype(int)
    half = half_batch(workload) if (sub != 1).any() else None
    if half is not None:
        p2, h2, e2 = _interleaved(hw, half, cols, n, job_fn, ops)
        inter = np.maximum(p2, h2) + np.minimum(p2, h2) / 2
        use = np.where(sub == 0, inter < lat, sub == 2)
        lat, pj = np.where(use, inter, lat), np.where(use, e2, pj)
        sub = np.where(use, 2, 1)
    else:
        sub = np.ones(n, dtype=int)

    host_lat = sum(o.host_ns for o in ops)
    host_pj = sum(o.host_pj for o in ops)
    pim_time = sum(o.pim_ns for o in ops)
    pim_macs = sum(o.pim_macs for o in ops)
    peak = hw.peak_ops_per_ns * 1e9
    flops = float(workload.total_flops)
    batch = max([op.dims.get("B", 1) for op in workload.layers] or [1])
    resident = sum(resident_elems(op) for op in workload.layers) * cfg.operand_bits / 8.0
    cap = capacity_bytes(cfg, np.asarray(cols["channels"], dtype=float))
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
        "dram_bytes": sum(o.ext_bytes for o in ops),
        "area_mm2": energy.pim_logic_mm2(hw.banks / hw.g, hw.lanes, cfg.operand_bits, hw.irf_regs,
                                         cfg.irf_bits, hw.orf_regs, cfg.orf_bits) * np.ones(n),
        "host_latency_s": host_lat * 1e-9,
        "host_energy_j": host_pj * 1e-12,
        "speedup_vs_host": host_lat / lat,
        "energy_saving_vs_host": host_pj / pj,
        "pim_mac_fraction": pim_macs / max(float(workload.total_macs), 1.0),
        "pim_time_fraction": pim_time / lat,
        "sub_batches": sub.astype(float),
        "resident_bytes": np.full(n, resident),
        "capacity_bytes": cap * np.ones(n),
    }
    reg_bad = np.zeros(n, dtype=bool)
    for o in ops:
        reg_bad |= ~np.asarray(o.reg_ok, dtype=bool)
    violations = {"weights_fit_in_memory": resident > cap * np.ones(n), "tile_fits_registers": reg_bad}
    return WorkloadCost(metrics, ops, violations)


def _memoised(job_fn: JobCostFn) -> JobCostFn:
    """Cache job costs by shape and fixed mapping: decoder layers repeat the same shapes."""
    cache: dict[tuple[Any, ...], JobCost] = {}

    def cached(hw: Hardware, job: Job, s: np.ndarray, m: np.ndarray) -> JobCost:
        key = (job, s.tobytes(), m.tobytes())
        if key not in cache:
            cache[key] = job_fn(hw, job, s, m)
        return cache[key]

    return cached


def _interleaved(hw: Hardware, half: Workload, cols: Mapping[str, Any], n: int, job_fn: JobCostFn,
                 full: list[OpCost]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(PIM-side time, host-side time, energy) of two half batches, keeping each op's placement."""
    p = np.zeros(n)
    h = np.zeros(n)
    e = np.zeros(n)
    for f, op in zip(full, half.ops):
        fixed = {**cols, f"{op.name}.place": np.where(f.on_pim, "pim", "host").astype(object)}
        c = op_cost(hw, op, fixed, n, job_fn)
        p = p + 2 * np.where(c.on_pim, c.ns, 0.0)
        h = h + 2 * np.where(c.on_pim, 0.0, c.ns)
        e = e + 2 * c.pj
    return p, h, e
