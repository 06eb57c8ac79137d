"""The cycle-level RDU model: a tile-granularity discrete-event simulation of each section.

Every (kernel, step) is an event with a start and a finish time. A kernel starts step ``i`` when

* it has finished step ``i−1`` (one tile in flight per stage),
* every on-chip producer has emitted its first unit of step ``i`` (data stream below tile
  granularity, so the stage cannot finish before its producers' last data plus one unit),
* every on-chip consumer has returned a credit: it finished step ``i − depth`` (buffer depth),
* its DRAM inputs for step ``i`` have arrived and its output buffer (double-buffered) is free.

DRAM reads and writes of all stages of a section share one channel of the activation tier's
bandwidth: each transfer takes the earliest idle slot of the channel at or after its issue time
(the read of tile ``i+1`` is issued when tile ``i`` starts, into the half of the double buffer
that tile ``i−1`` freed; a write when its tile is done); all-reduces
share the inter-socket link. A section starts after its weights and program are loaded. In
steady state each step takes ``max(slowest stage, DRAM bytes per step / BW, link bytes / BW)``,
the analytical model's ``II / n_tile``; the difference is pipeline fill/drain and contention.
"""

from __future__ import annotations

import bisect

import numpy as np

from simulators.rdu.analytical import Model


def section_times(model: Model, d: int, kg_edges: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Simulated wall time (s) of every used section slot of design ``d`` (setup included)."""
    es, ed = kg_edges
    section = model.section[d]
    clock, bw, link = model.clock_hz[d], model.act_bw[d], model.link_bw[d]
    depth = int(model.depth[d])
    out = np.zeros(section.size)
    for s in np.flatnonzero(model.used[d]):
        ks = np.flatnonzero(section == s)
        local = {int(k): j for j, k in enumerate(ks)}
        inner = (section[es] == s) & (section[ed] == s)
        preds = [[local[int(a)] for a, b in zip(es[inner], ed[inner]) if int(b) == k] for k in ks]
        succs = [[local[int(b)] for a, b in zip(es[inner], ed[inner]) if int(a) == k] for k in ks]
        nt = int(model.n_tile[d, s])
        busy = model.cyc[d, ks] / clock
        rd = model.read_b_k[d, ks] / nt / bw
        wr = model.write_b_k[d, ks] / nt / bw
        net = model.net_b_k[d, ks] / nt / link
        unit = model.unit_cyc[d, ks] / clock
        out[s] = model.t_setup[d, s] + _simulate(nt, busy, unit, rd, wr, net, preds, succs, depth)
    return out


def _simulate(nt: int, busy: np.ndarray, unit: np.ndarray, rd: np.ndarray, wr: np.ndarray, net: np.ndarray,
              preds: list[list[int]], succs: list[list[int]], depth: int) -> float:
    """Event times of one section's pipeline; returns its makespan from time 0."""
    n = busy.size
    start = np.zeros((n, nt))
    finish = np.zeros((n, nt))
    ready_out = np.zeros((n, nt))   # output usable downstream (after the all-reduce)
    write_done = np.zeros((n, nt))
    read_done = np.zeros((n, nt))
    dram, link = _Channel(), _Channel()
    end = 0.0
    for i in range(nt):
        for k in range(n):
            t = finish[k, i - 1] if i else 0.0
            if rd[k] > 0 and i == 0:
                read_done[k, 0] = dram.reserve(0.0, rd[k])
            t = max(t, read_done[k, i])
            last_in = 0.0
            for p in preds[k]:
                t = max(t, start[p, i] + unit[p] + (ready_out[p, i] - finish[p, i]))
                last_in = max(last_in, ready_out[p, i])
            if i >= depth:
                for c in succs[k]:
                    t = max(t, finish[c, i - depth])
            if i >= 2 and wr[k] > 0:
                t = max(t, write_done[k, i - 2])
            start[k, i] = t
            if rd[k] > 0 and i + 1 < nt:  # prefetch the next tile into the freed half of the buffer
                read_done[k, i + 1] = dram.reserve(finish[k, i - 1] if i else 0.0, rd[k])
            finish[k, i] = max(t + busy[k], last_in + unit[k])
            done = finish[k, i]
            if net[k] > 0:
                done = link.reserve(done, net[k])
            ready_out[k, i] = done
            if wr[k] > 0:
                write_done[k, i] = done = dram.reserve(done, wr[k])
            end = max(end, done)
    return end


def metrics(model: Model, d: int, times: np.ndarray, flops: float) -> dict[str, float]:
    """Latency-derived metrics of design ``d`` from simulated section times."""
    m = {k: float(v[d]) for k, v in model.metrics.items()}
    clock = model.clock_hz[d]
    latency = float(times.sum() + model.t_p2p[d])
    group_time = np.bincount(model.group[d][model.used[d]], weights=times[model.used[d]])
    compute_s = m["compute_cycles"] / clock
    m.update(latency_s=latency, cycles=latency * clock, stall_cycles=max(latency - compute_s, 0.0) * clock,
             throughput_ops_per_s=flops / latency, utilization=flops / (latency * m["peak_ops_per_s"]),
             throughput_inf_per_s=1.0 / max(float(group_time.max()), 1e-30))
    return m


class _Channel:
    """A shared transfer resource: a calendar of busy intervals; each transfer takes the earliest
    idle gap of its length at or after its issue time."""

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.ends: list[float] = []

    def reserve(self, issue: float, duration: float) -> float:
        """Book ``duration`` seconds no earlier than ``issue``; returns the completion time."""
        j = bisect.bisect_right(self.ends, issue)
        t = issue
        while j < len(self.starts) and self.starts[j] < t + duration:
            t = max(t, self.ends[j])
            j += 1
        if j > 0 and self.ends[j - 1] == t:  # extend the interval that ends where this one starts
            self.ends[j - 1] = t + duration
            if j < len(self.starts) and self.starts[j] == t + duration:
                self.ends[j - 1] = self.ends.pop(j)
                self.starts.pop(j)
        elif j < len(self.starts) and self.starts[j] == t + duration:
            self.starts[j] = t
        else:
            self.starts.insert(j, t)
            self.ends.insert(j, t + duration)
        return t + duration
