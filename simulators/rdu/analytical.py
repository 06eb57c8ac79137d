"""The analytical RDU model (DFModel's intra-chip equations), vectorised over designs.

Inputs are one row per design: hardware columns (``hw``, shape ``(D,)``) and a mapping —
section id and PCUs per kernel (``(D, N)``), tile rows, buffer depth and tensor-parallel degree
(``(D,)``). Sections are reduced with flat ``d·N + section`` indices, so designs whose mappings
differ are still evaluated in one pass. Per section ``c`` (per socket):

* ``T_comp = n_tile · max_k cyc_k / f`` — the pipeline runs at its slowest kernel — plus the
  pipeline fill: data stream between kernels below tile granularity, so a kernel starts once its
  producer has done one unit of work (one ``K`` reduction); the fill is the longest on-chip chain
  of unit times (negligible in steady state);
* ``T_dram = boundary bytes / BW`` — only edges crossing the section touch HBM/DDR (fusion);
  inputs are re-streamed ``weight_tiling`` times when the weights do not fit beside the buffers;
* ``T_net = all-reduce bytes · (TP−1)/TP / link`` (DFModel's ring/switch ratio);
* ``T_setup = weights / BW(tier) + reconfiguration``; ``II = max(T_comp, T_dram, T_net) + T_setup``.

Latency is ``Σ_c II(c)`` plus the point-to-point transfers between pipeline-parallel groups.
SRAM per section: on-chip edges ``tile·depth``, DRAM edges ``2·tile`` (double buffering), plus
weights / weight tiling ≤ ``n_pmu · pmu``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numba import njit

from simulators.common.kernel_math import maximum
from simulators.rdu import analytical_kernel as ak
from simulators.rdu import energy
from simulators.rdu.kernels import KernelGraph, units_and_unit_cycles


@dataclass
class Model:
    """Every intermediate of the analytical model: ``(D,)``, ``(D, N)`` kernel or section-slot arrays."""

    section: np.ndarray
    pcu: np.ndarray
    tp: np.ndarray
    depth: np.ndarray
    used: np.ndarray          # section slot holds at least one kernel
    n_tile: np.ndarray        # per section slot
    cyc: np.ndarray           # per kernel: cycles per step
    unit_cyc: np.ndarray      # per kernel: cycles of one unit of work (first output)
    step_cyc: np.ndarray      # per section slot
    t_comp: np.ndarray
    t_dram: np.ndarray
    t_net: np.ndarray
    t_setup: np.ndarray
    t_fill: np.ndarray        # per section slot: pipeline fill beyond one step
    ii: np.ndarray
    weight_tiling: np.ndarray
    buffers_b: np.ndarray
    weights_b: np.ndarray
    pcu_used: np.ndarray
    pmu_used: np.ndarray
    read_b_k: np.ndarray      # per kernel: DRAM bytes read per run (inputs from other sections)
    write_b_k: np.ndarray     # per kernel: DRAM bytes written per run
    net_b_k: np.ndarray       # per kernel: link bytes per run
    act_b: np.ndarray         # per section slot: activation DRAM bytes (incl. weight tiling)
    act_in_hbm: np.ndarray    # (D,) bool
    weight_hbm_frac: np.ndarray  # (D,)
    act_bw: np.ndarray        # (D,) B/s of the tier holding activations
    link_bw: np.ndarray       # (D,) B/s
    group: np.ndarray         # per section slot: pipeline-parallel group
    t_p2p: np.ndarray         # (D,) s, transfers between pipeline groups
    clock_hz: np.ndarray
    violations: dict[str, np.ndarray]  # name -> (D,) bool (True = violated)
    metrics: dict[str, np.ndarray]

    def take(self, rows: np.ndarray) -> Model:
        """The model of designs ``rows`` (every array and dict entry indexed on its first axis; one
        row is taken as views of this model's arrays)."""
        at: np.ndarray | slice = rows
        if len(rows) == 1 and rows[0] >= 0:
            at = slice(int(rows[0]), int(rows[0]) + 1)
        parts: dict[str, Any] = {name: {k: v[at] for k, v in val.items()} if isinstance(val, dict) else val[at]
                                 for name, val in vars(self).items()}
        return Model(**parts)

    def blank(self, n: int) -> Model:
        """An uninitialised model of ``n`` rows shaped like this one's (:meth:`put` fills it)."""
        def empty(v: np.ndarray) -> np.ndarray:
            return np.empty((n, *v.shape[1:]), dtype=v.dtype)

        parts: dict[str, Any] = {}
        for f in fields(self):
            val = getattr(self, f.name)
            parts[f.name] = {k: empty(v) for k, v in val.items()} if isinstance(val, dict) else empty(val)
        return Model(**parts)

    def put(self, start: int, part: Model) -> None:
        """Copy ``part``'s rows into rows ``start, start + 1, …`` of this model (in place)."""
        for f in fields(self):
            val, src = getattr(self, f.name), getattr(part, f.name)
            for dst, block in ([(val[k], src[k]) for k in val] if isinstance(val, dict) else [(val, src)]):
                dst[start:start + len(block)] = block


def evaluate(kg: KernelGraph, hw: dict[str, np.ndarray], word_bytes: int, reconfig_s: float,
             section: np.ndarray, pcu: np.ndarray, tile: np.ndarray, depth: np.ndarray,
             tp: np.ndarray) -> Model:
    """Evaluate ``D`` designs at once (see the module docstring for the equations) in one compiled
    pass (:func:`.analytical_kernel.rows`: the numbers of :func:`evaluate_arrays`, to the bit)."""
    section, pcu, col, tile, depth, tp = _prepared(hw, section, pcu, tile, depth, tp)
    return evaluate_block(kg, np.stack([col[k].ravel() for k in ak.HW]), word_bytes, reconfig_s, section, pcu,
                          tile.ravel(), depth.ravel(), tp.ravel())


def evaluate_block(kg: KernelGraph, hw: np.ndarray, word_bytes: int, reconfig_s: float, section: np.ndarray,
                   pcu: np.ndarray, tile: np.ndarray, depth: np.ndarray, tp: np.ndarray) -> Model:
    """:func:`evaluate` of inputs already in the kernel's form: ``hw`` ``(len(HW), D)`` float (the
    columns of :data:`.analytical_kernel.HW`; made C-contiguous, so that the kernel is compiled for one
    layout), ``section`` and ``pcu`` C-contiguous ``(D, N)`` int64,
    ``tile`` and ``tp`` ``(D,)`` int64, ``depth`` ``(D,)`` float."""
    out = outputs(*section.shape)
    ak.rows(graph_arrays(kg), np.ascontiguousarray(hw), section, pcu, tile, depth, tp, float(word_bytes),
            float(reconfig_s), kg.total_flops, *out)
    return model_of(section, pcu, tp, depth, out)


def outputs(n_des: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Uninitialised outputs of :func:`.analytical_kernel.rows` for ``n_des`` designs of ``n`` kernels:
    ``out_f``, ``out_i``, ``used``, ``out_row``, ``flags``."""
    return (np.empty((len(ak.FLOAT_FIELDS), n_des, n)), np.empty((len(ak.INT_FIELDS), n_des, n), dtype=np.int64),
            np.empty((n_des, n), dtype=bool), np.empty((len(ak.ROW_FIELDS) + len(ak.METRICS), n_des)),
            np.empty((len(ak.FLAGS), n_des), dtype=bool))


def model_of(section: np.ndarray, pcu: np.ndarray, tp: np.ndarray, depth: np.ndarray,
             out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> Model:
    """The :class:`Model` of the mapping rows ``section``, ``pcu``, ``tp``, ``depth`` from their
    :func:`.analytical_kernel.rows` outputs ``out`` (:func:`outputs`; held as views)."""
    out_f, out_i, used, out_row, flags = out
    parts: dict[str, Any] = {
        **dict(zip(ak.FLOAT_FIELDS, out_f)), **dict(zip(ak.INT_FIELDS, out_i)),
        **dict(zip(ak.ROW_FIELDS, out_row)), "act_in_hbm": flags[ak.IN_HBM]}
    return Model(section=section, pcu=pcu, tp=tp, depth=depth, used=used,
                 violations=dict(zip(ak.FLAGS[1:], flags[1:])),
                 metrics=dict(zip(ak.METRICS, out_row[len(ak.ROW_FIELDS):])), **parts)


def graph_arrays(kg: KernelGraph) -> tuple[np.ndarray, ...]:
    """The kernel graph's inputs of :func:`.analytical_kernel.rows` (memoised in ``kg.memo``)."""
    if (key := "analytical kernel graph") not in kg.memo:
        kg.memo[key] = (np.stack([np.asarray(getattr(kg, f), dtype=np.int64) for f in ak.GRAPH_INT]),
                        np.stack([np.asarray(getattr(kg, f), dtype=float) for f in ak.GRAPH_FLOAT]),
                        np.asarray(kg.is_sink, dtype=bool), np.asarray(kg.allreduce, dtype=bool),
                        np.asarray(kg.edge_src, dtype=np.int64), np.asarray(kg.edge_dst, dtype=np.int64),
                        np.argsort(kg.edge_dst, kind="stable").astype(np.int64))
    return kg.memo[key]


def _prepared(hw: dict[str, np.ndarray], section: np.ndarray, pcu: np.ndarray, tile: np.ndarray,
              depth: np.ndarray, tp: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray,
                                                         np.ndarray, np.ndarray]:
    """The inputs of both paths as contiguous ``(D, N)`` section and PCU arrays, ``(D, 1)`` hardware
    columns (float), tile (int), depth (float) and TP degree (int)."""
    section = np.ascontiguousarray(np.atleast_2d(section), dtype=np.int64)
    pcu = np.ascontiguousarray(np.atleast_2d(pcu), dtype=np.int64)
    n_des = section.shape[0]
    col = {k: np.asarray(v, dtype=float).reshape(n_des, 1) for k, v in hw.items()}
    return (section, pcu, col, np.asarray(tile, dtype=np.int64).reshape(n_des, 1),
            np.asarray(depth, dtype=float).reshape(n_des, 1), np.asarray(tp, dtype=np.int64).reshape(n_des, 1))


def evaluate_arrays(kg: KernelGraph, hw: dict[str, np.ndarray], word_bytes: int, reconfig_s: float,
                    section: np.ndarray, pcu: np.ndarray, tile: np.ndarray, depth: np.ndarray,
                    tp: np.ndarray) -> Model:
    """:func:`evaluate` as numpy array operations: the equations written out once over ``(D, N)``
    arrays, the reference the compiled kernel is held to (``tests/test_rdu_analytical_kernel.py``)."""
    section, pcu, col, tile, depth, tp = _prepared(hw, section, pcu, tile, depth, tp)
    n_des, n = section.shape
    wb = float(word_bytes)
    rows = np.arange(n_des)[:, None] * n                          # flat offset of each design's row
    flat = (rows + section).ravel()

    def seg_sum(vals: np.ndarray, idx: np.ndarray = flat) -> np.ndarray:     # vals: one per index
        return np.bincount(idx, weights=vals.ravel(), minlength=n_des * n).reshape(n_des, n)

    def seg_max(vals: np.ndarray) -> np.ndarray:
        out = np.zeros(n_des * n)
        _max_at(out, flat, np.ascontiguousarray(vals, dtype=float).ravel())
        return out.reshape(n_des, n)

    def at_kernel(per_section: np.ndarray) -> np.ndarray:
        return per_section.ravel()[flat].reshape(n_des, n)

    used = (np.bincount(flat, minlength=n_des * n) > 0).reshape(n_des, n)
    n_tile = seg_max(-(-kg.rows // tile)).astype(np.int64)
    nt_k = at_kernel(n_tile)
    rows_step = -(-kg.rows // nt_k)
    units, per_unit = units_and_unit_cycles(kg, rows_step, tp, col["lanes"].astype(np.int64),
                                            col["stages"].astype(np.int64))
    cyc = -(-units // np.maximum(pcu, 1)) * per_unit
    step_cyc = seg_max(cyc.astype(float))
    clock = col["clock_mhz"] * 1e6
    t_comp = n_tile * step_cyc / clock

    # -- traffic: edges that cross a section boundary go through memory -----------------------
    es, ed = kg.edge_src, kg.edge_dst
    out_b = kg.out_elems * wb / tp                                 # per socket (sharded)
    cross = section[:, es] != section[:, ed]                      # (D, E)
    flat_src = (rows + es).ravel()
    n_cross = np.bincount(flat_src, weights=cross.ravel(), minlength=n_des * n).reshape(n_des, n)
    written = kg.is_sink[None, :] | (n_cross > 0)
    src_b = np.broadcast_to(kg.src_in_elems * wb, (n_des, n))
    edge_read = cross * out_b[:, es]                              # bytes read by the consumer
    flat_dst = (rows + section[:, ed]).ravel()
    flat_ed = (rows + ed).ravel()
    tile_out = out_b / nt_k
    edge_buf = np.where(cross, 2.0, depth) * tile_out[:, es]
    buffers = (seg_sum(edge_buf, flat_dst) + seg_sum(2.0 * written * tile_out)
               + seg_sum(2.0 * src_b / nt_k))
    weights_k = kg.weight_elems * wb / tp
    weights = seg_sum(weights_k)
    sram = col["n_pmu"] * col["pmu_kib"] * 1024.0
    avail = sram - buffers
    sram_bad = (used & (avail <= 0)).any(axis=1)
    wt = np.where(weights > 0, np.maximum(1.0, np.ceil(weights / np.maximum(avail, 1.0))), 1.0)
    read_k = (seg_sum(edge_read, flat_ed) + src_b) * at_kernel(wt)
    write_k = written * out_b
    act = seg_sum(read_k + write_k)

    # -- memory tiers: activations in HBM when it has room, weights fill what is left ---------
    pp = np.maximum(col["sockets"].astype(np.int64) // tp, 1)
    resident_act = (write_k + src_b).sum(axis=1, keepdims=True)
    w_sock = weights_k.sum(axis=1, keepdims=True) / pp
    hbm_cap, ddr_cap = col["hbm_gb"] * 1e9, col["ddr_gb"] * 1e9
    has_hbm = (col["hbm_gb"] > 0) & (col["hbm_bw_gbs"] > 0)
    act_in_hbm = has_hbm & (resident_act <= hbm_cap)
    w_frac = np.where(has_hbm, np.minimum(np.maximum((hbm_cap - resident_act * act_in_hbm)
                                                     / np.maximum(w_sock, 1.0), 0.0), 1.0), 0.0)
    mem_bad = (w_sock + resident_act > hbm_cap + ddr_cap).ravel()
    hbm_bw = np.maximum(col["hbm_bw_gbs"], 1e-9) * 1e9
    ddr_bw = col["ddr_bw_gbs"] * 1e9
    t_dram = act / np.where(act_in_hbm, hbm_bw, ddr_bw)
    t_setup = np.where(used, weights * (w_frac / hbm_bw + (1.0 - w_frac) / ddr_bw) + reconfig_s, 0.0)

    net_k = np.where(kg.allreduce[None, :], kg.out_elems * wb * (tp - 1) / tp, 0.0)
    t_net = seg_sum(net_k) / (col["link_gbs"] * 1e9)
    fill = seg_max(_longest_path(kg, section, per_unit / clock))
    ii = np.where(used, np.maximum(np.maximum(t_comp, t_dram), t_net) + fill + t_setup, 0.0)

    # -- pipeline parallelism: sections split into pp groups of about equal time ---------------
    total = ii.sum(axis=1, keepdims=True)
    start = np.cumsum(ii, axis=1) - ii
    group = np.minimum(np.maximum(np.floor(start / np.maximum(total, 1e-30) * pp), 0), pp - 1).astype(np.int64)
    group_k = at_kernel(group)
    boundary = group_k[:, 1:] != group_k[:, :-1]
    p2p_b = (boundary * out_b[:, :-1] * tp).sum(axis=1)          # full activation crosses
    t_p2p = p2p_b / (col["link_gbs"].ravel() * 1e9)
    n_groups = int(group.max()) + 1                               # ≤ pp; may exceed the section slots
    group_time = np.bincount((np.arange(n_des)[:, None] * n_groups + group).ravel(), weights=ii.ravel(),
                             minlength=n_des * n_groups).reshape(n_des, n_groups)
    latency = total.ravel() + t_p2p
    per_hop = np.where(boundary.any(axis=1), t_p2p / np.maximum(boundary.sum(axis=1), 1), 0.0)
    interval = np.maximum(group_time.max(axis=1), per_hop)

    # -- resources ------------------------------------------------------------------------------
    pcu_used = seg_sum(pcu.astype(float))
    pcu_bad = (pcu_used > col["n_pcu"]).any(axis=1)
    pmu_b = col["pmu_kib"] * 1024.0
    pmu_used = np.where(used, np.ceil((buffers + weights / wt) / pmu_b), 0.0)
    tp_bad = (col["sockets"].astype(np.int64) % tp != 0).ravel()

    # -- totals over all sockets and energy ------------------------------------------------------
    tpf = tp.ravel().astype(float)
    act_total = act.sum(axis=1) * tpf
    w_total = weights.sum(axis=1) * tpf
    hbm_bytes = act_total * act_in_hbm.ravel() + w_total * w_frac.ravel()
    ddr_bytes = act_total * (~act_in_hbm.ravel()) + w_total * (1.0 - w_frac.ravel())
    net_bytes = net_k.sum(axis=1) * tpf + p2p_b
    in_b = seg_sum(out_b[:, es], flat_ed)
    sram_bytes = ((in_b + out_b + src_b / tp + weights_k * nt_k).sum(axis=1)) * tpf
    flops = kg.total_flops
    energy_j = 1e-12 * (flops * energy.PJ_PER_OP + sram_bytes * energy.PJ_PER_SRAM_BYTE
                        + hbm_bytes * energy.PJ_PER_HBM_BYTE + ddr_bytes * energy.PJ_PER_DDR_BYTE
                        + net_bytes * energy.PJ_PER_LINK_BYTE)
    sockets = col["sockets"].ravel()
    peak = 2.0 * col["lanes"].ravel() * col["stages"].ravel() * col["n_pcu"].ravel() * clock.ravel() * sockets
    compute_s = t_comp.sum(axis=1)
    metrics = {
        "latency_s": latency,
        "cycles": latency * clock.ravel(),
        "compute_cycles": compute_s * clock.ravel(),
        "stall_cycles": np.maximum(latency - compute_s, 0.0) * clock.ravel(),
        "energy_j": energy_j,
        "throughput_ops_per_s": flops / latency,
        "throughput_inf_per_s": 1.0 / interval,
        "peak_ops_per_s": peak,
        "utilization": flops / (latency * peak),
        "dram_bytes": hbm_bytes + ddr_bytes,
        "hbm_bytes": hbm_bytes,
        "ddr_bytes": ddr_bytes,
        "sram_bytes": sram_bytes,
        "network_bytes": net_bytes,
        "n_sections": used.sum(axis=1).astype(float),
    }
    violations = {"pcu_capacity": pcu_bad, "sram_capacity": sram_bad, "memory_capacity": mem_bad,
                  "tp_divides_sockets": tp_bad}
    return Model(section=section, pcu=pcu, tp=tp.ravel(), depth=depth.ravel(), used=used,
                 n_tile=n_tile, cyc=cyc, unit_cyc=np.broadcast_to(per_unit, cyc.shape), step_cyc=step_cyc, t_comp=t_comp, t_dram=t_dram,
                 t_net=t_net, t_setup=t_setup, t_fill=fill, ii=ii, weight_tiling=wt, buffers_b=buffers,
                 weights_b=weights, pcu_used=pcu_used, pmu_used=pmu_used, read_b_k=read_k,
                 write_b_k=write_k, net_b_k=net_k, act_b=act, act_in_hbm=act_in_hbm.ravel(),
                 weight_hbm_frac=w_frac.ravel(),
                 act_bw=np.where(act_in_hbm, hbm_bw, ddr_bw).ravel(), link_bw=col["link_gbs"].ravel() * 1e9,
                 group=group, t_p2p=t_p2p, clock_hz=clock.ravel(), violations=violations,
                 metrics=metrics)


@njit(cache=True)
def _max_at(out: np.ndarray, idx: np.ndarray, vals: np.ndarray) -> None:
    """``np.maximum.at(out, idx, vals)`` (NaN wins), compiled: ``np.ufunc.at`` is slow."""
    for i in range(idx.size):
        out[idx[i]] = maximum(out[idx[i]], vals[i])


def _longest_path(kg: KernelGraph, section: np.ndarray, step_s: np.ndarray) -> np.ndarray:
    """Per kernel: the longest chain of on-chip producers ending at it (sum of ``step_s``). The
    edges sorted by consumer are memoised in ``kg.memo``."""
    if (key := "edges by consumer") not in kg.memo:
        order = np.argsort(kg.edge_dst, kind="stable")
        kg.memo[key] = (kg.edge_src[order].astype(np.int64), kg.edge_dst[order].astype(np.int64))
    path = np.array(np.broadcast_to(step_s, section.shape), dtype=float)
    src, dst = kg.memo[key]
    _add_longest_pred(np.ascontiguousarray(section), src, dst, path)
    return path


@njit(cache=True)
def _add_longest_pred(section: np.ndarray, src: np.ndarray, dst: np.ndarray, path: np.ndarray) -> None:
    """In place, per row and kernel ``k`` in order: ``path[k] +=`` the most over its producers ``p``
    (edges sorted by consumer) of ``path[p]`` if ``p`` is in ``k``'s section, else 0."""
    for d in range(section.shape[0]):
        e = 0
        while e < dst.size:
            k = dst[e]
            s = section[d, k]
            best = path[d, src[e]] if section[d, src[e]] == s else 0.0
            e += 1
            while e < dst.size and dst[e] == k:
                v = path[d, src[e]] if section[d, src[e]] == s else 0.0
                best = maximum(best, v)
                e += 1
            path[d, k] += best
