"""The cycle-level, command-level memory-controller model (one channel at a time, compiled by numba).

Per bank: a state machine (closed / open row) and the earliest cycle at which each command type
(ACT, RD, WR, PRE, REF) may issue; every issued command pushes those limits forward for the same
bank, the other banks of its bank group, the other bank groups of its rank and the other ranks,
with DRAMsim3's timing relations (``timing.cc``; see docs/dram.md): tRCD, tRP, tRAS, tRC, tCCD_S/L,
tRRD_S/L, tFAW (four-activate window; GDDR's 32-activate window too), tWTR_S/L, tRTP, tWR,
read→write turnaround, rank switch tRTRS, tPPD, tRFC/tRFCb. One command per cycle on the
command bus (HBM: one row and one column command, as its split buses allow).

The controller: requests enter while fewer than ``MaxActiveTransactions`` are outstanding
(accepted, column command not yet issued: back-pressure holds the trace), wait in arrival order
until their scheduler buffer (``SchedulerBuffer`` × ``RequestBufferSize``) has room (one moved a
cycle), and are schedulable ``front_delay`` cycles later. ``Fifo`` only looks at the oldest request
of each buffer; ``FrFcfs`` issues the oldest ready row hit, else the oldest ready ACT/PRE (a PRE
only when no buffered request hits the open row, or after ``hit_cap`` hits); ``FrFcfsGrp``
prefers row hits of the direction (read/write) last issued. Page policies act at each column
command: ``Open`` keeps the row, ``Closed`` auto-precharges, ``OpenAdaptive`` auto-precharges when
a buffered request to the bank misses and none hits, ``ClosedAdaptive`` keeps it only when one
hits. Refresh (all-bank per rank, or per bank every tREFI/banks) falls due every tREFI; it is
postponed while the rank (bank) has buffered requests until ``RefreshMaxPostponed`` are owed, and
pulled in when idle up to ``RefreshMaxPulledin`` ahead. Time jumps over cycles in which nothing can
happen, so the cost follows commands, not cycles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from simulators.dram.devices import Device

# command-type columns of the per-bank "earliest cycle" table
ACT, RD, WR, PRE, REF = 0, 1, 2, 3, 4
# counter slots
C_ACT, C_PRE, C_RD, C_WR, C_REF, C_REFB, C_RDHIT, C_WRHIT, C_END = range(9)
N_COUNTERS = 9
# timing-vector slots (filled by timing_vector)
(T_RL, T_WL, T_BURST, T_RCDRD, T_RCDWR, T_RP, T_RAS, T_RC, T_RRDS, T_RRDL, T_FAW, T_32AW, T_RR_L, T_RR_S,
 T_RR_O, T_R2W, T_R2W_O, T_R2P, T_RDA2A, T_W2R_L, T_W2R_S, T_W2R_O, T_WW_L, T_WW_S, T_WW_O, T_W2P, T_WRA2A,
 T_RFC, T_RFCB, T_REFI, T_PPD) = range(31)
# knob-vector slots
(K_PAGE, K_SCHED, K_BUFFER, K_BUFSIZE, K_REFRESH, K_POSTPONE, K_PULLIN, K_MAXACTIVE, K_FRONT, K_HITCAP,
 K_DUAL, K_PENDCAP, K_RR) = range(13)
NEVER = np.int64(1) << np.int64(62)


def timing_vector(d: Device) -> np.ndarray:
    """Command-to-command distances (cycles) derived as DRAMsim3's ``Timing`` does."""
    burst, rl, wl = d.burst_cycles, d.RL, d.WL
    read_delay, write_delay = rl + burst, wl + burst
    r2p = d.AL + d.tRTP
    w2p = wl + burst + d.tWR
    v = [rl, wl, burst, d.tRCDRD, d.tRCDWR, d.tRP, d.tRAS, d.tRC, d.tRRD_S, d.tRRD_L, d.tFAW, d.t32AW,
         max(burst, d.tCCD_L), max(burst, d.tCCD_S), burst + d.tRTRS, rl + burst - wl + d.tRTRS,
         read_delay + burst + d.tRTRS - write_delay, r2p, d.AL + burst + d.tRTP + d.tRP,
         write_delay + d.tWTR_L, write_delay + d.tWTR_S, write_delay + burst + d.tRTRS - read_delay,
         max(burst, d.tCCD_L), max(burst, d.tCCD_S), burst, w2p, w2p + d.tRP, d.tRFC, d.tRFCb, d.tREFI, d.tPPD]
    return np.asarray(v, dtype=np.int64)


@njit(cache=True)
def _bump(nxt: np.ndarray, j: int, col: int, value: int) -> None:
    nxt[j, col] = max(nxt[j, col], value)


@njit(cache=True)
def _timing(nxt: np.ndarray, cmd: int, auto_pre: bool, b: int, t: int, T: np.ndarray, rank_of: np.ndarray,
            bg_of: np.ndarray) -> None:
    """Push the earliest-issue table forward after command ``cmd`` to bank ``b`` at cycle ``t``."""
    nb = nxt.shape[0]
    for j in range(nb):
        same_rank = rank_of[j] == rank_of[b]
        if j == b:
            if cmd == ACT:
                _bump(nxt, j, ACT, t + T[T_RC])
                _bump(nxt, j, RD, t + T[T_RCDRD])
                _bump(nxt, j, WR, t + T[T_RCDWR])
                _bump(nxt, j, PRE, t + T[T_RAS])
            elif cmd == RD:
                if auto_pre:
                    _bump(nxt, j, ACT, t + T[T_RDA2A])
                    _bump(nxt, j, REF, t + T[T_R2P] + T[T_RP])
                else:
                    _bump(nxt, j, RD, t + T[T_RR_L])
                    _bump(nxt, j, WR, t + T[T_R2W])
                    _bump(nxt, j, PRE, t + T[T_R2P])
            elif cmd == WR:
                if auto_pre:
                    _bump(nxt, j, ACT, t + T[T_WRA2A])
                    _bump(nxt, j, REF, t + T[T_WRA2A])
                else:
                    _bump(nxt, j, RD, t + T[T_W2R_L])
                    _bump(nxt, j, WR, t + T[T_WW_L])
                    _bump(nxt, j, PRE, t + T[T_W2P])
            elif cmd == PRE:
                _bump(nxt, j, ACT, t + T[T_RP])
                _bump(nxt, j, REF, t + T[T_RP])
        elif same_rank:                 # same bank group: the _L timings, else the _S ones
            long = bg_of[j] == bg_of[b]
            if cmd == ACT:
                _bump(nxt, j, ACT, t + T[T_RRDL if long else T_RRDS])
            elif cmd == RD:
                _bump(nxt, j, RD, t + T[T_RR_L if long else T_RR_S])
                _bump(nxt, j, WR, t + T[T_R2W])
            elif cmd == WR:
                _bump(nxt, j, RD, t + T[T_W2R_L if long else T_W2R_S])
                _bump(nxt, j, WR, t + T[T_WW_L if long else T_WW_S])
            elif cmd == PRE:
                _bump(nxt, j, PRE, t + T[T_PPD])
        else:
            if cmd == RD:
                _bump(nxt, j, RD, t + T[T_RR_O])
                _bump(nxt, j, WR, t + T[T_R2W_O])
            elif cmd == WR:
                _bump(nxt, j, RD, t + T[T_W2R_O])
                _bump(nxt, j, WR, t + T[T_WW_O])


@njit(cache=True)
def _act_ok_at(faw: np.ndarray, a32: np.ndarray, r: int, T: np.ndarray) -> int:
    """Earliest cycle the activation windows of rank ``r`` allow another ACT."""
    at = faw[r, int(faw[r, 4])] + T[T_FAW]
    if T[T_32AW] > 0:
        at = max(at, a32[r, int(a32[r, 32])] + T[T_32AW])
    return at


@njit(cache=True)
def simulate_channel(arrive: np.ndarray, is_write: np.ndarray, bank: np.ndarray, row: np.ndarray,
                     rank_of: np.ndarray, bg_of: np.ndarray, ranks: int, T: np.ndarray, K: np.ndarray,
                     max_cycles: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                               np.ndarray]:
    """Simulate one channel's requests (arrival order). Returns the accept cycle, done cycle (data
    end; −1 if not reached within ``max_cycles``), row-hit flag per request, the counters, and
    per-rank active-standby and precharged-standby cycles."""
    n = arrive.shape[0]
    nb = rank_of.shape[0]
    page, sched, buffer, bufsize = K[K_PAGE], K[K_SCHED], K[K_BUFFER], K[K_BUFSIZE]
    refresh, postpone, pullin, max_active = K[K_REFRESH], K[K_POSTPONE], K[K_PULLIN], K[K_MAXACTIVE]
    front, hit_cap, dual, pend_cap = K[K_FRONT], K[K_HITCAP], K[K_DUAL], K[K_PENDCAP]
    round_robin = K[K_RR]
    accept = np.full(n, -1, np.int64)
    done = np.full(n, -1, np.int64)
    hit = np.zeros(n, np.bool_)
    cnt = np.zeros(N_COUNTERS, np.int64)
    act_cyc = np.zeros(ranks, np.int64)
    idle_cyc = np.zeros(ranks, np.int64)
    nxt = np.zeros((nb, 5), np.int64)
    open_row = np.full(nb, -1, np.int64)
    hits_since = np.zeros(nb, np.int64)
    nopen = np.zeros(ranks, np.int64)
    faw = np.full((ranks, 5), -NEVER, np.int64)
    faw[:, 4] = 0
    a32 = np.full((ranks, 33), -NEVER, np.int64)
    a32[:, 32] = 0
    # queues: 0 Bankwise (one per bank), 1 ReadWrite (two), 2 Shared (one)
    nq = nb if buffer == 0 else (2 if buffer == 1 else 1)
    qcount = np.zeros(nq, np.int64)
    cap = max_active + 1
    buf = np.zeros(cap, np.int64)
    nbuf = 0
    pend = np.zeros(cap, np.int64)
    npend = 0
    ready_at = np.zeros(n, np.int64)
    # refresh units: ranks (all-bank) or banks (per-bank)
    nu = ranks if refresh == 1 else nb
    unit_of = rank_of.copy() if refresh == 1 else np.arange(nb)
    period = T[T_REFI]
    due = np.empty(nu, np.int64)
    for u in range(nu):
        due[u] = ((u + 1) * period) // nu  # staggered: unit u first falls due at (u+1)/nu of tREFI
    owed = np.zeros(nu, np.int64)
    ref_pend = np.zeros(nu, np.bool_)
    ucount = np.zeros(nu, np.int64)
    hitpend = np.zeros(nb, np.int64)
    misspend = np.zeros(nb, np.int64)
    seen = np.zeros(nq, np.bool_)
    first_in_q = np.full(nq, -1, np.int64)  # round robin: each queue's first ready command
    rr_ptr = nq - 1
    active = 0
    nreq = 0
    last_dir = 0
    t = 0
    npend_dir = np.zeros(2, np.int64)  # accepted reads / writes waiting outside the buffers
    draining = 0  # DRAMsim3 mode: writes still to move in the current write drain
    while t < max_cycles:
        if nreq >= n and nbuf == 0 and npend == 0 and (max_cycles >= NEVER or refresh == 0):
            break
        progress = False
        # -- refresh bookkeeping --------------------------------------------------------------
        if refresh > 0:
            for u in range(nu):
                while due[u] <= t:
                    owed[u] += 1
                    due[u] += period
        # -- accept one request, move one into its buffer --------------------------------------
        if nreq < n and arrive[nreq] <= t and active < max_active and (
                pend_cap == 0 or npend_dir[np.int64(is_write[nreq])] < pend_cap):
            accept[nreq] = t
            pend[npend] = nreq
            npend += 1
            npend_dir[np.int64(is_write[nreq])] += 1
            nreq += 1
            active += 1
            progress = True
        # DRAMsim3 mode (separate read queue and write buffer of pend_cap each): writes move only in
        # drains, started when the write buffer is full or holds > 8 writes with the buffers empty
        if pend_cap > 0 and draining == 0 and (npend_dir[1] >= pend_cap or (npend_dir[1] > 8 and nbuf == 0)):
            draining = npend_dir[1]
        for k in range(npend):
            i = pend[k]
            if pend_cap > 0 and is_write[i] != (draining > 0):
                continue
            q = bank[i] if buffer == 0 else (np.int64(is_write[i]) if buffer == 1 else 0)
            if qcount[q] < bufsize:
                npend_dir[np.int64(is_write[i])] -= 1
                if is_write[i] and draining > 0:
                    draining -= 1
                qcount[q] += 1
                ucount[unit_of[bank[i]]] += 1
                buf[nbuf] = i
                nbuf += 1
                ready_at[i] = t + front
                for m in range(k, npend - 1):
                    pend[m] = pend[m + 1]
                npend -= 1
                progress = True
                break
        if refresh > 0:
            for u in range(nu):
                if not ref_pend[u] and owed[u] > 0 and owed[u] >= postpone:
                    ref_pend[u] = True
                elif not ref_pend[u] and ucount[u] == 0 and owed[u] > -pullin:
                    # idle: catch up on postponed refreshes; pull one in when the controller is empty
                    ref_pend[u] = owed[u] > 0 or nbuf + npend == 0
        # -- command selection ------------------------------------------------------------------
        t_next = NEVER
        issued_row = False
        issued_col = False
        if refresh > 0:
            for u in range(nu):
                if not ref_pend[u] or issued_row:
                    continue
                all_closed = True
                ready = 0
                for b in range(nb):
                    if unit_of[b] != u:
                        continue
                    if open_row[b] >= 0:
                        all_closed = False
                        if nxt[b, PRE] <= t and not issued_row:
                            open_row[b] = -1
                            hits_since[b] = 0
                            nopen[rank_of[b]] -= 1
                            _timing(nxt, PRE, False, b, t, T, rank_of, bg_of)
                            cnt[C_PRE] += 1
                            issued_row = True
                        else:
                            t_next = min(t_next, nxt[b, PRE])
                    else:
                        ready = max(ready, nxt[b, REF])
                if all_closed and not issued_row:
                    if ready <= t:
                        for b in range(nb):
                            if unit_of[b] == u:
                                if refresh == 1:
                                    _bump(nxt, b, ACT, t + T[T_RFC])
                                    _bump(nxt, b, REF, t + T[T_RFC])
                                else:
                                    _bump(nxt, b, ACT, t + T[T_RFCB])
                                    _bump(nxt, b, REF, t + T[T_RFCB])
                            elif refresh == 2 and rank_of[b] == rank_of[u]:
                                _bump(nxt, b, ACT, t + T[T_RRDL])
                        cnt[C_REF if refresh == 1 else C_REFB] += 1
                        owed[u] -= 1
                        ref_pend[u] = False
                        issued_row = True
                    else:
                        t_next = min(t_next, ready)
        # pending hits / misses per bank (for PRE arbitration and adaptive page policies)
        for b in range(nb):
            hitpend[b] = 0
            misspend[b] = 0
        for k in range(nbuf):
            i = buf[k]
            if row[i] == open_row[bank[i]]:
                hitpend[bank[i]] += 1
            else:
                misspend[bank[i]] += 1
        scan = dual == 1 or not issued_row
        best_col = -1
        best_col_dir = -1
        best_row = -1
        for q in range(nq):
            seen[q] = False
            first_in_q[q] = -1
        for k in range(nbuf if scan else 0):
            i = buf[k]
            b = bank[i]
            q = b if buffer == 0 else (np.int64(is_write[i]) if buffer == 1 else 0)
            head = not seen[q]
            seen[q] = True
            if (sched == 0 and not head) or (refresh > 0 and ref_pend[unit_of[b]]):
                continue
            orow = open_row[b]
            if orow == row[i]:
                at = max(ready_at[i], nxt[b, WR if is_write[i] else RD])
                if at <= t:
                    if first_in_q[q] < 0:
                        first_in_q[q] = k
                    if best_col < 0:
                        best_col = k
                    if best_col_dir < 0 and np.int64(is_write[i]) == last_dir:
                        best_col_dir = k
                else:
                    t_next = min(t_next, at)
            elif not issued_row:
                if orow < 0:
                    at = max(ready_at[i], nxt[b, ACT], _act_ok_at(faw, a32, rank_of[b], T))
                else:
                    if sched > 0 and hitpend[b] > 0 and not (hit_cap > 0 and hits_since[b] >= hit_cap):
                        continue
                    at = max(ready_at[i], nxt[b, PRE])
                if at <= t:
                    if first_in_q[q] < 0:
                        first_in_q[q] = k
                    if best_row < 0:
                        best_row = k
                else:
                    t_next = min(t_next, at)
        if sched == 2 and best_col_dir >= 0:
            best_col = best_col_dir
        if round_robin == 1 and (best_col >= 0 or best_row >= 0):
            # DRAMsim3: queues in turn from the one after the last served, each its first ready command
            for step in range(1, nq + 1):
                q = (rr_ptr + step) % nq
                k = first_in_q[q]
                if k >= 0:
                    rr_ptr = q
                    other_row, other_col = best_row, best_col
                    if open_row[bank[buf[k]]] == row[buf[k]]:
                        best_col, best_row = k, (other_row if dual == 1 else -1)
                    else:
                        best_row, best_col = k, (other_col if dual == 1 else -1)
                    break
        if best_col >= 0 and best_row >= 0:
            if dual == 1:  # HBM: a row and a column command in one cycle, to different banks
                if bank[buf[best_col]] == bank[buf[best_row]]:
                    best_row = -1
            elif sched == 0 and best_row < best_col:  # FIFO: the oldest head goes first
                best_col = -1
            else:  # FR-FCFS: row hits first
                best_row = -1
        if best_row >= 0:
            i = buf[best_row]
            b = bank[i]
            if open_row[b] < 0:
                open_row[b] = row[i]
                hits_since[b] = 0
                nopen[rank_of[b]] += 1
                r = rank_of[b]
                p = faw[r, 4]
                faw[r, p] = t
                faw[r, 4] = (p + 1) % 4
                p = a32[r, 32]
                a32[r, p] = t
                a32[r, 32] = (p + 1) % 32
                _timing(nxt, ACT, False, b, t, T, rank_of, bg_of)
                cnt[C_ACT] += 1
            else:
                open_row[b] = -1
                hits_since[b] = 0
                nopen[rank_of[b]] -= 1
                _timing(nxt, PRE, False, b, t, T, rank_of, bg_of)
                cnt[C_PRE] += 1
            issued_row = True
        if best_col >= 0:
            k = best_col
            i = buf[k]
            b = bank[i]
            w = is_write[i]
            others_hit = hitpend[b] - 1
            if page == 0:
                auto_pre = False
            elif page == 2:
                auto_pre = True
            elif page == 1:
                auto_pre = others_hit == 0 and misspend[b] > 0
            else:
                auto_pre = others_hit == 0
            if hits_since[b] > 0:
                hit[i] = True
                cnt[C_WRHIT if w else C_RDHIT] += 1
            cnt[C_WR if w else C_RD] += 1
            _timing(nxt, WR if w else RD, auto_pre, b, t, T, rank_of, bg_of)
            done[i] = t + (T[T_WL] if w else T[T_RL]) + T[T_BURST]
            if auto_pre:
                open_row[b] = -1
                hits_since[b] = 0
                nopen[rank_of[b]] -= 1
            else:
                hits_since[b] += 1
            last_dir = np.int64(w)
            q = b if buffer == 0 else (np.int64(w) if buffer == 1 else 0)
            qcount[q] -= 1
            ucount[unit_of[b]] -= 1
            for m in range(k, nbuf - 1):
                buf[m] = buf[m + 1]
            nbuf -= 1
            active -= 1
            issued_col = True
        # -- advance time ---------------------------------------------------------------------------
        if progress or issued_row or issued_col:
            t_new = t + 1
        else:
            t_new = t_next
            if nreq < n and active < max_active and (pend_cap == 0 or npend_dir[np.int64(is_write[nreq])] < pend_cap):
                t_new = min(t_new, arrive[nreq])
            if refresh > 0:
                for u in range(nu):
                    t_new = min(t_new, due[u])
            t_new = max(t_new, t + 1)
            if t_new >= NEVER:
                break
        t_new = min(t_new, max_cycles)
        for r in range(ranks):
            if nopen[r] > 0:
                act_cyc[r] += t_new - t
            else:
                idle_cyc[r] += t_new - t
        t = t_new
    end = t
    for i in range(n):
        if done[i] > max_cycles:
            done[i] = -1
        elif done[i] > end:
            end = done[i]
    for r in range(ranks):
        if nopen[r] > 0:
            act_cyc[r] += end - t
        else:
            idle_cyc[r] += end - t
    cnt[C_END] = end
    return accept, done, hit, cnt, act_cyc, idle_cyc


@dataclass(frozen=True)
class ChannelRun:
    """One channel's outcome (arrays over that channel's requests in arrival order)."""

    accept: np.ndarray
    done: np.ndarray
    hit: np.ndarray
    counters: np.ndarray
    active_cycles: np.ndarray
    idle_cycles: np.ndarray


@dataclass(frozen=True)
class KernelOptions:
    """Controller behaviour outside the knob set: DRAMsim3 compatibility uses ``front_delay=1``,
    ``hit_cap=4``, its transaction queues (``pending_cap``), round-robin arbitration and no
    response-path cycles."""

    front_delay: int = 0
    hit_cap: int = 0
    pending_cap: int = 0  # > 0: DRAMsim3's read queue and write buffer (this many each), writes moved in drains
    round_robin: bool = False  # DRAMsim3's arbitration: queues in turn, each its first ready command
    response_delay: int = 0
    in_order: bool = False
    #: read latency from the trace's arrival cycle (stalls under back-pressure included); False:
    #: from acceptance into the controller, as DRAMsim3 measures it
    from_arrival: bool = True


def knob_vector(codes: tuple[int, ...], device: Device, opts: KernelOptions) -> np.ndarray:
    """Kernel knob slots from one design's codes (``controller.Knobs.row`` order)."""
    page, sched, buffer, buf_size, _resp, refresh, postpone, pullin, _arb, max_active, _mapping = codes
    dual = 1 if device.protocol.startswith("HBM") else 0
    return np.asarray([page, sched, buffer, buf_size, refresh, postpone, pullin, max_active, opts.front_delay,
                       opts.hit_cap, dual, opts.pending_cap, int(opts.round_robin)], dtype=np.int64)


def options_for(codes: tuple[int, ...]) -> KernelOptions:
    """Arbiter and response-queue knobs: a Fifo/Reorder arbiter adds one cycle each way; Reorder
    (arbiter or response queue) returns responses in request order."""
    resp, arbiter = codes[4], codes[8]
    return KernelOptions(front_delay=int(arbiter > 0), response_delay=int(arbiter > 0),
                         in_order=resp == 1 or arbiter == 2)


def run(trace_fields: tuple[np.ndarray, ...], arrive: np.ndarray, is_write: np.ndarray, device: Device,
        K: np.ndarray, opts: KernelOptions, max_cycles: int | None = None) -> dict[str, float]:
    """Simulate every channel of one design; ``trace_fields`` = (channel, bank, row) per request.
    Returns the :class:`~simulators.dram.outcome.Outcome` fields of this design."""
    channel, bank, row = trace_fields
    T = timing_vector(device)
    nb = device.ranks * device.banks
    rank_of = np.arange(nb, dtype=np.int64) // device.banks
    bg_of = np.arange(nb, dtype=np.int64) // device.banks_per_group
    limit = int(max_cycles) if max_cycles is not None else int(NEVER)
    n = len(arrive)
    accept = np.full(n, -1, np.int64)
    done = np.full(n, -1, np.int64)
    totals = np.zeros(N_COUNTERS, np.int64)
    act_cycles = idle_cycles = 0
    ends = []
    for ch in range(device.channels):
        sel = np.flatnonzero(channel == ch)
        a, d, _h, c, act_c, idle_c = simulate_channel(arrive[sel], is_write[sel], bank[sel], row[sel], rank_of,
                                                      bg_of, device.ranks, T, K, limit)
        accept[sel], done[sel] = a, d
        totals += c
        ends.append(int(c[C_END]))
        act_cycles += int(act_c.sum())
        idle_cycles += int(idle_c.sum())
    end = max(ends) if max_cycles is None else limit
    # channels that finish early sit in precharged standby until the last one ends
    idle_cycles += sum(end - e for e in ends) * device.ranks
    finished = done >= 0
    resp = np.where(finished, done + opts.response_delay, -1)
    if opts.in_order:
        resp = np.where(finished, np.maximum.accumulate(np.where(finished, resp, 0)), -1)
    reads = finished & ~is_write
    lat = (resp - (arrive if opts.from_arrival else accept))[reads].astype(float)
    return {"cycles": float(end), "reads": float(totals[C_RD]),
            "writes": float(totals[C_WR]), "acts": float(totals[C_ACT]), "pres": float(totals[C_PRE]),
            "refs": float(totals[C_REF]), "refbs": float(totals[C_REFB]), "read_hits": float(totals[C_RDHIT]),
            "write_hits": float(totals[C_WRHIT]), "active_cycles": float(act_cycles),
            "idle_cycles": float(idle_cycles), "avg_read_latency": float(lat.mean()) if lat.size else 0.0,
            "p99_read_latency": float(np.percentile(lat, 99)) if lat.size else 0.0}
