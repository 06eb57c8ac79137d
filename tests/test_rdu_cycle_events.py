"""The compiled section simulation (:func:`simulators.rdu.cycle_events.run`: array heap and stack)
against a plain-Python reference with :mod:`heapq` over tuples, the form it replaced: the same
makespan to the bit and the same steps, on sections of real designs and on random ones with
equal issue times, all-reduces and every buffer depth."""

from __future__ import annotations

import heapq

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.rdu import cycle
from simulators.rdu.cycle_events import adjacency, run, simulate_jobs

_PENDING = -1.0


def _reference(nt, busy, unit, rd, wr, net, p_ptr, p_idx, s_ptr, s_idx, depth):
    """The simulation as first written: a heap of ``(issue, step, kind, kernel)`` tuples, a list stack."""
    n = busy.size
    start, finish = np.zeros((n, nt)), np.zeros((n, nt))
    ready, done = np.full((n, nt), _PENDING), np.full((2, n, nt), _PENDING)
    nxt, free, end = np.zeros(n, dtype=np.int64), np.zeros(2), 0.0
    todo = list(range(n))
    queue = [(0.0, i, 0, k) for i in range(min(nt, 2)) for k in range(n) if rd[k] > 0]
    heapq.heapify(queue)

    def is_ready(k):
        i = nxt[k]
        if i >= nt or (rd[k] > 0 and done[0, k, i] < 0):
            return False
        if any(ready[p_idx[e], i] < 0 for e in range(p_ptr[k], p_ptr[k + 1])):
            return False
        if i >= depth and any(nxt[s_idx[e]] <= i - depth for e in range(s_ptr[k], s_ptr[k + 1])):
            return False
        return i < 2 or wr[k] <= 0 or done[1, k, i - 2] >= 0

    def emit(k, i, t):
        ready[k, i] = t
        if wr[k] > 0:
            heapq.heappush(queue, (t, i, 1, k))
        todo.extend(s_idx[e] for e in range(s_ptr[k], s_ptr[k + 1]))
        return max(end, t)

    while True:
        while todo:
            k = todo.pop()
            while is_ready(k):
                i = nxt[k]
                t = finish[k, i - 1] if i else 0.0
                if rd[k] > 0:
                    t = max(t, done[0, k, i])
                last_in = 0.0
                for e in range(p_ptr[k], p_ptr[k + 1]):
                    p = p_idx[e]
                    t = max(t, start[p, i] + unit[p] + (ready[p, i] - finish[p, i]))
                    last_in = max(last_in, ready[p, i])
                if i >= depth:
                    for e in range(s_ptr[k], s_ptr[k + 1]):
                        t = max(t, finish[s_idx[e], i - depth])
                if i >= 2 and wr[k] > 0:
                    t = max(t, done[1, k, i - 2])
                start[k, i] = t
                f = finish[k, i] = max(t + busy[k], last_in + unit[k])
                nxt[k] = i + 1
                if rd[k] > 0 and i + 2 < nt:
                    heapq.heappush(queue, (f, i + 2, 0, k))
                if net[k] > 0:
                    heapq.heappush(queue, (f, i, 2, k))
                else:
                    end = emit(k, i, f)
                todo.extend(p_idx[e] for e in range(p_ptr[k], p_ptr[k + 1]))
        if not queue:
            return end, nxt
        issue, i, kind, k = heapq.heappop(queue)
        ch = 1 if kind == 2 else 0
        t = free[ch] = max(issue, free[ch]) + (net[k] if kind == 2 else (rd[k] if kind == 0 else wr[k]))
        if kind == 2:
            end = emit(k, i, t)
        else:
            done[kind, k, i] = t
            end = max(end, t)
            todo.append(k)


def _same(args):
    (end, steps), (ref_end, ref_steps) = run(*args), _reference(*args)
    assert np.float64(end).tobytes() == np.float64(ref_end).tobytes() and np.array_equal(steps, ref_steps)


def _random_section(rng, n, nt, depth):
    """A random section: a chain with skip edges, times on a coarse grid (equal issue times happen)."""
    src = np.r_[np.arange(n - 1), rng.integers(0, n - 1, n // 2)]
    dst = np.r_[np.arange(1, n), rng.integers(1, n, n // 2)]
    keep = src < dst
    section = np.zeros(n, dtype=np.int64)
    adj = adjacency(section, np.arange(n), src[keep].astype(np.int64), dst[keep].astype(np.int64))
    grid = rng.integers(0, 4, (5, n)).astype(float) * 0.5
    busy, unit, rd, wr, net = grid[0] + 1.0, grid[1] * 0.25, grid[2], grid[3], grid[4] * (rng.random(n) < 0.3)
    return (nt, busy, unit, rd, wr, net, *adj, depth)


@pytest.mark.parametrize("seed", range(4))
def test_random_sections_match_the_reference(seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        _same(_random_section(rng, int(rng.integers(1, 12)), int(rng.integers(1, 6)), int(rng.integers(1, 4))))


def test_design_sections_match_the_reference():
    sim = get_simulator("rdu")
    w = get_workload("resnet18")
    kg = sim.kernel_graph(w)
    for d in sim.space(w).sample(4, 21):
        cands = sim._candidates(d, kg)
        model = sim._mapped_model([d] * 6, kg, [cands[j] for j in range(0, len(cands), max(len(cands) // 6, 1))][:6])
        jobs = cycle._Jobs(model, np.arange(len(model.section)))
        times = np.ascontiguousarray(jobs.times.T)
        for r, _, a, b, nt, depth in jobs.jobs.T.tolist():
            adj = adjacency(jobs.section[r], jobs.kernels[a:b], kg.edge_src, kg.edge_dst)
            _same((nt, *(times[f, a:b] for f in range(5)), *adj, depth))


def test_jobs_of_one_call_equal_each_section_run_alone():
    """``simulate_jobs`` runs every job in one set of arrays sized for the largest: in any order of large and
    small sections, each makespan is that of ``run`` with its own arrays."""
    sim = get_simulator("rdu")
    w = get_workload("resnet18")
    kg = sim.kernel_graph(w)
    rng = np.random.default_rng(2)
    for d in sim.space(w).sample(3, 8):
        cands = sim._candidates(d, kg)
        model = sim._mapped_model([d] * 8, kg, [cands[j] for j in rng.choice(len(cands), 8, replace=False)])
        jobs = cycle._Jobs(model, np.arange(len(model.section)))
        pick = rng.permutation(jobs.jobs.shape[1])
        span, stuck = np.empty(pick.size), np.full(pick.size, -1, dtype=np.int64)
        times = np.ascontiguousarray(jobs.times.T)
        simulate_jobs(pick, jobs.jobs, jobs.kernels, jobs.section, times, kg.edge_src, kg.edge_dst, span, stuck)
        assert (stuck < 0).all() and len({int(jobs.jobs[4, j]) for j in pick}) > 1
        for n, j in enumerate(pick.tolist()):
            r, _, a, b, nt, depth = jobs.jobs[:, j].tolist()
            adj = adjacency(jobs.section[r], jobs.kernels[a:b], kg.edge_src, kg.edge_dst)
            end, _ = run(nt, *(times[f, a:b] for f in range(5)), *adj, depth)
            assert np.float64(end).tobytes() == span[n].tobytes()
