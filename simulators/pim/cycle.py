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
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulators.common.dram import DRAMTiming
from simulators.pim import gemv
from simulators.pim.gemv import Hardware, Job, JobCost, Jobs


@dataclass
class Counts:
    """DRAM commands issued by one channel (ACTs count per bank)."""

    act: int = 0
    mac: int = 0
    wr: int = 0
    ref: int = 0
    reopen: int = 0


@dataclass
class ChannelSim:
    """Timing state of one channel; call :meth:`run` with a job's placement."""

    t: DRAMTiming
    t_cmd: float          # ns per MAC command of a unit
    t_wr: float           # ns per host register write
    g: int                # banks per unit
    all_bank_act: bool
    counts: Counts = field(default_factory=Counts)
    col_free: float = 0.0     # next column-bus slot
    read_end: float = -1e9    # end of the last MAC (read) burst
    write_end: float = -1e9   # end of the last write burst
    act_last: float = -1e9    # issue time of the last ACT of the open row round
    ready: float = 0.0        # open rows can take column commands from here
    pre_done: float = 0.0     # banks precharged (ACT allowed) from here
    row_open: bool = False
    next_ref: float = 0.0
    acts: deque = field(default_factory=lambda: deque(maxlen=4))

    def __post_init__(self) -> None:
        self.next_ref = self.t.tREFI

    # -- primitive commands ---------------------------------------------------------------------
    def activate(self, earliest: float) -> None:
        t = self.t
        start = max(earliest, self.pre_done)
        if self.all_bank_act:
            self.act_last = start
        else:
            last = start
            for i in range(t.banks):
                if i:
                    last = max(last + t.tRRD_S, start)
                if len(self.acts) == 4:
                    last = max(last, self.acts[0] + t.tFAW)
                self.acts.append(last)
            self.act_last = last
        self.counts.act += t.banks
        self.ready = self.act_last + t.tRCD
        self.row_open = True

    def precharge(self) -> None:
        if not self.row_open:
            return
        t = self.t
        when = max(self.act_last + t.tRAS, self.read_end, self.write_end + t.tWR, self.col_free)
        self.pre_done = when + t.tRP
        self.row_open = False

    def refresh_if_due(self, at: float) -> bool:
        """Refresh when ``at`` reaches the due time; True when rows were open (must re-open)."""
        if at < self.next_ref:
            return False
        was_open = self.row_open
        self.precharge()
        while at >= self.next_ref:
            start = max(self.next_ref, self.pre_done, self.col_free)
            self.pre_done = start + self.t.tRFC
            self.col_free = max(self.col_free, self.pre_done)
            self.next_ref += self.t.tREFI
            self.counts.ref += 1
            at = max(at, self.pre_done)
        return was_open

    def ensure_open(self) -> None:
        if not self.row_open:
            self.activate(self.col_free)

    # -- bursts ---------------------------------------------------------------------------------
    def mac_burst(self, steps: int) -> None:
        """``steps`` column steps on the open rows (each ``g`` MAC commands)."""
        step_ns = self.g * self.t_cmd
        while steps > 0:
            self.ensure_open()
            start = max(self.ready, self.col_free, self.write_end + self.t.tWTR)
            if start >= self.next_ref:
                self.counts.reopen += self.refresh_if_due(start)
                continue
            fit = int((self.next_ref - start) // step_ns)
            k = min(steps, max(fit, 1))
            self.col_free = self.read_end = start + k * step_ns
            self.counts.mac += k * self.g
            steps -= k

    def write_group(self, writes: int) -> None:
        """Host writes ``writes`` input registers (bus turnaround from the last read)."""
        start = max(self.col_free, self.read_end + self.t.tRTW)
        if self.refresh_if_due(start):
            start = max(self.col_free, self.read_end + self.t.tRTW)
        self.col_free = self.write_end = start + writes * self.t_wr
        self.counts.wr += writes

    def register_moves(self, commands: int) -> None:
        """Accumulator load/spill commands inside the units (column-bus slots, no DRAM access)."""
        self.col_free += commands * self.t_cmd

    def spill(self, commands: int) -> None:
        """Write ``commands`` output registers to an output row, then close it."""
        self.precharge()
        self.activate(self.col_free)
        start = max(self.ready, self.col_free, self.read_end + self.t.tRTW)
        self.col_free = self.write_end = start + commands * self.t_cmd
        self.precharge()

    # -- a whole job ----------------------------------------------------------------------------
    def run(self, lay: dict[str, float], n_vectors: int, bits: int, irf_bits: int, irf_regs: int) -> float:
        """Simulate ``n_vectors`` passes over a bank's row blocks; returns the end time (ns)."""
        t = self.t
        cols_per_row = t.row_bytes * 8 // t.col_bits
        q, order, m = int(lay["q"]), int(lay["order"]), int(lay["m"])
        writes, vectors, r_b = int(lay["writes"]), int(lay["vectors"]), int(lay["r_b"])
        kpart = int(lay["kpart"])
        x_per_reg = irf_bits // bits
        pos = 0                       # column position inside the current weight row
        for _ in range(n_vectors):
            done = 0
            while done < q:
                blocks = min(order, q - done)
                for first in range(0, writes, irf_regs):
                    w = min(irf_regs, writes - first)
                    x = min(w * x_per_reg, kpart - first * x_per_reg)
                    self.write_group(w * vectors)
                    if order > 1:
                        self.register_moves(blocks * self.g)
                    cols = math.ceil(blocks * m * x * bits / t.col_bits)
                    while cols > 0:
                        take = min(cols, cols_per_row - pos)
                        self.mac_burst(take)
                        pos, cols = pos + take, cols - take
                        if pos == cols_per_row:
                            self.precharge()
                            pos = 0
                self.spill(r_b * blocks * self.g)
                if pos:
                    self.counts.reopen += 1
                done += blocks
        self.precharge()
        return max(self.col_free, self.pre_done - t.tRP)


def simulate_job(hw: Hardware, job: Job, s: float, m: float) -> tuple[float, Counts]:
    """PIM time (ns) and command counts of ``job`` on one design (``hw`` arrays of size 1)."""
    lay = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in gemv.layout(hw, job, s, m).items()}
    sim = ChannelSim(hw.t, float(np.asarray(hw.t_cmd).reshape(-1)[0]), hw.cfg.t_wr_ns,
                     int(np.asarray(hw.g).reshape(-1)[0]), bool(np.asarray(hw.all_bank_act).reshape(-1)[0]))
    end = sim.run(lay, job.N, hw.bits, hw.irf_bits, int(np.asarray(hw.irf_regs).reshape(-1)[0]))
    return end, sim.counts


def simulate_jobs(hw: Hardware, jobs: Jobs, best: JobCost) -> JobCost:
    """The analytical mapper's choice for every (design, job), with its PIM time from the command
    simulator; a simulation is shared by every (design, job) with the same job, mapping and hardware."""
    s_best, m_best = best.choice["split_k"], best.choice["tile_rows"]
    n, n_jobs = s_best.shape
    lay = gemv.layout(hw, jobs, s_best, m_best)
    acts_analytical = jobs.N * np.ceil(np.asarray(lay["rows"], dtype=float) - 1e-9) * hw.t.banks
    ns, acts, refs, reopens = (np.empty((n, n_jobs)) for _ in range(4))
    keys = np.broadcast_arrays(*(np.asarray(getattr(hw, k), dtype=float).reshape(-1, 1) for k in gemv.SIM_INPUTS))
    cache: dict[tuple[Any, ...], tuple[float, Counts]] = {}
    for d in range(n):
        one = hw.row(d)
        for j in range(n_jobs):
            key = (jobs[j], s_best[d, j], m_best[d, j], *(float(k[d if k.shape[0] > 1 else 0, 0]) for k in keys))
            if key not in cache:
                cache[key] = simulate_job(one, jobs[j], float(s_best[d, j]), float(m_best[d, j]))
            ns[d, j], counts = cache[key]
            acts[d, j], refs[d, j], reopens[d, j] = counts.act, counts.ref, counts.reopen
    extra_acts = (acts - acts_analytical) * np.asarray(hw.channels, dtype=float).reshape(-1, 1)
    energy = best.energy_pj + np.maximum(extra_acts, 0.0) * hw.t.act_pj
    parts = {**best.parts, "cycle_sim": ns}
    choice = {**best.choice, "acts": acts, "refreshes": refs, "reopens": reopens}
    return JobCost(ns, best.io_ns, energy, best.ext_bytes, parts, choice, best.reg_ok)
