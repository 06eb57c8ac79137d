"""One PIM design of plain Python values at the analytical fidelity in one compiled call (issue 17,
item 1): its metrics and violations, the same floats as :func:`.analytical.evaluate` gives the design.

The design-independent part of an evaluation — the mapper's candidate geometry, the host roofline's
fixed terms, the job → operator tables, and the same for the half workload of two sub-batches — is
built by :mod:`.analytical`'s and :mod:`.gemv`'s own functions and memoised per (preset, workload,
mapping knob values) (:class:`Setup`). :func:`_metrics` then derives the hardware block, runs the
batch kernels :func:`.kernels.best_costs` and :func:`.kernels.op_block` themselves, interleaves the
sub-batches and computes the metrics, each with the float operations of the array path in its order
(``tests/test_pim_single_kernel.py`` holds the two to the bit). Per-layer rows are not built here:
the simulator builds them from :func:`.analytical.evaluate` when they are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from archgym.workload import Workload
from simulators.common.dram import PJ_PER_BIT_BG_MUX
from simulators.common.kernel_math import maximum, minimum
from simulators.common.memo import remember
from simulators.pim import energy, gemv, kernels
from simulators.pim.analytical import Plan, _column, _knob, _per_op, _place_codes
from simulators.pim.gemv import act_round_ns
from simulators.pim.hardware import HW_PARAMS, PIMConfig
from simulators.pim.mapping import half_batch

#: the metrics :func:`_metrics` returns, in :func:`.analytical.evaluate`'s order
METRICS = ("latency_s", "cycles", "energy_j", "throughput_ops_per_s", "throughput_inf_per_s", "tokens_per_s",
           "peak_ops_per_s", "utilization", "dram_bytes", "area_mm2", "host_latency_s", "host_energy_j",
           "speedup_vs_host", "energy_saving_vs_host", "pim_mac_fraction", "pim_time_fraction", "sub_batches",
           "resident_bytes", "capacity_bytes")
#: the preset's and workload's constants :func:`_metrics` reads, in this order
PRESET = ("stacks", "dram_banks", "t_ccd_ab_ns", "col_bits", "bits", "host_eff_compute", "host_eff_mem",
          "act_all_bank", "act_per_bank", "host_pj_per_op", "tck_ns", "col_per_operand", "mac_um2", "reg_um2",
          "irf_bits", "orf_bits", "bank_mib", "total_flops", "batch", "total_macs", "resident")
(STACKS, DRAM_BANKS, T_CCD_AB, COL_BITS, BITS, EFF_C, EFF_M, ACT_ALL, ACT_PER, HOST_PJ_OP, TCK, COL_PER_OPERAND,
 MAC_UM2, REG_UM2, IRF_BITS, ORF_BITS, BANK_MIB, FLOPS, BATCH, TOTAL_MACS, RESIDENT) = range(len(PRESET))
#: set-ups kept per workload (one per preset × distinct mapping-knob values seen; auto space: one per
#: preset, shared: ≤ 810); a bound on memory (a per-layer entry holds its geometry, ≤ ~1 MB on Llama-7B)
MEMO_LIMIT = 256
#: Python ints whose float conversion numpy and Python agree on without question (int64)
_INT_RANGE = range(-2**63, 2**63)


@dataclass(frozen=True)
class Part:
    """The design-independent inputs of one operator pass (:func:`.analytical.op_costs`) for one design."""

    geo: np.ndarray          # (GEO, candidates, 1, distinct jobs): :func:`.gemv.candidates`
    k: np.ndarray            # (CONST,): :func:`.gemv._constants`
    host: np.ndarray         # (3, distinct jobs): weight bytes, operations, energy pJ (:func:`.gemv.host_fixed`)
    inverse: np.ndarray
    bounds: np.ndarray
    mac: np.ndarray
    elt: np.ndarray
    elt_flops: np.ndarray
    mac_macs: np.ndarray


@dataclass(frozen=True)
class Setup:
    """A design's workload, preset and mapping knobs as the kernel's inputs: the operator pass, the
    placement codes, the sub-batch choice (``sub``; -1 when it does not split) and the half pass."""

    part: Part
    place: np.ndarray        # (1, MAC ops or 1) placement codes
    sub: int
    half: Part               # the half workload's pass (``part`` again when ``sub`` is -1; not read)
    preset: np.ndarray       # (PRESET,)


def evaluate(cfg: PIMConfig, design: Mapping[str, Any], workload: Workload
             ) -> tuple[dict[str, float], dict[str, bool]] | None:
    """(metrics, violations) of ``design`` (a dict of plain values) on ``workload``, or None when a hardware
    value is not one this path reads as the array path would (then the caller takes that path)."""
    values = []
    for key in HW_PARAMS:
        v = design[key]
        if type(v) is float or (type(v) is int and v in _INT_RANGE):
            values.append(v)
        else:
            return None
    act = design.get("act_mode")
    if act is not None and type(act) is not str:
        return None
    all_bank = cfg.all_bank_act if act is None else act == "all-bank"
    s = _setup(cfg, design, workload)
    h = s.half
    out = np.empty(len(METRICS))
    bad = _metrics(np.array(values, dtype=float), all_bank, s.preset, s.part.geo, s.part.k, s.part.host,
                   s.part.inverse, s.part.bounds, s.place, s.part.mac, s.part.elt, s.part.elt_flops,
                   s.part.mac_macs, s.sub, h.geo, h.k, h.host, h.inverse, h.bounds, h.mac, h.elt, h.elt_flops,
                   h.mac_macs, out)
    return (dict(zip(METRICS, out.tolist())),
            {"weights_fit_in_memory": bool(bad & 1), "tile_fits_registers": bool(bad & 2)})


def _setup(cfg: PIMConfig, design: Mapping[str, Any], workload: Workload) -> Setup:
    """:class:`Setup` of ``design``'s mapping knobs (every key that is not hardware), memoised on the
    workload's plan per preset (keyed by its identity; the entry holds the preset, as :meth:`.gemv.Jobs.remember`)."""
    plan = Plan.of(workload)
    knobs = tuple((k, type(v), v) for k, v in design.items() if k not in _HARDWARE)
    entry: tuple[PIMConfig, Setup] = remember(plan.singles, (id(cfg), knobs),
                                              lambda: (cfg, _build(cfg, design, plan, workload)), MEMO_LIMIT)
    return entry[1]


_HARDWARE = frozenset((*HW_PARAMS, "act_mode", "preset"))


def _build(cfg: PIMConfig, design: Mapping[str, Any], plan: Plan, workload: Workload) -> Setup:
    """The :class:`Setup` by :mod:`.analytical`'s functions on the design as columns of one entry (their
    errors are the array path's: the knobs are read in its order)."""
    names = tuple(design)
    values, knob = _knob(design, plan, names, "place", plan.place_group, "auto", 1)
    place = np.ascontiguousarray(_per_op(_place_codes(values), knob, slice(None)), dtype=np.int64)
    part = _part(cfg, design, plan, names)
    sub = int(_column(design, "sub_batches", 1, 1).astype(int)[0]) if "sub_batches" in design else 1
    half = half_batch(workload) if sub != 1 else None
    t = cfg.timing
    mac_um2, reg_um2 = energy.logic_um2(cfg.operand_bits)
    preset = np.array([cfg.stacks, t.banks, cfg.t_ccd_ab_ns, t.col_bits, cfg.operand_bits, cfg.host_eff_compute,
                       cfg.host_eff_mem, act_round_ns(t, np.True_), act_round_ns(t, np.False_), cfg.host_pj_per_op, t.tck_ns,
                       t.col_bits / cfg.operand_bits, mac_um2, reg_um2, cfg.irf_bits, cfg.orf_bits, cfg.bank_mib,
                       plan.total_flops, plan.batch, plan.total_macs, plan.resident_elems * cfg.operand_bits / 8.0],
                      dtype=float)
    if half is None:
        return Setup(part, place, -1, part, preset)
    return Setup(part, place, sub, _part(cfg, design, Plan.of(half), names), preset)


def _part(cfg: PIMConfig, design: Mapping[str, Any], plan: Plan, names: tuple[str, ...]) -> Part:
    """:class:`Part` of ``plan`` for the design's split-K and tile-row knobs (:func:`.analytical.op_costs`'s
    reading of them)."""
    s, s_knob = _knob(design, plan, names, "split_k", ("split_k",) * len(plan.mac), 0, 1)
    m, m_knob = _knob(design, plan, names, "tile_rows", ("tile_rows",) * len(plan.mac), 0, 1)
    u_jobs, u_op, inverse = plan.unique_jobs(s_knob.srcs, m_knob.srcs)
    geo, mac_pj = gemv.candidates(cfg, u_jobs, np.asarray(_per_op(s, s_knob, u_op), dtype=float),
                                  np.asarray(_per_op(m, m_knob, u_op), dtype=float))
    weight_bytes, ops, pj = gemv.host_fixed(cfg, u_jobs)
    host = np.array([np.broadcast_to(x, (len(u_jobs),)) for x in (weight_bytes, ops, pj)], dtype=float)
    return Part(np.ascontiguousarray(geo), gemv._constants(cfg, mac_pj, True), host, inverse, plan.bounds,
                plan.mac, plan.elt, plan.elt_flops, plan.mac_macs)


@njit(cache=True, error_model="numpy")
def _pass(hw: np.ndarray, geo: np.ndarray, k: np.ndarray, fixed: np.ndarray, inverse: np.ndarray,
          bounds: np.ndarray, place: np.ndarray, mac: np.ndarray, elt: np.ndarray, elt_flops: np.ndarray,
          mac_macs: np.ndarray, host_pj_per_op: float, ops: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One operator pass of one design (:func:`.analytical.op_costs`): the mapper's choice per distinct job
    (:func:`.kernels.best_costs`), the host roofline (:func:`.gemv.host_job`) and the operators
    (:func:`.kernels.op_block`): (block, on_pim, reg_bad, totals)."""
    u = geo.shape[3]
    c = np.empty((kernels.N_OUT, 1, u))
    kernels.best_costs(geo, hw, k, c)
    host = np.empty((3, 1, u))
    for j in range(u):
        ns = maximum(fixed[1, j] / hw[kernels.HOST_OPNS, 0], fixed[0, j] / hw[kernels.HOST_BPNS, 0])
        zero = 0 * ns
        host[0, 0, j], host[1, 0, j], host[2, 0, j] = ns, fixed[2, j] + zero, fixed[0, j] + zero
    block = np.empty((7, 1, ops))
    on_pim = np.empty((1, mac.size), dtype=np.bool_)
    reg_bad = np.empty(1, dtype=np.bool_)
    totals = np.empty((7, 1))
    kernels.op_block(c[0], c[1], c[2], c[3], c[12] != 0, host, inverse, bounds, place, mac, elt, elt_flops, mac_macs,
                     hw[kernels.HOST_OPNS], host_pj_per_op, block, on_pim, reg_bad, totals)
    return block, on_pim, reg_bad, totals


@njit(cache=True, error_model="numpy")
def _metrics(x: np.ndarray, all_bank: bool, pc: np.ndarray, geo: np.ndarray, k: np.ndarray, fixed: np.ndarray,
             inverse: np.ndarray, bounds: np.ndarray, place: np.ndarray, mac: np.ndarray, elt: np.ndarray,
             elt_flops: np.ndarray, mac_macs: np.ndarray, sub: int, geo2: np.ndarray, k2: np.ndarray,
             fixed2: np.ndarray, inverse2: np.ndarray, bounds2: np.ndarray, mac2: np.ndarray, elt2: np.ndarray,
             elt_flops2: np.ndarray, mac_macs2: np.ndarray, out: np.ndarray) -> int:
    """:data:`METRICS` of one design into ``out``; returns the violations as bits (1: weights do not fit,
    2: a tile on PIM does not fit the registers). ``x``: the :data:`.hardware.HW_PARAMS` values."""
    ch, g, lanes, clock, irf, orf = x[0], x[1], x[2], x[3], x[4], x[5]
    # gemv.Hardware.from_columns and its block (kernels.HW rows)
    channels = ch * pc[STACKS]
    host_ops = x[6] * 1e3 * pc[EFF_C]
    host_bytes = x[7] * pc[EFF_M]
    banks = channels * pc[DRAM_BANKS]
    t_cmd = maximum(pc[T_CCD_AB], np.ceil(pc[COL_BITS] / (lanes * pc[BITS])) * 1e3 / clock)   # pim_command_ns
    hw = np.empty((len(kernels.HW), 1))
    hw[kernels.BANKS, 0], hw[kernels.ORF, 0], hw[kernels.IRF, 0], hw[kernels.CHANNELS, 0] = banks, orf, irf, channels
    hw[kernels.T_CMD, 0], hw[kernels.G, 0] = t_cmd, g
    hw[kernels.ACT, 0] = pc[ACT_ALL] if all_bank else pc[ACT_PER]
    hw[kernels.HOST_BPNS, 0], hw[kernels.HOST_OPNS, 0] = host_bytes, host_ops
    hw[kernels.MUX, 0] = PJ_PER_BIT_BG_MUX if g > 1 else 0.0
    _, on_pim, reg_bad, totals = _pass(hw, geo, k, fixed, inverse, bounds, place, mac, elt, elt_flops, mac_macs,
                                       pc[HOST_PJ_OP], elt.size + mac.size)
    lat, pj, dram, pim_time, pim_macs, host_lat, host_pj = (totals[0, 0], totals[1, 0], totals[2, 0], totals[3, 0],
                                                            totals[4, 0], totals[5, 0], totals[6, 0])
    sub_batches = 1.0
    if sub != -1:   # analytical._interleaved: the half workload with each op's placement kept, twice
        place2 = np.empty((1, mac2.size), dtype=np.int64)
        for o in range(mac2.size):
            place2[0, o] = 1 if on_pim[0, o] else 2
        b2, on2, _, _ = _pass(hw, geo2, k2, fixed2, inverse2, bounds2, place2, mac2, elt2, elt_flops2, mac_macs2,
                              pc[HOST_PJ_OP], elt2.size + mac2.size)
        side = np.zeros(b2.shape[2], dtype=np.bool_)
        for o in range(mac2.size):
            side[mac2[o]] = on2[0, o]
        p2 = h2 = e2 = 0.0
        for i in range(b2.shape[2]):
            p, h, e = 2 * b2[3, 0, i], 2 * (0.0 if side[i] else b2[0, 0, i]), 2 * b2[1, 0, i]
            p2, h2, e2 = (p, h, e) if i == 0 else (p2 + p, h2 + h, e2 + e)
        inter = maximum(p2, h2) + minimum(p2, h2) / 2
        use = inter < lat if sub == 0 else sub == 2
        if use:
            lat, pj, sub_batches = inter, e2, 2.0
    peak = 2.0 * (banks / g) * pc[COL_PER_OPERAND] / t_cmd * 1e9
    lat_s = lat * 1e-9
    out[0], out[1], out[2] = lat_s, np.ceil(lat / pc[TCK]), pj * 1e-12
    out[3], out[4], out[5] = pc[FLOPS] / lat_s, 1.0 / lat_s, pc[BATCH] / lat_s
    out[6] = peak
    out[7] = 2 * pim_macs / (pim_time * 1e-9 * peak) if pim_time > 0 else 0.0
    out[8] = dram
    per_unit = lanes * pc[MAC_UM2] + (irf * pc[IRF_BITS] + orf * pc[ORF_BITS]) * pc[REG_UM2]   # energy.pim_logic_mm2
    out[9] = banks / g * per_unit * 1e-6
    out[10], out[11] = host_lat * 1e-9, host_pj * 1e-12
    out[12], out[13] = host_lat / lat, host_pj / pj
    out[14], out[15] = pim_macs / max(pc[TOTAL_MACS], 1.0), pim_time / lat
    out[16], out[17] = sub_batches, pc[RESIDENT]
    cap = pc[STACKS] * ch * pc[DRAM_BANKS] * pc[BANK_MIB] * float(2**20)    # hardware.capacity_bytes
    out[18] = cap
    return (1 if pc[RESIDENT] > cap else 0) | (2 if reg_bad[0] else 0)
