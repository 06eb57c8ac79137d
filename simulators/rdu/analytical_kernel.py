"""The analytical RDU model (:func:`.analytical.evaluate_arrays`) as one compiled CPU kernel (numba).

The array path costs ~150 small numpy operations per call whatever its rows (a mapper's call
models a few to a few hundred candidate rows), ~0.5 ms. This kernel computes the same numbers
in one compiled loop over rows, with the floating-point operations of the array path in the same
order: segment sums (``np.bincount``) add a row's kernels (or edges) in order from ``0.0``,
segment maxima (:func:`.analytical._max_at`) from ``0.0`` with NaN winning, sums over a row's
kernels or section slots numpy's pairwise sum (:func:`simulators.common.kernel_math.pairwise_sum`), the
running start of each section (``np.cumsum``) left to right. ``tests/test_rdu_analytical_kernel.py`` holds the two paths
to bit equality.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulators.common.kernel_math import maximum, minimum, pairwise_sum
from simulators.rdu import energy
from simulators.rdu.kernels import grouped_work, lane_groups

#: rows of the ``hw`` input (:data:`.hardware.HW_PARAMS`' values per design)
HW = ("lanes", "stages", "clock_mhz", "n_pcu", "n_pmu", "pmu_kib", "sockets", "hbm_gb", "ddr_gb", "hbm_bw_gbs",
      "ddr_bw_gbs", "link_gbs")
#: float outputs per design and section slot / kernel: :class:`.analytical.Model`'s fields
FLOAT_FIELDS = ("step_cyc", "t_comp", "t_dram", "t_net", "t_setup", "t_fill", "ii", "weight_tiling", "buffers_b",
                "weights_b", "pcu_used", "pmu_used", "read_b_k", "write_b_k", "net_b_k", "act_b")
#: int64 outputs per design and section slot / kernel
INT_FIELDS = ("n_tile", "cyc", "unit_cyc", "group")
#: float outputs per design: Model fields, then the metrics (:class:`.analytical.Model`'s order)
ROW_FIELDS = ("weight_hbm_frac", "act_bw", "link_bw", "t_p2p", "clock_hz")
METRICS = ("latency_s", "cycles", "compute_cycles", "stall_cycles", "energy_j", "throughput_ops_per_s",
           "throughput_inf_per_s", "peak_ops_per_s", "utilization", "dram_bytes", "hbm_bytes", "ddr_bytes",
           "sram_bytes", "network_bytes", "n_sections")
#: bool outputs per design: the tier flag, then the violations
FLAGS = ("act_in_hbm", "pcu_capacity", "sram_capacity", "memory_capacity", "tp_divides_sockets")
(LANES, STAGES, CLOCK, N_PCU, N_PMU, PMU_KIB, SOCKETS, HBM_GB, DDR_GB, HBM_BW, DDR_BW, LINK) = range(len(HW))
(STEP, T_COMP, T_DRAM, T_NET, T_SETUP, FILL, II, WT, BUFFERS, WEIGHTS, PCU_USED, PMU_USED, READ_K, WRITE_K, NET_K,
 ACT) = range(len(FLOAT_FIELDS))
(N_TILE, CYC, PER_UNIT, GROUP) = range(len(INT_FIELDS))
(LATENCY, CYCLES, COMPUTE_CYCLES, STALL, ENERGY, OPS, INF, PEAK, UTIL, DRAM, HBM_B, DDR_B, SRAM_B, NET_B,
 N_SECTIONS) = range(len(ROW_FIELDS), len(ROW_FIELDS) + len(METRICS))
(IN_HBM, PCU_BAD, SRAM_BAD, MEM_BAD, TP_BAD) = range(len(FLAGS))
#: kernel-graph int64 rows (``graph_int``) and float rows (``graph_float``)
GRAPH_INT = ("kind", "outer", "m", "k", "rows")
GRAPH_FLOAT = ("out_elems", "src_in_elems", "weight_elems")




def rows(graph: tuple[np.ndarray, ...], hw: np.ndarray, section: np.ndarray, pcu: np.ndarray, tile: np.ndarray,
         depth: np.ndarray, tp: np.ndarray, wb: float, reconfig_s: float, flops: float, out_f: np.ndarray,
         out_i: np.ndarray, used: np.ndarray, out_row: np.ndarray, flags: np.ndarray) -> None:
    """Every design row ``d`` of :func:`.analytical.evaluate_arrays`, into ``out_f`` ``(FLOAT_FIELDS, D, N)``,
    ``out_i`` ``(INT_FIELDS, D, N)``, ``used`` ``(D, N)``, ``out_row`` ``(ROW_FIELDS + METRICS, D)`` and
    ``flags`` ``(FLAGS, D)``. ``graph``: :data:`GRAPH_INT` rows (int64), :data:`GRAPH_FLOAT` rows, the sink
    and all-reduce flags, edge sources and consumers, the edge indices sorted by consumer (stable);
    ``hw`` ``(HW, D)``; ``section``, ``pcu`` ``(D, N)`` and ``tile``, ``tp`` ``(D,)`` int64, ``depth`` ``(D,)``."""
    g_int, g_float, sink, allreduce, es, ed, by_dst = graph
    _rows(g_int, g_float, sink, allreduce, es, ed, by_dst, hw, section, pcu, tile, depth, tp, wb, reconfig_s, flops,
          out_f, out_i, used, out_row, flags)


@njit(cache=True, error_model="numpy")
def _rows(g_int: np.ndarray, g_float: np.ndarray, sink: np.ndarray, allreduce: np.ndarray, es: np.ndarray,
          ed: np.ndarray, by_dst: np.ndarray, hw: np.ndarray, section: np.ndarray, pcu: np.ndarray, tile: np.ndarray,
          depth: np.ndarray, tp: np.ndarray, wb: float, reconfig_s: float, flops: float, out_f: np.ndarray,
          out_i: np.ndarray, used: np.ndarray, out_row: np.ndarray, flags: np.ndarray) -> None:  # pragma: no cover
    """:func:`rows`, compiled. Per-kernel terms that depend only on the tile, the TP degree or the lanes are
    the previous row's when those are (the same operations on the same values)."""
    n_des, n = section.shape
    n_edges = es.size
    kind, outer, m, kk, rws = g_int[0], g_int[1], g_int[2], g_int[3], g_int[4]
    out_elems, src_in, w_elems = g_float[0], g_float[1], g_float[2]
    nt_k = np.empty(n, np.int64)
    out_b = np.empty(n)
    src_b = np.empty(n)
    tile_out = np.empty(n)
    weights_k = np.empty(n)
    written = np.empty(n, np.bool_)
    cross = np.empty(n_edges, np.bool_)
    edge_read = np.empty(n)
    in_b = np.empty(n)
    path = np.empty(n)
    tmp = np.empty(n)
    ii_start = np.empty(n)
    group_time = np.empty(n + 1)
    ceil_tile = np.empty(n)       # per kernel: its rows over the row's tile, as the previous row's when equal
    groups = np.empty(n, np.int64)  # lane groups: the previous row's at the same TP degree and lanes
    net_k = np.empty(n)
    for k in range(n):
        src_b[k] = src_in[k] * wb
    for d in range(n_des):
        sec, pc, f, ints = section[d], pcu[d], out_f[:, d], out_i[:, d]
        h = hw[:, d]
        tpd = tp[d]
        tpf = float(tpd)
        lanes, stages = np.int64(h[LANES]), np.int64(h[STAGES])
        clock = h[CLOCK] * 1e6
        if d == 0 or tile[d] != tile[d - 1]:
            for k in range(n):
                ceil_tile[k] = float(-(-rws[k] // tile[d]))
        new_tp = d == 0 or tpd != tp[d - 1]
        if new_tp:
            for k in range(n):
                out_b[k] = out_elems[k] * wb / tpf
                weights_k[k] = w_elems[k] * wb / tpf
                net_k[k] = out_elems[k] * wb * (tpd - 1) / tpf if allreduce[k] else 0.0
        if new_tp or h[LANES] != hw[LANES, d - 1]:
            for k in range(n):
                groups[k] = lane_groups(m[k], tpd, lanes)
        for s in range(n):
            used[d, s] = False
            f[STEP, s] = 0.0
            f[FILL, s] = 0.0
            for q in (BUFFERS, WEIGHTS, T_NET, ACT, PCU_USED):
                f[q, s] = 0.0
            tmp[s] = 0.0
        for k in range(n):      # section tile counts (segment maximum of each kernel's tile count)
            used[d, sec[k]] = True
            tmp[sec[k]] = maximum(tmp[sec[k]], ceil_tile[k])
        for s in range(n):
            ints[N_TILE, s] = np.int64(tmp[s])
        for k in range(n):      # units and cycles per unit (kernels.unit_work)
            s = sec[k]
            nt_k[k] = ints[N_TILE, s]
            units, per_unit = grouped_work(kind[k], outer[k], groups[k], kk[k], -(-rws[k] // nt_k[k]), stages)
            ints[PER_UNIT, k] = per_unit
            ints[CYC, k] = -(-units // max(pc[k], 1)) * per_unit
            f[STEP, s] = maximum(f[STEP, s], float(ints[CYC, k]))
            tile_out[k] = out_b[k] / nt_k[k]
            written[k] = sink[k]
            edge_read[k] = 0.0
            in_b[k] = 0.0
            path[k] = per_unit / clock
        for s in range(n):
            f[T_COMP, s] = ints[N_TILE, s] * f[STEP, s] / clock
            tmp[s] = 0.0            # edge buffers per consumer section
        for e in range(n_edges):
            cross[e] = sec[es[e]] != sec[ed[e]]
            if cross[e]:
                written[es[e]] = True
        for e in range(n_edges):
            edge_read[ed[e]] += (1.0 if cross[e] else 0.0) * out_b[es[e]]
            tmp[sec[ed[e]]] += (2.0 if cross[e] else depth[d]) * tile_out[es[e]]
            in_b[ed[e]] += out_b[es[e]]
        for s in range(n):
            f[BUFFERS, s] = tmp[s]
            tmp[s] = 0.0
        for k in range(n):
            tmp[sec[k]] += (2.0 if written[k] else 0.0) * tile_out[k]
        for s in range(n):
            f[BUFFERS, s] += tmp[s]
            tmp[s] = 0.0
        for k in range(n):
            tmp[sec[k]] += 2.0 * src_b[k] / nt_k[k]
            f[WEIGHTS, sec[k]] += weights_k[k]
        sram = h[N_PMU] * h[PMU_KIB] * 1024.0
        sram_bad = False
        for s in range(n):
            f[BUFFERS, s] += tmp[s]
            avail = sram - f[BUFFERS, s]
            sram_bad |= used[d, s] and avail <= 0
            w = f[WEIGHTS, s]
            f[WT, s] = maximum(1.0, np.ceil(w / maximum(avail, 1.0))) if w > 0 else 1.0
        for k in range(n):
            s = sec[k]
            f[READ_K, k] = (edge_read[k] + src_b[k]) * f[WT, s]
            f[WRITE_K, k] = (1.0 if written[k] else 0.0) * out_b[k]
            f[ACT, s] += f[READ_K, k] + f[WRITE_K, k]
            tmp[k] = f[WRITE_K, k] + src_b[k]

        # -- memory tiers --------------------------------------------------------------------------
        pp = max(np.int64(h[SOCKETS]) // tpd, 1)
        resident_act = pairwise_sum(tmp, 0, n)
        w_sock = pairwise_sum(weights_k, 0, n) / pp
        hbm_cap, ddr_cap = h[HBM_GB] * 1e9, h[DDR_GB] * 1e9
        has_hbm = h[HBM_GB] > 0 and h[HBM_BW] > 0
        in_hbm = has_hbm and resident_act <= hbm_cap
        w_frac = minimum(maximum((hbm_cap - resident_act * (1.0 if in_hbm else 0.0)) / maximum(w_sock, 1.0),
                                   0.0), 1.0) if has_hbm else 0.0
        hbm_bw = maximum(h[HBM_BW], 1e-9) * 1e9
        ddr_bw = h[DDR_BW] * 1e9
        act_bw = hbm_bw if in_hbm else ddr_bw
        link = h[LINK] * 1e9
        for k in range(n):
            s = sec[k]
            f[NET_K, k] = net_k[k]
            f[T_NET, s] += f[NET_K, k]
            f[PCU_USED, s] += float(pc[k])
        _longest(sec, es, ed, by_dst, path)
        for k in range(n):
            f[FILL, sec[k]] = maximum(f[FILL, sec[k]], path[k])
        pmu_b = h[PMU_KIB] * 1024.0
        pcu_bad = False
        for s in range(n):
            f[T_DRAM, s] = f[ACT, s] / act_bw
            f[T_NET, s] = f[T_NET, s] / link
            u = used[d, s]
            f[T_SETUP, s] = f[WEIGHTS, s] * (w_frac / hbm_bw + (1.0 - w_frac) / ddr_bw) + reconfig_s if u else 0.0
            f[II, s] = (maximum(maximum(f[T_COMP, s], f[T_DRAM, s]), f[T_NET, s]) + f[FILL, s] + f[T_SETUP, s]
                        if u else 0.0)
            pcu_bad |= f[PCU_USED, s] > h[N_PCU]
            f[PMU_USED, s] = np.ceil((f[BUFFERS, s] + f[WEIGHTS, s] / f[WT, s]) / pmu_b) if u else 0.0

        # -- pipeline parallelism ------------------------------------------------------------------
        total = pairwise_sum(f[II], 0, n)
        run = 0.0
        for s in range(n):
            run = f[II, s] if s == 0 else run + f[II, s]
            ii_start[s] = run - f[II, s]
        n_groups = 0
        for s in range(n):
            g = minimum(maximum(np.floor(ii_start[s] / maximum(total, 1e-30) * pp), 0.0), float(pp - 1))
            ints[GROUP, s] = np.int64(g)
            n_groups = max(n_groups, ints[GROUP, s] + 1)
        hops = 0
        for k in range(n - 1):
            hop = ints[GROUP, sec[k + 1]] != ints[GROUP, sec[k]]
            hops += hop
            tmp[k] = (1.0 if hop else 0.0) * out_b[k] * tpf
        p2p_b = pairwise_sum(tmp, 0, n - 1)
        t_p2p = p2p_b / link
        if n_groups > group_time.size:
            group_time = np.empty(n_groups)
        group_time[:n_groups] = 0.0
        for s in range(n):
            group_time[ints[GROUP, s]] += f[II, s]
        slowest = group_time[0]
        for g in range(1, n_groups):
            slowest = maximum(slowest, group_time[g]) if not math.isnan(slowest) else slowest
        latency = total + t_p2p
        per_hop = t_p2p / max(hops, 1) if hops > 0 else 0.0
        interval = maximum(slowest, per_hop)

        # -- totals over all sockets and energy ------------------------------------------------------
        act_total = pairwise_sum(f[ACT], 0, n) * tpf
        w_total = pairwise_sum(f[WEIGHTS], 0, n) * tpf
        hbm_bytes = act_total * (1.0 if in_hbm else 0.0) + w_total * w_frac
        ddr_bytes = act_total * (0.0 if in_hbm else 1.0) + w_total * (1.0 - w_frac)
        net_bytes = pairwise_sum(f[NET_K], 0, n) * tpf + p2p_b
        for k in range(n):
            tmp[k] = in_b[k] + out_b[k] + src_b[k] / tpf + weights_k[k] * nt_k[k]
        sram_bytes = pairwise_sum(tmp, 0, n) * tpf
        energy_j = 1e-12 * (flops * energy.PJ_PER_OP + sram_bytes * energy.PJ_PER_SRAM_BYTE
                            + hbm_bytes * energy.PJ_PER_HBM_BYTE + ddr_bytes * energy.PJ_PER_DDR_BYTE
                            + net_bytes * energy.PJ_PER_LINK_BYTE)
        peak = 2.0 * h[LANES] * h[STAGES] * h[N_PCU] * clock * h[SOCKETS]
        compute_s = pairwise_sum(f[T_COMP], 0, n)
        n_used = 0
        for s in range(n):
            n_used += used[d, s]
        r = out_row[:, d]
        r[0], r[1], r[2], r[3], r[4] = w_frac, act_bw, link, t_p2p, clock
        r[LATENCY] = latency
        r[CYCLES] = latency * clock
        r[COMPUTE_CYCLES] = compute_s * clock
        r[STALL] = maximum(latency - compute_s, 0.0) * clock
        r[ENERGY] = energy_j
        r[OPS] = flops / latency
        r[INF] = 1.0 / interval
        r[PEAK] = peak
        r[UTIL] = flops / (latency * peak)
        r[DRAM] = hbm_bytes + ddr_bytes
        r[HBM_B] = hbm_bytes
        r[DDR_B] = ddr_bytes
        r[SRAM_B] = sram_bytes
        r[NET_B] = net_bytes
        r[N_SECTIONS] = float(n_used)
        flags[IN_HBM, d] = in_hbm
        flags[PCU_BAD, d] = pcu_bad
        flags[SRAM_BAD, d] = sram_bad
        flags[MEM_BAD, d] = w_sock + resident_act > hbm_cap + ddr_cap
        flags[TP_BAD, d] = np.int64(h[SOCKETS]) % tpd != 0


@njit(cache=True, inline="always", error_model="numpy")
def _longest(sec: np.ndarray, es: np.ndarray, ed: np.ndarray, by_dst: np.ndarray,
             path: np.ndarray) -> None:  # pragma: no cover - compiled
    """In place, for each kernel ``k`` in order: ``path[k] +=`` the most over its on-chip producers
    (edges by consumer) of ``path[p]`` (:func:`.analytical._add_longest_pred`, one row)."""
    e = 0
    while e < by_dst.size:
        k = ed[by_dst[e]]
        s = sec[k]
        p = es[by_dst[e]]
        best = path[p] if sec[p] == s else 0.0
        e += 1
        while e < by_dst.size and ed[by_dst[e]] == k:
            p = es[by_dst[e]]
            best = maximum(best, path[p] if sec[p] == s else 0.0)
            e += 1
        path[k] += best
