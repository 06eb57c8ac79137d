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
from collections.abc import Mapping

import numpy as np
from numba import njit

from simulators.common.arrays import distinct_rows
from simulators.pim import gemv
from simulators.pim.gemv import Hardware, JobCost, Jobs

# The channel's command counters, and its timing parameters (ns) in this order.
C_ACT, C_MAC, C_WR, C_REF, C_REOPEN = range(5)
T_RRD, T_FAW, T_RCD, T_RAS, T_WR, T_RP, T_RFC, T_REFI, T_WTR, T_RTW, T_CMD, T_WRITE = range(12)
#: ``span ≥ steps·step·FITS`` proves ``span // step ≥ steps`` (a burst fits before the refresh) without
#: the floor division: the product and its margin round by at most 2⁻⁵³ each, so ``span`` exceeds
#: ``steps·step`` exactly (derived; the division is taken whenever the test fails)
FITS = 1.0 + 2.0 ** -50


@njit(cache=True, inline="always")
def _activate(ring: np.ndarray, head: int, n: int, start: float, banks: int, all_bank: bool, t_rrd: float,
              t_faw: float) -> tuple[float, int, int]:
    """ACT from ``start``: one all-bank ACT, or one per bank ≥ tRRD apart and at most four per tFAW
    (``ring``: the last four ACTs' issue times from ``head``, ``n`` of them); (last ACT's time,
    head, n)."""
    if all_bank:
        return start, head, n
    last, i = start, 0
    while n < 4 and i < banks:       # the channel's first four ACTs
        if i:
            last = max(last + t_rrd, start)
        ring[(head + n) % 4] = last
        n, i = n + 1, i + 1
    for b in range(i, banks):        # at most four ACTs per tFAW window
        if b:
            last = last + t_rrd      # = max(last + tRRD, start): last ≥ start and tRRD ≥ 0
        last = max(last, ring[head] + t_faw)
        ring[head] = last
        head = head + 1 if head < 3 else 0
    return last, head, n


@njit(cache=True, inline="always")
def _precharge(row_open: bool, pre_done: float, act_last: float, read_end: float, write_end: float,
               col_free: float, t_ras: float, t_wr: float, t_rp: float) -> float:
    """When the all-bank PRE of the open rows is done (``pre_done`` unchanged when none are open)."""
    if not row_open:
        return pre_done
    return max(act_last + t_ras, read_end, write_end + t_wr, col_free) + t_rp


@njit(cache=True, inline="always")
def _refresh(at: float, next_ref: float, pre_done: float, col_free: float, t_rfc: float,
             t_refi: float) -> tuple[float, float, float, int]:
    """Every refresh due by ``at`` (rows closed; each blocks the channel for tRFC, and ``at`` moves
    past it); (next due time, PRE/REF done, column bus free, refreshes)."""
    n = 0
    while at >= next_ref:
        start = max(next_ref, pre_done, col_free)
        pre_done = start + t_rfc
        col_free = max(col_free, pre_done)
        next_ref += t_refi
        n += 1
        at = max(at, pre_done)
    return next_ref, pre_done, col_free, n


@njit(cache=True, inline="always")
def _close_and_refresh(at: float, row_open: bool, pre_done: float, act_last: float, read_end: float,
                       write_end: float, col_free: float, next_ref: float, t_ras: float, t_wr: float, t_rp: float,
                       t_rfc: float, t_refi: float) -> tuple[float, float, float, int]:
    """PRE of the open rows (:func:`_precharge`), then every refresh due by ``at`` (:func:`_refresh`);
    the rows are closed after it. (next due time, PRE/REF done, column bus free, refreshes)."""
    pre_done = _precharge(row_open, pre_done, act_last, read_end, write_end, col_free, t_ras, t_wr, t_rp)
    return _refresh(at, next_ref, pre_done, col_free, t_rfc, t_refi)


@njit(cache=True, inline="always")
def _open_rows(ring: np.ndarray, head: int, n: int, col_free: float, pre_done: float, banks: int, all_bank: bool,
               t_rrd: float, t_faw: float, t_rcd: float) -> tuple[float, float, int, int]:
    """Open a row in every bank once the bus is free and the PRE done (:func:`_activate`); (last
    ACT's time, rows ready for column commands, head, n)."""
    act_last, head, n = _activate(ring, head, n, max(col_free, pre_done), banks, all_bank, t_rrd, t_faw)
    return act_last, act_last + t_rcd, head, n


@njit(cache=True)
def _run(p: np.ndarray, banks: int, all_bank: bool, g: int, cols_per_row: int, col_bits: int, q: int, order: int,
         m: int, writes: int, vectors: int, r_b: int, kpart: int, n_vectors: int, bits: int, irf_bits: int,
         irf_regs: int) -> tuple[float, np.ndarray]:
    """Simulate ``n_vectors`` passes over a bank's row blocks; (end time ns, command counters).

    Per vector pass of ``blocks`` row blocks and per register group: the host's register writes
    (a refresh first when due), the accumulator moves (``order > 1``), then MAC bursts over the
    weight rows (split at row ends, PRE at each, and at refreshes, which re-open the row); per pass
    an output spill (PRE, ACT, write commands, PRE). The channel's state is local scalars."""
    t_rrd, t_faw, t_rcd, t_ras, t_wr, t_rp = p[T_RRD], p[T_FAW], p[T_RCD], p[T_RAS], p[T_WR], p[T_RP]
    t_rfc, t_refi, t_wtr, t_rtw, t_cmd, t_write = p[T_RFC], p[T_REFI], p[T_WTR], p[T_RTW], p[T_CMD], p[T_WRITE]
    col_free = ready = pre_done = 0.0            # column bus free; open rows ready; PRE (or REF) done
    read_end = write_end = act_last = -1e9
    next_ref, row_open = t_refi, False
    ring, head, n_acts = np.zeros(4), 0, 0       # per-bank mode: the last four ACTs
    c = np.zeros(5, dtype=np.int64)
    step_ns = g * t_cmd                          # one column step: g MAC commands
    x_per_reg = irf_bits // bits
    pos = 0                                      # column position inside the current weight row
    for _ in range(n_vectors):
        done = 0
        while done < q:
            blocks = min(order, q - done)
            for first in range(0, writes, irf_regs):
                w = min(irf_regs, writes - first)
                x = min(w * x_per_reg, kpart - first * x_per_reg)
                start = max(col_free, read_end + t_rtw)        # host writes w·vectors registers
                if start >= next_ref:
                    was_open, row_open = row_open, False
                    next_ref, pre_done, col_free, refs = _close_and_refresh(start, was_open, pre_done, act_last,
                                                                            read_end, write_end, col_free, next_ref,
                                                                            t_ras, t_wr, t_rp, t_rfc, t_refi)
                    c[C_REF] += refs
                    if was_open:
                        start = max(col_free, read_end + t_rtw)
                col_free = start + (w * vectors) * t_write
                write_end = col_free
                c[C_WR] += w * vectors
                if order > 1:    # accumulator moves inside the units: column-bus slots, no DRAM access
                    col_free += blocks * g * t_cmd
                cols = math.ceil(blocks * m * x * bits / col_bits)
                while cols > 0:
                    take = min(cols, cols_per_row - pos)
                    steps = take
                    while steps > 0:   # a MAC burst of ``steps`` column steps on the open rows
                        if not row_open:
                            act_last, ready, head, n_acts = _open_rows(ring, head, n_acts, col_free, pre_done, banks,
                                                                       all_bank, t_rrd, t_faw, t_rcd)
                            c[C_ACT] += banks
                            row_open = True
                        start = max(ready, col_free, write_end + t_wtr)
                        if start >= next_ref:
                            next_ref, pre_done, col_free, refs = _close_and_refresh(start, True, pre_done, act_last,
                                                                                    read_end, write_end, col_free,
                                                                                    next_ref, t_ras, t_wr, t_rp, t_rfc,
                                                                                    t_refi)
                            c[C_REF] += refs
                            row_open = False
                            c[C_REOPEN] += 1
                            continue
                        span = next_ref - start
                        k = steps if span >= steps * step_ns * FITS else min(steps, max(int(span // step_ns), 1))
                        col_free = start + k * step_ns
                        read_end = col_free
                        c[C_MAC] += k * g
                        steps -= k
                    pos, cols = pos + take, cols - take
                    if pos == cols_per_row:
                        pre_done = _precharge(row_open, pre_done, act_last, read_end, write_end, col_free, t_ras, t_wr,
                                              t_rp)
                        row_open, pos = False, 0
            # output spill: r_b·blocks·g write commands to an output row, then close it
            pre_done = _precharge(row_open, pre_done, act_last, read_end, write_end, col_free, t_ras, t_wr, t_rp)
            act_last, ready, head, n_acts = _open_rows(ring, head, n_acts, col_free, pre_done, banks, all_bank, t_rrd,
                                                       t_faw, t_rcd)
            c[C_ACT] += banks
            col_free = max(ready, col_free, read_end + t_rtw) + (r_b * blocks * g) * t_cmd
            write_end = col_free
            pre_done = _precharge(True, pre_done, act_last, read_end, write_end, col_free, t_ras, t_wr, t_rp)
            row_open = False
            if pos:
                c[C_REOPEN] += 1
            done += blocks
    pre_done = _precharge(row_open, pre_done, act_last, read_end, write_end, col_free, t_ras, t_wr, t_rp)
    return max(col_free, pre_done - t_rp), c


#: relative margin of :func:`lower_bound_ns` below the exact sum of its terms: the simulation adds
#: the same terms one float operation at a time (relative error under 1e-9 up to 10⁷ commands)
BOUND_SLACK = 1e-6


def act_rounds_ns(hw: Hardware) -> tuple[np.ndarray, np.ndarray]:
    """(least, most) time from the first to the last ACT of one row opening: 0 for an all-bank ACT;
    per bank, each ACT ≥ tRRD after the one before and ≥ tFAW after the fourth before, so the last
    of ``B`` is ≥ ``max((B−1)·tRRD, ⌊(B−1)/4⌋·tFAW + ((B−1) mod 4)·tRRD)`` after the first; the
    last is at most ``B·(tRRD + tFAW)`` after the round may start (the first waits up to tFAW for
    the previous round's ACTs)."""
    t = hw.t
    b = t.banks - 1
    least = max(b * t.tRRD_S, b // 4 * t.tFAW + b % 4 * t.tRRD_S)
    return np.where(hw.all_bank_act, 0.0, least), np.where(hw.all_bank_act, 0.0, t.banks * (t.tRRD_S + t.tFAW))


def chosen_layout(hw: Hardware, jobs: Jobs, best: JobCost) -> dict[str, np.ndarray]:
    """:func:`.gemv.layout` of the analytical mapper's choice (``best``) for every (design, job): what
    :func:`lower_bound_ns` and :func:`simulate_jobs` read (a caller of both computes it once)."""
    return gemv.layout(hw, jobs, best.choice["split_k"], best.choice["tile_rows"])


def lower_bound_ns(hw: Hardware, jobs: Jobs, best: JobCost, lay: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """``(designs, jobs)``: a PIM time no command simulation of the chosen mapping can beat.

    Every vector pass adds to the column bus's free time at least its register writes
    (``writes·vectors·t_wr`` per pass), the accumulator moves (``order > 1``), its MAC column steps
    (``g·t_cmd`` each; per pass of ``blocks`` row blocks at least
    ``blocks·m·min(writes·x_per_reg, kpart)·bits / col_bits``) and per spill its ``r_b·blocks·g``
    write commands. Every row opening (a spill's output row; a weight row, at least once per
    ``cols_per_row`` column steps) starts no earlier than the bus is free and leaves it idle until
    its last ACT plus tRCD (:func:`act_rounds_ns`). That sum ``B`` leaves out refresh: one is due
    every tREFI up to the last refresh check (a write group's or MAC burst's start), after which
    come at most one burst of a row, a PRE, the spill (its ACTs, tRCD, tRTW and writes) and its PRE
    (``tail``), so there are at least ``⌊(B − tail) / tREFI⌋``. Each adds tRFC, less the writes and
    accumulator moves of one register group (``hidden``: they need no row, so they overlap a
    refresh due at a write group with the rows closed). ``lay``: :func:`chosen_layout`, when the caller has it."""
    lay = chosen_layout(hw, jobs, best) if lay is None else lay
    t = hw.t
    step = hw.g * hw.t_cmd
    least, most = act_rounds_ns(hw)
    cols_per_row = t.row_bytes * 8 // t.col_bits
    elems = np.minimum(lay["writes"] * (hw.irf_bits // hw.bits), lay["kpart"])
    cols = lay["q"] * lay["m"] * hw.bits * elems / t.col_bits
    per_vector = (lay["passes"] * lay["writes"] * lay["vectors"] * hw.cfg.t_wr_ns
                  + np.where(lay["order"] > 1, lay["groups"] * lay["q"] * step, 0.0)
                  + cols * step + (cols / cols_per_row + lay["passes"]) * (t.tRCD + least)
                  + lay["r_b"] * lay["q"] * step)
    bus = jobs.N * per_vector * (1.0 - BOUND_SLACK)
    tail = (cols_per_row * step + 2 * (t.tRAS + t.tWR) + t.tRP + t.tRCD + t.tRTW + most
            + (lay["r_b"] + 1) * lay["order"] * step + lay["writes"] * lay["vectors"] * hw.cfg.t_wr_ns)
    refreshes = np.floor(np.maximum(bus - tail, 0.0) / (t.tREFI * (1.0 + BOUND_SLACK)))
    hidden = (np.minimum(hw.irf_regs, lay["writes"]) * lay["vectors"] * hw.cfg.t_wr_ns
              + np.where(lay["order"] > 1, lay["order"] * step, 0.0))
    gain = (t.tRFC - hidden) * (1.0 - BOUND_SLACK)
    return np.asarray(bus + np.where(gain > 0, refreshes * gain, 0.0), dtype=float)   # no inf·0


def needed(per_job: np.ndarray, inverse: np.ndarray, n_unique: int) -> np.ndarray:
    """``(designs, distinct jobs)``: whether any job (column of ``per_job``) that is distinct job
    ``inverse[j]`` is needed."""
    onehot = np.zeros((len(inverse), n_unique))
    onehot[np.arange(len(inverse)), inverse] = 1.0
    return np.asarray(per_job, dtype=float) @ onehot > 0


#: a simulation's inputs that vary within a batch (one preset), in :func:`_run`'s order, then the
#: MAC command time's bits: the key of :func:`simulate_jobs`'s distinct simulations
KEY = ("q", "order", "m", "writes", "vectors", "r_b", "kpart", "n_vectors", "g", "all_bank", "irf_regs", "t_cmd")
_LAYOUT = KEY[:7]


@njit(cache=True)
def _run_all(p: np.ndarray, banks: int, cols_per_row: int, col_bits: int, bits: int, irf_bits: int,
             keys: np.ndarray, t_cmd: np.ndarray, ends: np.ndarray, counts: np.ndarray) -> None:
    """:func:`_run` of every row of ``keys`` (:data:`KEY`; ``p``'s MAC command time from ``t_cmd``),
    written to ``ends`` and ``counts``."""
    for u in range(len(keys)):
        p[T_CMD] = t_cmd[u]
        k = keys[u]
        ends[u], counts[u] = _run(p, banks, k[9] != 0, k[8], cols_per_row, col_bits, k[0], k[1], k[2], k[3], k[4],
                                  k[5], k[6], k[7], bits, irf_bits, k[10])


def simulate_jobs(hw: Hardware, jobs: Jobs, best: JobCost, need: np.ndarray | None = None,
                  lay: Mapping[str, np.ndarray] | None = None) -> JobCost:
    """The analytical mapper's choice for every (design, job), with its PIM time from the command
    simulator, run once per distinct simulator input (placement, vectors and the unit's timing) in
    one compiled call. ``need`` ``(designs, jobs)``: the pairs to simulate (default all); the others
    (jobs certainly run on the host, :func:`lower_bound_ns`) get an infinite PIM time and NaN
    command counts. ``lay``: :func:`chosen_layout`, when the caller has it."""
    n, n_jobs = best.choice["split_k"].shape
    t = hw.t
    lay = chosen_layout(hw, jobs, best) if lay is None else lay
    acts_analytical = jobs.N * np.ceil(np.asarray(lay["rows"], dtype=float) - 1e-9) * t.banks
    shape = (n, n_jobs)
    d, j = np.nonzero(np.broadcast_to(True if need is None else need, shape))
    per = {k: np.broadcast_to(np.asarray(v, dtype=float).reshape(-1, 1), (n, 1))[d, 0]
           for k, v in (("t_cmd", hw.t_cmd), ("g", hw.g), ("all_bank", hw.all_bank_act), ("irf_regs", hw.irf_regs))}
    layout = {k: np.broadcast_to(lay[k], shape)[d, j].astype(np.int64) for k in _LAYOUT}
    irf = np.minimum(per["irf_regs"].astype(np.int64), layout["writes"])   # more registers than writes: one group
    keys = np.stack([*layout.values(), jobs.N[j], per["g"].astype(np.int64), per["all_bank"] != 0, irf,
                     per["t_cmd"].view(np.int64)], axis=1).astype(np.int64, copy=False)
    first, inverse = distinct_rows(keys)
    ends, counts = np.empty(len(first)), np.empty((len(first), 5), dtype=np.int64)
    p = np.array([t.tRRD_S, t.tFAW, t.tRCD, t.tRAS, t.tWR, t.tRP, t.tRFC, t.tREFI, t.tWTR, t.tRTW, 0.0,
                  hw.cfg.t_wr_ns], dtype=float)
    _run_all(p, t.banks, t.row_bytes * 8 // t.col_bits, t.col_bits, hw.bits, hw.irf_bits, keys[first],
             per["t_cmd"][first], ends, counts)
    ns = np.full(shape, np.inf)
    acts, refs, reopens = (np.full(shape, np.nan) for _ in range(3))
    ns[d, j] = ends[inverse]
    acts[d, j], refs[d, j], reopens[d, j] = counts[inverse][:, [C_ACT, C_REF, C_REOPEN]].T
    extra_acts = (acts - acts_analytical) * np.asarray(hw.channels, dtype=float).reshape(-1, 1)
    energy = best.energy_pj + np.maximum(extra_acts, 0.0) * t.act_pj
    parts = {**best.parts, "cycle_sim": ns}
    choice = {**best.choice, "acts": acts, "refreshes": refs, "reopens": reopens}
    return JobCost(ns, best.io_ns, energy, best.ext_bytes, parts, choice, best.reg_ok)
