"""The event simulation of one RDU section (:mod:`.cycle`'s rules), compiled with numba.

:func:`simulate_jobs` runs many sections in one call (a cycle-level search's next candidates, every
design of a batch at once). Each section is :func:`run`: kernel steps are computed as soon as their
inputs are known; transfer requests wait in one queue ordered by ``(issue time, step, kind,
kernel)``, and each channel (DRAM, link) serves them first come, first served.

The queue is a binary heap over two arrays (issue times; step, kind and kernel in one integer
whose order is theirs) with :mod:`heapq`'s sift rules and tuple comparison, and the kernels
waiting to be looked at are an array stack: the same events in the same order as the
``heapq``-of-tuples version it replaced (``tests/test_rdu_cycle_events.py``), with no list or tuple
allocated per event. The readiness test and the hand-over of a step's output are written inside
:func:`run`'s loop, not called: a compiled call with a dozen array arguments reference-counts each
of them, and that cost ~0.4 µs per kernel step, most of a section's time (31 µs → 5 µs on a
31-kernel ResNet-18 section).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_READ, _WRITE, _LINK = 0, 1, 2
_PENDING = -1.0      # a time not known yet (every event time is >= 0)


@njit(cache=True)
def simulate_jobs(pick: np.ndarray, jobs: np.ndarray, kernels: np.ndarray, section: np.ndarray, times: np.ndarray,
                  es: np.ndarray, ed: np.ndarray, span: np.ndarray, stuck: np.ndarray) -> None:  # pragma: no cover
    """Per job ``j = pick[n]`` of ``(6, J)`` ``jobs`` (row of ``section``, slot, first and end position
    in ``kernels``, steps, buffer depth): the simulation (:func:`run`) of its kernels with their
    ``(5, M)`` ``times`` (busy, unit, read, write, link per step), its makespan into ``span[n]``; a
    job that deadlocked leaves its least step in ``stuck[n]``. The adjacency and the simulation's arrays
    are views of buffers allocated once for the largest job (:func:`_adjacency_into`, :func:`_run`): ~30
    allocations per section otherwise, ~40 % of a 31-kernel ResNet-18 section's time."""
    most, cells, stack = 1, 1, 1
    for n in range(pick.size):
        j = pick[n]
        size, nt = jobs[3, j] - jobs[2, j], jobs[4, j]
        most, cells = max(most, size), max(cells, size * nt)
        stack = max(stack, _stack_size(size, nt, es.size, es.size))
    local = np.full(section.shape[1], -1, dtype=np.int64)
    p_ptr, s_ptr, p_fill, s_fill = (np.empty(most + 1, dtype=np.int64), np.empty(most + 1, dtype=np.int64),
                                    np.empty(most, dtype=np.int64), np.empty(most, dtype=np.int64))
    p_idx, s_idx = np.empty(es.size, dtype=np.int64), np.empty(es.size, dtype=np.int64)
    start, finish, ready, done = np.empty(cells), np.empty(cells), np.empty(cells), np.empty(2 * cells)
    nxt, free = np.empty(most, dtype=np.int64), np.empty(2)
    todo, when, what = np.empty(stack, dtype=np.int64), np.empty(3 * cells + 2), np.empty(3 * cells + 2, dtype=np.int64)
    for n in range(pick.size):
        j = pick[n]
        a, b, nt = jobs[2, j], jobs[3, j], jobs[4, j]
        k = b - a
        n_on = _adjacency_into(section[jobs[0, j]], kernels[a:b], es, ed, local, p_ptr, p_idx, s_ptr, s_idx,
                               p_fill, s_fill)
        steps = nxt[:k]
        span[n] = _run(nt, times[0, a:b], times[1, a:b], times[2, a:b], times[3, a:b], times[4, a:b], p_ptr[:k + 1],
                       p_idx[:n_on], s_ptr[:k + 1], s_idx[:n_on], jobs[5, j], start[:k * nt].reshape((k, nt)),
                       finish[:k * nt].reshape((k, nt)), ready[:k * nt].reshape((k, nt)),
                       done[:2 * k * nt].reshape((2, k, nt)), steps, free, todo, when, what)
        if steps.min() < nt:
            stuck[n] = steps.min()


@njit(cache=True, inline="always")
def _stack_size(n: int, nt: int, n_in: int, n_out: int) -> int:  # pragma: no cover - compiled
    """Most kernels :func:`_run`'s stack can hold at once: each kernel, per step its ``n_in`` producer and
    ``n_out`` consumer entries, per transfer (:func:`_cap` less the heap's two spare slots) its kernel."""
    return n + nt * (n_in + n_out) + _cap(n, nt)


@njit(cache=True, inline="always")
def _cap(n: int, nt: int) -> int:  # pragma: no cover - compiled
    """The transfer heap's slots: reads, writes and all-reduces of every step, and two spare slots."""
    return 3 * n * nt + 2


@njit(cache=True)
def adjacency(section: np.ndarray, ks: np.ndarray, es: np.ndarray, ed: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """The on-chip producers and consumers of each kernel ``ks`` of one section (local indices, in
    edge order) as offsets and indices: ``(p_ptr, p_idx, s_ptr, s_idx)`` (:func:`_adjacency_into`)."""
    n = ks.size
    p_ptr, s_ptr = np.empty(n + 1, dtype=np.int64), np.empty(n + 1, dtype=np.int64)
    p_idx, s_idx = np.empty(es.size, dtype=np.int64), np.empty(es.size, dtype=np.int64)
    n_on = _adjacency_into(section, ks, es, ed, np.full(section.size, -1, dtype=np.int64), p_ptr, p_idx, s_ptr, s_idx,
                           np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64))
    return p_ptr, p_idx[:n_on], s_ptr, s_idx[:n_on]


@njit(cache=True)
def _adjacency_into(section: np.ndarray, ks: np.ndarray, es: np.ndarray, ed: np.ndarray, local: np.ndarray,
                    p_ptr: np.ndarray, p_idx: np.ndarray, s_ptr: np.ndarray, s_idx: np.ndarray, p_fill: np.ndarray,
                    s_fill: np.ndarray) -> int:  # pragma: no cover - compiled
    """:func:`adjacency` into ``p_ptr``, ``s_ptr`` (their first ``len(ks) + 1``) and ``p_idx``, ``s_idx`` (their
    first on-chip edges; a stable counting sort of the edges with both ends in the section, by consumer and
    by producer); ``local`` (all -1, as left) and ``p_fill``, ``s_fill`` are scratch. Returns the number of
    on-chip edges."""
    n = ks.size
    for i in range(n):
        local[ks[i]] = i
    s = section[ks[0]]
    p_ptr[:n + 1] = 0
    s_ptr[:n + 1] = 0
    n_on = 0
    for e in range(es.size):
        if section[es[e]] == s and section[ed[e]] == s:
            p_ptr[local[ed[e]] + 1] += 1
            s_ptr[local[es[e]] + 1] += 1
            n_on += 1
    for i in range(n):
        p_ptr[i + 1] += p_ptr[i]
        s_ptr[i + 1] += s_ptr[i]
        p_fill[i], s_fill[i] = p_ptr[i], s_ptr[i]
    for e in range(es.size):
        if section[es[e]] == s and section[ed[e]] == s:
            src, dst = local[es[e]], local[ed[e]]
            p_idx[p_fill[dst]] = src
            p_fill[dst] += 1
            s_idx[s_fill[src]] = dst
            s_fill[src] += 1
    for i in range(n):
        local[ks[i]] = -1
    return n_on


@njit(cache=True)
def run(nt: int, busy: np.ndarray, unit: np.ndarray, rd: np.ndarray, wr: np.ndarray, net: np.ndarray,
        p_ptr: np.ndarray, p_idx: np.ndarray, s_ptr: np.ndarray, s_idx: np.ndarray, depth: int
        ) -> tuple[float, np.ndarray]:  # pragma: no cover - compiled
    """One section's discrete-event simulation (the module docstring; :mod:`.cycle` for the rules).
    Returns the makespan and each kernel's next step (all ``nt`` unless it deadlocked): :func:`_run` on
    arrays of its own."""
    n = busy.size
    nxt = np.empty(n, dtype=np.int64)
    end = _run(nt, busy, unit, rd, wr, net, p_ptr, p_idx, s_ptr, s_idx, depth, np.empty((n, nt)), np.empty((n, nt)),
               np.empty((n, nt)), np.empty((2, n, nt)), nxt, np.empty(2),
               np.empty(_stack_size(n, nt, p_idx.size, s_idx.size), dtype=np.int64), np.empty(_cap(n, nt)),
               np.empty(_cap(n, nt), dtype=np.int64))
    return end, nxt


@njit(cache=True)
def _run(nt: int, busy: np.ndarray, unit: np.ndarray, rd: np.ndarray, wr: np.ndarray, net: np.ndarray,
         p_ptr: np.ndarray, p_idx: np.ndarray, s_ptr: np.ndarray, s_idx: np.ndarray, depth: int, start: np.ndarray,
         finish: np.ndarray, ready: np.ndarray, done: np.ndarray, nxt: np.ndarray, free: np.ndarray, todo: np.ndarray,
         when: np.ndarray, what: np.ndarray) -> float:  # pragma: no cover - compiled
    """:func:`run` in the given arrays, each set here before use: ``start``, ``finish``, ``ready`` ``(n, nt)``,
    ``done`` ``(2, n, nt)``, ``nxt`` ``(n,)`` (left with each kernel's next step), ``free`` ``(2,)``, and at least
    :func:`_stack_size` / :func:`_cap` entries of ``todo`` and ``when``, ``what``. Returns the makespan."""
    n = busy.size
    start[:] = 0.0
    finish[:] = 0.0
    ready[:] = _PENDING                  # output usable downstream (after its all-reduce)
    done[:] = _PENDING                   # reads, writes
    nxt[:] = 0
    free[:] = 0.0                        # DRAM channel, link: busy until
    end = 0.0
    cap = _cap(n, nt)
    # kernels whose next step may be ready (a stack); pushed: each kernel, per step its producers and
    # consumers, per transfer done its kernel
    for k in range(n):
        todo[k] = k
    top = n
    # heap of transfers: when[q], what[q] = (step · 3 + kind) · n + kernel
    size = 0
    # the first two tiles' reads (both halves of the input double buffer) are issued at time 0
    for i in range(min(nt, 2)):
        for k in range(n):
            if rd[k] > 0:
                when[size], what[size] = 0.0, (i * 3 + _READ) * n + k
                size += 1
    for pos in range(size // 2 - 1, -1, -1):   # heapq.heapify
        _sift_up(when, what, size, pos, cap - 2)
    while True:
        while top:
            top -= 1
            k = todo[top]
            while True:   # while kernel k's next step has all its inputs (see :mod:`.cycle`)
                i = nxt[k]
                if i >= nt or (rd[k] > 0 and done[_READ, k, i] < 0) or not (i < 2 or wr[k] <= 0 or
                                                                           done[_WRITE, k, i - 2] >= 0):
                    break
                waiting = False
                for e in range(p_ptr[k], p_ptr[k + 1]):
                    waiting = waiting or ready[p_idx[e], i] < 0
                if i >= depth:
                    for e in range(s_ptr[k], s_ptr[k + 1]):
                        waiting = waiting or nxt[s_idx[e]] <= i - depth
                if waiting:
                    break
                t = finish[k, i - 1] if i else 0.0
                if rd[k] > 0:
                    t = max(t, done[_READ, k, i])
                last_in = 0.0
                for e in range(p_ptr[k], p_ptr[k + 1]):
                    p = p_idx[e]
                    r = ready[p, i]
                    t = max(t, start[p, i] + unit[p] + (r - finish[p, i]))
                    last_in = max(last_in, r)
                if i >= depth:
                    for e in range(s_ptr[k], s_ptr[k + 1]):
                        t = max(t, finish[s_idx[e], i - depth])
                if i >= 2 and wr[k] > 0:
                    t = max(t, done[_WRITE, k, i - 2])
                start[k, i] = t
                f = max(t + busy[k], last_in + unit[k])
                finish[k, i] = f
                nxt[k] = i + 1
                if rd[k] > 0 and i + 2 < nt:   # prefetch into the half of the buffer step i freed
                    size = _push(when, what, size, f, ((i + 2) * 3 + _READ) * n + k, cap - 2)
                if net[k] > 0:
                    size = _push(when, what, size, f, (i * 3 + _LINK) * n + k, cap - 2)
                else:
                    ready[k, i] = f   # usable now: written back, its consumers woken (as after an all-reduce)
                    if wr[k] > 0:
                        size = _push(when, what, size, f, (i * 3 + _WRITE) * n + k, cap - 2)
                    for e in range(s_ptr[k], s_ptr[k + 1]):
                        todo[top] = s_idx[e]
                        top += 1
                    end = max(end, f)
                for e in range(p_ptr[k], p_ptr[k + 1]):   # their credits may have come back
                    todo[top] = p_idx[e]
                    top += 1
        if not size:
            return end
        issue, code = when[0], what[0]
        size -= 1
        if size:   # heapq.heappop: the last item to the root, sifted
            when[0], what[0] = when[size], what[size]
            _sift_up(when, what, size, 0, cap - 2)
        i, kind, k = code // (3 * n), code // n % 3, code % n
        ch = 1 if kind == _LINK else 0
        dur = net[k] if kind == _LINK else (rd[k] if kind == _READ else wr[k])
        t = max(issue, free[ch]) + dur
        free[ch] = t
        if kind == _LINK:   # the step's output is usable after its all-reduce (as above)
            ready[k, i] = t
            if wr[k] > 0:
                size = _push(when, what, size, t, (i * 3 + _WRITE) * n + k, cap - 2)
            for e in range(s_ptr[k], s_ptr[k + 1]):
                todo[top] = s_idx[e]
                top += 1
        else:
            done[kind, k, i] = t
            todo[top] = k
            top += 1
        end = max(end, t)


@njit(cache=True, inline="always")
def _before(when: np.ndarray, what: np.ndarray, a: int, b: int) -> bool:  # pragma: no cover - compiled
    """Item ``a`` < item ``b`` as tuples compare: the first unequal field decides."""
    if when[a] != when[b]:
        return when[a] < when[b]
    return what[a] < what[b]


@njit(cache=True, inline="always")
def _push(when: np.ndarray, what: np.ndarray, size: int, t: float, code: int,
          spare: int) -> int:  # pragma: no cover - compiled
    """:func:`heapq.heappush` of ``(t, code)``; returns the new size."""
    when[size], what[size] = t, code
    _sift_down(when, what, 0, size, spare)
    return size + 1


@njit(cache=True)
def _sift_down(when: np.ndarray, what: np.ndarray, start: int, pos: int,
               spare: int) -> None:  # pragma: no cover - compiled
    """``heapq._siftdown``: the item at ``pos`` moves up towards ``start`` past larger parents (held in
    slot ``spare`` meanwhile)."""
    when[spare], what[spare] = when[pos], what[pos]
    while pos > start:
        parent = (pos - 1) >> 1
        if _before(when, what, spare, parent):
            when[pos], what[pos] = when[parent], what[parent]
            pos = parent
            continue
        break
    when[pos], what[pos] = when[spare], what[spare]


@njit(cache=True)
def _sift_up(when: np.ndarray, what: np.ndarray, end: int, pos: int,
             spare: int) -> None:  # pragma: no cover - compiled
    """``heapq._siftup`` of a heap of ``end`` items: the item at ``pos`` goes down to a leaf along the
    smaller children, then :func:`_sift_down` (slots ``spare`` and ``spare + 1`` hold items meanwhile)."""
    start = pos
    when[spare + 1], what[spare + 1] = when[pos], what[pos]
    child = 2 * pos + 1
    while child < end:
        right = child + 1
        if right < end and not _before(when, what, child, right):
            child = right
        when[pos], what[pos] = when[child], what[child]
        pos = child
        child = 2 * pos + 1
    when[pos], what[pos] = when[spare + 1], what[spare + 1]
    _sift_down(when, what, start, pos, spare)
