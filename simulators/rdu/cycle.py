"""The cycle-level RDU model: a tile-granularity discrete-event simulation of each section.

Every (kernel, step) is an event with a start and a finish time. A kernel starts step ``i`` when

* it has finished step ``i−1`` (one tile in flight per stage),
* every on-chip producer has emitted its first unit of step ``i`` (data stream below tile
  granularity, so the stage cannot finish before its producers' last data plus one unit),
* every on-chip consumer has returned a credit: it finished step ``i − depth`` (buffer depth),
* its DRAM inputs for step ``i`` have arrived and its output buffer (double-buffered) is free.

DRAM reads and writes of all stages of a section share one channel of the activation tier's
bandwidth, all-reduces the inter-socket link. Transfers are requests in one event queue ordered
by issue time, and each channel serves its requests first come, first served (ties: by tile,
then read/write/all-reduce, then kernel — never by the order the simulation happens to reach
them). The read of tile ``i+1`` is issued when tile ``i−1`` finishes, into the half of the
double buffer it freed; a write when its tile's output is ready. (An earlier version let each
request take the earliest idle gap of the channel in the simulation's loop order, a greedy list
schedule: a faster clock moved a request into an earlier gap ahead of a more urgent one and
made BERT-base up to ~9 % slower, issue 20.) A section starts after its weights and program are
loaded. In steady state each step takes ``max(slowest stage, DRAM bytes per step / BW, link
bytes / BW)``, the analytical model's ``II / n_tile``; the difference is pipeline fill/drain and
contention.

At this fidelity the default mapper picks, among its candidates, the one with the lowest
*simulated* latency (:func:`best_candidate`, exact thanks to :func:`lower_bound`), not the
analytical favourite: the candidates do not depend on clock or bandwidths, so the minimum never
grows when they do, while the analytical ranking could swap to a mapping the simulation finds
slower (more HBM bandwidth: up to +16 % on BERT-base).
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np
from numba import njit

from simulators.rdu.analytical import Model

#: simulated makespans of sections by their simulation's inputs (:func:`section_times`' ``memo``)
Memo = dict[tuple[Any, ...], float]


def section_times(model: Model, d: int, kg_edges: tuple[np.ndarray, np.ndarray], memo: Memo | None = None
                  ) -> np.ndarray:
    """Simulated wall time (s) of every used section slot of design ``d`` (setup included). With a
    ``memo``, a section whose simulation inputs (kernels, steps, depth, per-kernel times) were
    simulated before is not simulated again: candidates and designs of a batch share sections."""
    es, ed = kg_edges
    section = model.section[d]
    clock, bw, link = model.clock_hz[d], model.act_bw[d], model.link_bw[d]
    depth = int(model.depth[d])
    out = np.zeros(section.size)
    inner = section[es] == section[ed]
    for s in np.flatnonzero(model.used[d]):
        ks = np.flatnonzero(section == s)
        local = {k: j for j, k in enumerate(ks.tolist())}
        preds: list[list[int]] = [[] for _ in ks]
        succs: list[list[int]] = [[] for _ in ks]
        on = inner & (section[es] == s)
        for a, b in zip(es[on].tolist(), ed[on].tolist()):
            preds[local[b]].append(local[a])
            succs[local[a]].append(local[b])
        nt = int(model.n_tile[d, s])
        busy = model.cyc[d, ks] / clock
        rd = model.read_b_k[d, ks] / nt / bw
        wr = model.write_b_k[d, ks] / nt / bw
        net = model.net_b_k[d, ks] / nt / link
        unit = model.unit_cyc[d, ks] / clock
        key = (ks.tobytes(), nt, depth, *(x.tobytes() for x in (busy, unit, rd, wr, net)))
        span = memo.get(key) if memo is not None else None
        if span is None:
            span = _simulate(nt, busy, unit, rd, wr, net, preds, succs, depth)
            if memo is not None:
                memo[key] = span
        out[s] = model.t_setup[d, s] + span
    return out


def best_candidate(model: Model, bound: np.ndarray, rows: list[int],
                   kg_edges: tuple[np.ndarray, np.ndarray], memo: Memo | None = None) -> tuple[int, np.ndarray]:
    """Of ``rows`` of ``model`` (one design's candidate mappings), the one with the lowest simulated
    latency (the lowest row among equals), and its section times. Rows are tried in order of
    ``bound`` (:func:`lower_bound`) and one is simulated only when its bound does not exceed the
    best latency so far (give or take rounding: the bound can meet the simulated latency exactly),
    so the result is the exact minimum over ``rows`` whatever the bound."""
    best, best_lat, best_times = rows[0], np.inf, np.zeros(0)
    for j in sorted(rows, key=lambda j: bound[j]):
        if bound[j] > best_lat * (1 + 1e-9):
            break
        times = section_times(model, j, kg_edges, memo)
        lat = float(times.sum() + model.t_p2p[j])
        if (lat, j) < (best_lat, best):
            best, best_lat, best_times = j, lat, times
    return best, best_times


def lower_bound(model: Model, kg_edges: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``(D,)`` latencies no simulation of ``model``'s rows can beat: per section its setup plus the
    most of: all its DRAM transfers back to back (``T_dram``), all its all-reduces (``T_net``),
    and for every kernel the earliest its first step can start (its first read; an on-chip
    producer's earliest start plus one unit), then ``n_tile`` steps, then the shortest way out:
    its last all-reduce, then its last write or an on-chip consumer's last unit and way out."""
    es, ed = kg_edges
    nt = np.take_along_axis(model.n_tile, model.section, axis=1).astype(float)
    clock = model.clock_hz[:, None]
    busy, unit = model.cyc / clock, model.unit_cyc / clock
    first = model.read_b_k / nt / model.act_bw[:, None]
    write = model.write_b_k / nt / model.act_bw[:, None]
    net = model.net_b_k / nt / model.link_bw[:, None]
    edges = np.stack([es, ed], axis=1).astype(np.int64).reshape(-1, 2)
    chain = np.zeros(model.n_tile.shape)
    _chains(np.ascontiguousarray(model.section), unit, net, first.copy(), write.copy(), nt * busy,
            edges[np.argsort(edges[:, 1], kind="stable")], edges[np.argsort(-edges[:, 0], kind="stable")], chain)
    per = np.maximum(np.maximum(chain, model.t_dram), model.t_net) + model.t_setup
    return np.where(model.used, per, 0.0).sum(axis=1) + model.t_p2p


@njit(cache=True)
def _max(x: float, y: float) -> float:
    """``np.maximum`` of two floats (NaN wins)."""
    return x if x >= y or math.isnan(x) else y


@njit(cache=True)
def _chains(section: np.ndarray, unit: np.ndarray, net: np.ndarray, head: np.ndarray, down: np.ndarray,
            steps: np.ndarray, by_dst: np.ndarray, by_src: np.ndarray, chain: np.ndarray) -> None:
    """:func:`lower_bound`'s paths, per row: ``head`` (a kernel's earliest first step) along the edges
    in order of consumer, ``down`` (its way out) in reverse order of producer, both over on-chip edges
    only, then each section's ``chain`` = the most over its kernels of head + steps + net + down
    (``head``, ``down`` and ``chain`` updated in place; the same float operations as array code)."""
    for d in range(section.shape[0]):
        for e in range(by_dst.shape[0]):
            a, b = by_dst[e, 0], by_dst[e, 1]
            if section[d, a] == section[d, b]:
                head[d, b] = _max(head[d, b], head[d, a] + unit[d, a])
        for e in range(by_src.shape[0]):
            a, b = by_src[e, 0], by_src[e, 1]
            if section[d, a] == section[d, b]:
                down[d, a] = _max(down[d, a], unit[d, b] + net[d, b] + down[d, b])
        for k in range(section.shape[1]):
            s = section[d, k]
            chain[d, s] = _max(chain[d, s], head[d, k] + steps[d, k] + net[d, k] + down[d, k])


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


def _simulate(nt: int, busy: np.ndarray, unit: np.ndarray, rd: np.ndarray, wr: np.ndarray, net: np.ndarray,
              preds: list[list[int]], succs: list[list[int]], depth: int) -> float:
    """Event times of one section's pipeline; returns its makespan from time 0."""
    return _Section(nt, busy, unit, rd, wr, net, preds, succs, depth).run()


_READ, _WRITE, _LINK = 0, 1, 2
_PENDING = -1.0      # a time not known yet (every event time is >= 0)


class _Section:
    """One section's discrete-event simulation: kernel steps are computed as soon as their inputs
    are known; transfer requests wait in one queue ordered by issue time (ties by step, kind,
    kernel), and each channel serves them first come, first served."""

    def __init__(self, nt: int, busy: np.ndarray, unit: np.ndarray, rd: np.ndarray, wr: np.ndarray,
                 net: np.ndarray, preds: list[list[int]], succs: list[list[int]], depth: int) -> None:
        n = busy.size
        self.nt, self.depth, self.preds, self.succs = nt, depth, preds, succs
        self.busy, self.unit, self.net = busy.tolist(), unit.tolist(), net.tolist()
        self.dur = (rd.tolist(), wr.tolist(), self.net)        # per kind, per kernel
        self.start = [[0.0] * nt for _ in range(n)]
        self.finish = [[0.0] * nt for _ in range(n)]
        self.ready = [[_PENDING] * nt for _ in range(n)]     # output usable downstream (after its all-reduce)
        self.done = tuple([[_PENDING] * nt for _ in range(n)] for _ in range(2))   # reads, writes
        self.next = [0] * n                                      # each kernel's next step
        self.free = [0.0, 0.0]                                   # DRAM channel, link: busy until
        self.end = 0.0
        self.todo = list(range(n))                               # kernels whose next step may be ready
        # the first two tiles' reads (both halves of the input double buffer) are issued at time 0
        self.queue = [(0.0, i, _READ, k) for i in range(min(nt, 2)) for k in range(n) if self.dur[_READ][k] > 0]
        heapq.heapify(self.queue)

    def run(self) -> float:
        while True:
            while self.todo:
                k = self.todo.pop()
                while self._ready(k):
                    self._step(k)
            if not self.queue:
                if min(self.next) < self.nt:   # impossible with depth >= 1 (the caller checks it)
                    raise RuntimeError(f"RDU cycle model: a section deadlocked at steps {self.next}")
                return self.end
            issue, i, kind, k = heapq.heappop(self.queue)
            ch = kind == _LINK
            t = self.free[ch] = max(issue, self.free[ch]) + self.dur[kind][k]
            if kind == _LINK:
                self._emit(k, i, t)
            else:
                self.done[kind][k][i] = t
                self.end = max(self.end, t)
                self.todo.append(k)

    def _ready(self, k: int) -> bool:
        """Whether kernel ``k``'s next step has all its inputs (see the module docstring)."""
        i = self.next[k]
        return (i < self.nt
                and (self.dur[_READ][k] <= 0 or self.done[_READ][k][i] >= 0)
                and all(self.ready[p][i] >= 0 for p in self.preds[k])
                and (i < self.depth or all(self.next[c] > i - self.depth for c in self.succs[k]))
                and (i < 2 or self.dur[_WRITE][k] <= 0 or self.done[_WRITE][k][i - 2] >= 0))

    def _step(self, k: int) -> None:
        i = self.next[k]
        t = self.finish[k][i - 1] if i else 0.0
        if self.dur[_READ][k] > 0:
            t = max(t, self.done[_READ][k][i])
        last_in = 0.0
        for p in self.preds[k]:
            ready = self.ready[p][i]
            t = max(t, self.start[p][i] + self.unit[p] + (ready - self.finish[p][i]))
            last_in = max(last_in, ready)
        if i >= self.depth:
            for c in self.succs[k]:
                t = max(t, self.finish[c][i - self.depth])
        if i >= 2 and self.dur[_WRITE][k] > 0:
            t = max(t, self.done[_WRITE][k][i - 2])
        self.start[k][i] = t
        f = self.finish[k][i] = max(t + self.busy[k], last_in + self.unit[k])
        self.next[k] = i + 1
        if self.dur[_READ][k] > 0 and i + 2 < self.nt:   # prefetch into the half of the buffer step i freed
            heapq.heappush(self.queue, (f, i + 2, _READ, k))
        if self.net[k] > 0:
            heapq.heappush(self.queue, (f, i, _LINK, k))
        else:
            self._emit(k, i, f)
        self.todo.extend(self.preds[k])                        # their credits may have come back

    def _emit(self, k: int, i: int, t: float) -> None:
        """Kernel ``k``'s step-``i`` output is usable at ``t`` (after its all-reduce): write it back."""
        self.ready[k][i] = t
        self.end = max(self.end, t)
        if self.dur[_WRITE][k] > 0:
            heapq.heappush(self.queue, (t, i, _WRITE, k))
        self.todo.extend(self.succs[k])
