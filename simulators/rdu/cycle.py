"""The cycle-level RDU model: a tile-granularity discrete-event simulation of each section
(compiled with numba; the float operations of the plain-Python version it replaced, in the same
order, so the same times to the bit).

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

from collections.abc import Sequence
from typing import Any

import numpy as np
from numba import njit

from simulators.common.kernel_math import maximum
from simulators.rdu.analytical import Model
from simulators.rdu.cycle_events import simulate_jobs
from simulators.rdu.kernels import KernelGraph, edges_sorted

#: simulated makespans of sections by their simulation's inputs (:func:`section_times`' ``memo``)
Memo = dict[tuple[Any, ...], float]


def section_times(model: Model, d: int, kg_edges: tuple[np.ndarray, np.ndarray], memo: Memo | None = None
                  ) -> np.ndarray:
    """Simulated wall time (s) of every used section slot of design ``d`` (setup included): one row
    of :func:`rows_times`."""
    return rows_times(model, np.array([d], dtype=np.int64), kg_edges, memo)[0]


def rows_times(model: Model, rows: np.ndarray, kg_edges: tuple[np.ndarray, np.ndarray], memo: Memo | None = None
               ) -> np.ndarray:
    """``(len(rows), N)``: :func:`section_times` of each of ``rows`` of ``model``, every section not
    simulated before in one compiled call (:func:`.cycle_events.simulate_jobs`). With a ``memo``, a section whose
    simulation inputs (kernels, steps, depth, per-kernel times) were simulated before is not
    simulated again: candidates and designs of a batch share sections."""
    jobs = _Jobs(model, rows)
    keys = jobs.keys()
    span = np.empty(len(keys))
    first: dict[tuple[Any, ...], int] = {}       # a section simulated once per call
    run, copy = [], []
    for n, key in enumerate(keys):
        known = memo.get(key) if memo is not None else None
        if known is not None:
            span[n] = known
        elif key in first:
            copy.append((n, first[key]))
        else:
            first[key] = n
            run.append(n)
    if run:
        span[run] = jobs.simulate(np.array(run, dtype=np.int64), kg_edges)
        if memo is not None:
            memo.update(zip((keys[n] for n in run), span[run].tolist()))
    for n, m in copy:
        span[n] = span[m]
    row, slot = jobs.jobs[0], jobs.jobs[1]
    out = np.zeros((len(rows), model.section.shape[1]))
    out[row, slot] = model.t_setup[rows[row], slot] + span
    return out


class _Jobs:
    """The used sections of some rows of a model as simulation jobs (:func:`_jobs`): each row's kernels
    ordered by section, their per-step times, and per job its row, slot, kernels ``lo:hi``, steps
    and buffer depth."""

    def __init__(self, model: Model, rows: np.ndarray) -> None:
        k, n = len(rows), model.section.shape[1]
        self.kernels = np.empty(k * n, dtype=np.int64)
        self.times = np.empty((k * n, 5))
        self.jobs = np.empty((6, int(model.used[rows].sum())), dtype=np.int64)
        _jobs(rows, model.section, model.n_tile, model.used, model.depth, model.cyc, model.unit_cyc, model.read_b_k,
              model.write_b_k, model.net_b_k, model.clock_hz, model.act_bw, model.link_bw, self.kernels, self.times,
              self.jobs)
        self.section = model.section[rows]

    def keys(self) -> list[tuple[Any, ...]]:
        """Each job's simulation inputs as a memo key: its kernels, steps, depth and per-kernel times."""
        kernels, times = self.kernels.tobytes(), self.times.tobytes()
        return [(kernels[8 * a:8 * b], nt, depth, times[40 * a:40 * b]) for a, b, nt, depth in self.jobs[2:].T.tolist()]

    def simulate(self, jobs: np.ndarray, kg_edges: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """The makespans of ``jobs`` from time 0 (one compiled call)."""
        es, ed = kg_edges
        span = np.empty(jobs.size)
        stuck = np.full(jobs.size, -1, dtype=np.int64)
        simulate_jobs(jobs, self.jobs, self.kernels, self.section, np.ascontiguousarray(self.times.T), es, ed,
                      span, stuck)
        if (stuck >= 0).any():   # impossible with depth >= 1 (the caller checks it)
            raise RuntimeError(f"RDU cycle model: a section deadlocked at step {stuck[stuck >= 0].tolist()}")
        return span


@njit(cache=True)
def _jobs(rows: np.ndarray, section: np.ndarray, n_tile: np.ndarray, used: np.ndarray, depth: np.ndarray,
          cyc: np.ndarray, unit_cyc: np.ndarray, read_b: np.ndarray, write_b: np.ndarray, net_b: np.ndarray,
          clock: np.ndarray, act_bw: np.ndarray, link_bw: np.ndarray, kernels: np.ndarray, times: np.ndarray,
          jobs: np.ndarray) -> None:  # pragma: no cover - compiled
    """:class:`_Jobs` of model ``rows`` (compiled): per row its kernels in order of section (a stable
    counting sort: numpy's stable argsort) into ``kernels``, their busy, unit, read, write and link time
    per step into ``times`` (numpy's float operations), and per used section slot a job: ``(6, J)``
    row (position in ``rows``), slot, first and end position in ``kernels``, steps and buffer depth."""
    n = section.shape[1]
    count = np.zeros(n + 1, dtype=np.int64)
    j = 0
    for r in range(rows.size):
        d = rows[r]
        count[:] = 0
        for k in range(n):
            count[section[d, k] + 1] += 1
        for s in range(n):
            count[s + 1] += count[s]
        base = r * n
        lo = base
        for s in range(n):     # jobs in slot order; a job's kernels end where section s ends
            if used[d, s]:
                jobs[0, j], jobs[1, j], jobs[2, j], jobs[3, j] = r, s, lo, base + count[s + 1]
                jobs[4, j], jobs[5, j] = n_tile[d, s], np.int64(depth[d])
                lo = base + count[s + 1]
                j += 1
        for k in range(n):
            s = section[d, k]
            at = base + count[s]
            count[s] += 1
            kernels[at] = k
            nt = n_tile[d, s]
            times[at, 0] = cyc[d, k] / clock[d]
            times[at, 1] = unit_cyc[d, k] / clock[d]
            times[at, 2] = read_b[d, k] / nt / act_bw[d]
            times[at, 3] = write_b[d, k] / nt / act_bw[d]
            times[at, 4] = net_b[d, k] / nt / link_bw[d]


def best_candidate(model: Model, bound: np.ndarray, rows: list[int],
                   kg_edges: tuple[np.ndarray, np.ndarray], memo: Memo | None = None) -> tuple[int, np.ndarray]:
    """Of ``rows`` of ``model`` (one design's candidate mappings), the one with the lowest simulated
    latency (the lowest row among equals), and its section times: :func:`best_candidates` of one."""
    return best_candidates(model, bound, [rows], kg_edges, memo)[0]


def best_candidates(model: Model, bound: np.ndarray, groups: Sequence[Sequence[int]],
                    kg_edges: tuple[np.ndarray, np.ndarray], memo: Memo | None = None
                    ) -> list[tuple[int, np.ndarray]]:
    """For each non-empty group of rows of ``model`` (one design's candidate mappings), the one with
    the lowest simulated latency (the lowest row among equals), and its section times. Rows are
    tried in order of ``bound`` (:func:`lower_bound`) and one is simulated only when its bound does
    not exceed the best latency so far (give or take rounding: the bound can meet the simulated
    latency exactly), so the result is the exact minimum over the group whatever the bound. Every
    group's next row is simulated in one pass (:func:`rows_times`)."""
    reach = bound.tolist()
    order = [sorted(rows, key=reach.__getitem__) for rows in groups]
    best = [rows[0] for rows in groups]
    best_lat = [np.inf] * len(groups)
    best_times = [np.zeros(0)] * len(groups)
    at = [0] * len(groups)
    active = list(range(len(groups)))
    while active:
        ask = [g for g in active if not reach[order[g][at[g]]] > best_lat[g] * (1 + 1e-9)]
        js = [order[g][at[g]] for g in ask]
        times = rows_times(model, np.array(js, dtype=np.int64), kg_edges, memo) if ask else np.zeros((0, 0))
        for g, j, t in zip(ask, js, times):
            lat = float(t.sum() + model.t_p2p[j])
            if (lat, j) < (best_lat[g], best[g]):
                best[g], best_lat[g], best_times[g] = j, lat, t
            at[g] += 1
        active = [g for g in ask if at[g] < len(order[g])]
    return list(zip(best, best_times))


def lower_bound(model: Model, kg: KernelGraph) -> np.ndarray:
    """``(D,)`` latencies no simulation of ``model``'s rows can beat: per section its setup plus the
    most of: all its DRAM transfers back to back (``T_dram``), all its all-reduces (``T_net``),
    and for every kernel the earliest its first step can start (its first read; an on-chip
    producer's earliest start plus one unit), then ``n_tile`` steps, then the shortest way out:
    its last all-reduce, then its last write or an on-chip consumer's last unit and way out (over the
    edges of ``kg``, the graph ``model`` maps)."""
    nt = np.take_along_axis(model.n_tile, model.section, axis=1).astype(float)
    clock = model.clock_hz[:, None]
    busy, unit = model.cyc / clock, model.unit_cyc / clock
    first = model.read_b_k / nt / model.act_bw[:, None]
    write = model.write_b_k / nt / model.act_bw[:, None]
    net = model.net_b_k / nt / model.link_bw[:, None]
    chain = np.zeros(model.n_tile.shape)
    chains(kg, np.ascontiguousarray(model.section), unit, net, first.copy(), write.copy(), nt * busy, chain)
    per = np.maximum(np.maximum(chain, model.t_dram), model.t_net) + model.t_setup
    return np.where(model.used, per, 0.0).sum(axis=1) + model.t_p2p



def chains(kg: KernelGraph, section: np.ndarray, unit: np.ndarray, net: np.ndarray, head: np.ndarray,
           down: np.ndarray, steps: np.ndarray, chain: np.ndarray) -> None:
    """:func:`_chains` over the edges of ``kg`` (:func:`.kernels.edges_sorted`), in place."""
    _chains(section, unit, net, head, down, steps, *edges_sorted(kg), chain)


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
                head[d, b] = maximum(head[d, b], head[d, a] + unit[d, a])
        for e in range(by_src.shape[0]):
            a, b = by_src[e, 0], by_src[e, 1]
            if section[d, a] == section[d, b]:
                down[d, a] = maximum(down[d, a], unit[d, b] + net[d, b] + down[d, b])
        for k in range(section.shape[1]):
            s = section[d, k]
            chain[d, s] = maximum(chain[d, s], head[d, k] + steps[d, k] + net[d, k] + down[d, k])


def metrics(model: Model, times: np.ndarray, flops: float) -> dict[str, np.ndarray]:
    """Latency-derived metrics of every design ``d`` (row ``d`` of ``model``) from its simulated section
    ``times[d]`` (``(D, N)``), the rest the model's (the float operations of one design at a time)."""
    m = dict(model.metrics)
    clock = model.clock_hz
    latency = times.sum(axis=1) + model.t_p2p
    n_groups = int(model.group.max()) + 1
    flat = (np.arange(len(times))[:, None] * n_groups + model.group)[model.used]
    group_time = np.bincount(flat, weights=times[model.used], minlength=len(times) * n_groups)
    compute_s = m["compute_cycles"] / clock
    m.update(latency_s=latency, cycles=latency * clock, stall_cycles=np.maximum(latency - compute_s, 0.0) * clock,
             throughput_ops_per_s=flops / latency, utilization=flops / (latency * m["peak_ops_per_s"]),
             throughput_inf_per_s=1.0 / np.maximum(group_time.reshape(len(times), n_groups).max(axis=1), 1e-30))
    return m
