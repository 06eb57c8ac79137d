"""Command-level PIM model: an event-driven DRAM command simulator of one channel.

With the row-block placement every channel runs the same command program, so one channel is
simulated (its time is the PIM time). Commands are issued in program order; each waits for the
timing constraints that apply to it (all times ns, from :mod:`simulators.common.dram`):

``ACT``   after the previous PRE + tRP; per-bank mode issues one ACT per bank, ≥ tRRD apart and
          at most four per tFAW window (all-bank ACT is one command).
``MAC``   all-bank MAC bursts on the open rows: ≥ tRCD after the (last) ACT, one column per unit
          per ``t_cmd`` (g commands per column step when g banks share a unit), ≥ tWTR after the
          last write.
``WR``    host → register writes (one per ``t_wr``) ≥ tRTW after the last read/MAC; output spills
          are DRAM writes into an output row (PRE, ACT, WR…, PRE ≥ tWR after the last write).
``PRE``   all-bank, ≥ tRAS after the ACT and after the last column command.
``REF``   all-bank refresh every tREFI: open rows are precharged, the channel is blocked for tRFC,
          and the interrupted row is re-activated.
Bursts of consecutive column commands are one event (split at row ends and at refresh), so the
cost grows with DRAM rows and register groups, not with MACs.

Where the analytical model is optimistic, this one shows it: it enforces tRAS (short rows),
re-opens the weight row after an output spill and after every refresh (the analytical model only
derates by ``1 − tRFC/tREFI``), and waits tWR before closing a written row.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from simulators.pim import gemv
from simulators.pim.gemv import Hardware, JobCost, Jobs

# The channel's timing state (a float array, compiled code below) and its command counters.
COL_FREE, READ_END, WRITE_END, ACT_LAST, READY, PRE_DONE, ROW_OPEN, NEXT_REF, ACT_HEAD, ACT_LEN = range(10)
ACTS = 10                   # four slots from here: issue times of the last four ACTs (a ring)
N_STATE = ACTS + 4
C_ACT, C_MAC, C_WR, C_REF, C_REOPEN = range(5)
# timing parameters (ns), in this order
T_RRD, T_FAW, T_RCD, T_RAS, T_WR, T_RP, T_RFC, T_REFI, T_WTR, T_RTW, T_CMD, T_WRITE = range(12)


@njit(cache=True)
def _activate(st: np.ndarray, c: np.ndarray, p: np.ndarray, banks: int, all_bank: bool, earliest: float) -> None:
    start = max(earliest, st[PRE_DONE])
    if all_bank:
        st[ACT_LAST] = start
    else:
        last = start
        for i in range(banks):
            if i:
                last = max(last + p[T_RRD], start)
            head, n = int(st[ACT_HEAD]), int(st[ACT_LEN])
            if n == 4:          # at most four ACTs per tFAW window
                last = max(last, st[ACTS + head] + p[T_FAW])
                st[ACTS + head] = last
                st[ACT_HEAD] = (head + 1) % 4
            else:
                st[ACTS + (head + n) % 4] = last
                st[ACT_LEN] = n + 1
        st[ACT_LAST] = last
    c[C_ACT] += banks
    st[READY] = st[ACT_LAST] + p[T_RCD]
    st[ROW_OPEN] = 1.0


@njit(cache=True)
def _precharge(st: np.ndarray, p: np.ndarray) -> None:
    if st[ROW_OPEN] == 0.0:
        return
    when = max(st[ACT_LAST] + p[T_RAS], st[READ_END], st[WRITE_END] + p[T_WR], st[COL_FREE])
    st[PRE_DONE] = when + p[T_RP]
    st[ROW_OPEN] = 0.0


@njit(cache=True)
def _refresh_if_due(st: np.ndarray, c: np.ndarray, p: np.ndarray, at: float) -> bool:
    """Refresh when ``at`` reaches the due time; True when rows were open (must re-open)."""
    if at < st[NEXT_REF]:
        return False
    was_open = st[ROW_OPEN] != 0.0
    _precharge(st, p)
    while at >= st[NEXT_REF]:
        start = max(st[NEXT_REF], st[PRE_DONE], st[COL_FREE])
        st[PRE_DONE] = start + p[T_RFC]
        st[COL_FREE] = max(st[COL_FREE], st[PRE_DONE])
        st[NEXT_REF] += p[T_REFI]
        c[C_REF] += 1
        at = max(at, st[PRE_DONE])
    return was_open


@njit(cache=True)
def _mac_burst(st: np.ndarray, c: np.ndarray, p: np.ndarray, banks: int, all_bank: bool, g: int,
               steps: int) -> None:
    """``steps`` column steps on the open rows (each ``g`` MAC commands)."""
    step_ns = g * p[T_CMD]
    while steps > 0:
        if st[ROW_OPEN] == 0.0:
            _activate(st, c, p, banks, all_bank, st[COL_FREE])
        start = max(st[READY], st[COL_FREE], st[WRITE_END] + p[T_WTR])
        if start >= st[NEXT_REF]:
            c[C_REOPEN] += _refresh_if_due(st, c, p, start)
            continue
        fit = int((st[NEXT_REF] - start) // step_ns)
        k = min(steps, max(fit, 1))
        st[COL_FREE] = start + k * step_ns
        st[READ_END] = st[COL_FREE]
        c[C_MAC] += k * g
        steps -= k


@njit(cache=True)
def _write_group(st: np.ndarray, c: np.ndarray, p: np.ndarray, writes: int) -> None:
    """Host writes ``writes`` input registers (bus turnaround from the last read)."""
    start = max(st[COL_FREE], st[READ_END] + p[T_RTW])
    if _refresh_if_due(st, c, p, start):
        start = max(st[COL_FREE], st[READ_END] + p[T_RTW])
    st[COL_FREE] = start + writes * p[T_WRITE]
    st[WRITE_END] = st[COL_FREE]
    c[C_WR] += writes


@njit(cache=True)
def _spill(st: np.ndarray, c: np.ndarray, p: np.ndarray, banks: int, all_bank: bool, commands: int) -> None:
    """Write ``commands`` output registers to an output row, then close it."""
    _precharge(st, p)
    _activate(st, c, p, banks, all_bank, st[COL_FREE])
    start = max(st[READY], st[COL_FREE], st[READ_END] + p[T_RTW])
    st[COL_FREE] = start + commands * p[T_CMD]
    st[WRITE_END] = st[COL_FREE]
    _precharge(st, p)


@njit(cache=True)
def _run(p: np.ndarray, banks: int, all_bank: bool, g: int, cols_per_row: int, col_bits: int, q: int, order: int,
         m: int, writes: int, vectors: int, r_b: int, kpart: int, n_vectors: int, bits: int, irf_bits: int,
         irf_regs: int) -> tuple[float, np.ndarray]:
    """Simulate ``n_vectors`` passes over a bank's row blocks; (end time ns, command counters)."""
    st = np.zeros(N_STATE)
    st[READ_END] = st[WRITE_END] = st[ACT_LAST] = -1e9
    st[NEXT_REF] = p[T_REFI]
    c = np.zeros(5, dtype=np.int64)
    x_per_reg = irf_bits // bits
    pos = 0                       # column position inside the current weight row
    for _ in range(n_vectors):
        done = 0
        while done < q:
            blocks = min(order, q - done)
            for first in range(0, writes, irf_regs):
                w = min(irf_regs, writes - first)
                x = min(w * x_per_reg, kpart - first * x_per_reg)
                _write_group(st, c, p, w * vectors)
                if order > 1:    # accumulator moves inside the units: column-bus slots, no DRAM access
                    st[COL_FREE] += blocks * g * p[T_CMD]
                cols = math.ceil(blocks * m * x * bits / col_bits)
                while cols > 0:
                    take = min(cols, cols_per_row - pos)
                    _mac_burst(st, c, p, banks, all_bank, g, take)
                    pos, cols = pos + take, cols - take
                    if pos == cols_per_row:
                        _precharge(st, p)
                        pos = 0
            _spill(st, c, p, banks, all_bank, r_b * blocks * g)
            if pos:
                c[C_REOPEN] += 1
            done += blocks
    _precharge(st, p)
    return max(st[COL_FREE], st[PRE_DONE] - p[T_RP]), c


#: relative margin of :func:`lower_bound_ns` below the exact sum of its terms: the simulation adds
#: the same terms one float operation at a time (relative error under 1e-9 up to 10⁷ commands)
BOUND_SLACK = 1e-6


def lower_bound_ns(hw: Hardware, jobs: Jobs, best: JobCost) -> np.ndarray:
    """``(designs, jobs)``: a PIM time no command simulation of the chosen mapping can beat.

    The column bus's free time only moves forward, and every vector pass adds to it at least its
    register writes (``writes·vectors·t_wr`` per pass), the accumulator moves (``order > 1``), its
    MAC column steps (``g·t_cmd`` each; per pass of ``blocks`` row blocks at least
    ``blocks·m·min(writes·x_per_reg, kpart)·bits / col_bits``) and per spill tRCD (the output row's
    ACT waits for the bus) plus its ``r_b·blocks·g`` write commands."""
    lay = gemv.layout(hw, jobs, best.choice["split_k"], best.choice["tile_rows"])
    t = hw.t
    step = hw.g * hw.t_cmd
    elems = np.minimum(lay["writes"] * (hw.irf_bits // hw.bits), lay["kpart"])
    per_vector = (lay["passes"] * lay["writes"] * lay["vectors"] * hw.cfg.t_wr_ns
                  + np.where(lay["order"] > 1, lay["groups"] * lay["q"] * step, 0.0)
                  + lay["q"] * lay["m"] * hw.bits * elems / t.col_bits * step
                  + lay["passes"] * t.tRCD + lay["r_b"] * lay["q"] * step)
    return np.asarray(jobs.N * per_vector * (1.0 - BOUND_SLACK), dtype=float)


def needed(per_job: np.ndarray, inverse: np.ndarray, n_unique: int) -> np.ndarray:
    """``(designs, distinct jobs)``: whether any job (column of ``per_job``) that is distinct job
    ``inverse[j]`` is needed."""
    onehot = np.zeros((len(inverse), n_unique))
    onehot[np.arange(len(inverse)), inverse] = 1.0
    return np.asarray(per_job, dtype=float) @ onehot > 0


def simulate_jobs(hw: Hardware, jobs: Jobs, best: JobCost, need: np.ndarray | None = None) -> JobCost:
    """The analytical mapper's choice for every (design, job), with its PIM time from the command
    simulator, run once per distinct simulator input (placement, vectors and the unit's timing).
    ``need`` ``(designs, jobs)``: the pairs to simulate (default all); the others (jobs certainly
    run on the host, :func:`lower_bound_ns`) get an infinite PIM time and NaN command counts."""
    s_best, m_best = best.choice["split_k"], best.choice["tile_rows"]
    n, n_jobs = s_best.shape
    t = hw.t
    lay = gemv.layout(hw, jobs, s_best, m_best)
    acts_analytical = jobs.N * np.ceil(np.asarray(lay["rows"], dtype=float) - 1e-9) * t.banks
    shape = (n, n_jobs)
    ints = {k: np.broadcast_to(lay[k], shape).astype(np.int64).tolist()
            for k in ("q", "order", "m", "writes", "vectors", "r_b", "kpart")}
    per = {k: np.broadcast_to(np.asarray(v, dtype=float).reshape(-1, 1), (n, 1))[:, 0].tolist()
           for k, v in (("t_cmd", hw.t_cmd), ("g", hw.g), ("all_bank", hw.all_bank_act), ("irf_regs", hw.irf_regs))}
    timing = [t.tRRD_S, t.tFAW, t.tRCD, t.tRAS, t.tWR, t.tRP, t.tRFC, t.tREFI, t.tWTR, t.tRTW]
    cols_per_row = t.row_bytes * 8 // t.col_bits
    n_vec = jobs.N.tolist()
    todo = np.broadcast_to(True if need is None else need, shape).tolist()
    ns = np.full(shape, np.inf)
    acts, refs, reopens = (np.full(shape, np.nan) for _ in range(3))
    cache: dict[tuple[Any, ...], tuple[float, np.ndarray]] = {}
    for d in range(n):
        p = np.array([*timing, per["t_cmd"][d], hw.cfg.t_wr_ns], dtype=float)
        for j in range(n_jobs):
            if not todo[d][j]:
                continue
            lay_dj = tuple(ints[k][d][j] for k in ints)
            irf = min(int(per["irf_regs"][d]), ints["writes"][d][j])   # more registers than writes: one group
            key = (*lay_dj, n_vec[j], per["t_cmd"][d], per["g"][d], per["all_bank"][d], irf)
            if key not in cache:
                cache[key] = _run(p, t.banks, bool(per["all_bank"][d]), int(per["g"][d]), cols_per_row, t.col_bits,
                                  *lay_dj, n_vec[j], hw.bits, hw.irf_bits, irf)  # type: ignore[call-arg]  # numba dispatcher
            end, c = cache[key]
            ns[d, j], acts[d, j], refs[d, j], reopens[d, j] = end, c[C_ACT], c[C_REF], c[C_REOPEN]
    extra_acts = (acts - acts_analytical) * np.asarray(hw.channels, dtype=float).reshape(-1, 1)
    energy = best.energy_pj + np.maximum(extra_acts, 0.0) * t.act_pj
    parts = {**best.parts, "cycle_sim": ns}
    choice = {**best.choice, "acts": acts, "refreshes": refs, "reopens": reopens}
    return JobCost(ns, best.io_ns, energy, best.ext_bytes, parts, choice, best.reg_ok)
