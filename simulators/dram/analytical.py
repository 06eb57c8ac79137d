"""The analytical memory-controller model: row-hit rates from the trace's locality statistics,
bandwidth bounds, refresh derating and queueing, vectorised over designs.

Trace statistics (:class:`TraceStats`, once per trace × device × address mapping):
* ``d`` — for each request, the number of requests to its bank since the last one to the same row
  (bank-local reuse distance). With a reorder window of ``W`` requests per bank, a request is taken
  to hit the open row when ``d ≤ W`` (``W = 1`` is in-order open-page).
* distinct banks in windows of ``M`` consecutive requests (the bank parallelism a buffer exposes),
  the mean inverse distance to the same bank's previous request (back-to-back row cycles), the
  busiest bank's share, read/write direction switches and the arrival span.

Per design: hit rate ``h`` from the window the scheduler sees (Fifo: 1; FR-FCFS: the per-bank share
of the smaller of the scheduler buffer and MaxActiveTransactions); service time
``S = max(data bus + turnarounds, busiest bank, ACT rate under tRRD/tFAW, command bus,
concurrency)`` — concurrency: each request holds a transaction slot and its queue head from its
first command to its column command, and Fifo serves queue heads only,
divided by the refresh availability (all-bank ``1 − tRFC/tREFI``, per-bank ``1 − tRFCb/tREFI``);
total time ``max(S, arrival span + one access)``; read latency (from arrival) = unloaded access time
+ M/D/1 queueing (or, saturated, the queue's own depth by Little's law plus half the overrun
``S − span`` spent waiting outside a full controller). Energy from the same command counts and
standby cycles as the cycle model (:mod:`.energy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulators.dram.addressing import Decoded
from simulators.dram.controller import Knobs
from simulators.dram.devices import Device
from simulators.dram.outcome import Outcome

WINDOWS = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256], dtype=np.int64)


@dataclass(frozen=True)
class TraceStats:
    n: int
    reads: int
    writes: int
    reuse_cdf: np.ndarray         # P(d ≤ W) for W = 0 … 256
    banks_in_window: np.ndarray   # mean distinct banks in windows of WINDOWS requests
    inv_gap: np.ndarray           # mean 1/(g + W − 1) for WINDOWS W; g = requests since the bank's last one
    busiest_share: float          # busiest (channel, bank)'s share of requests
    channel_share: float          # busiest channel's share of requests
    switch_rate: float            # read/write direction changes per request (arrival order)
    span: int                     # last arrival cycle
    banks_used: int


def trace_stats(dec: Decoded, is_write: np.ndarray, cycle: np.ndarray, device: Device) -> TraceStats:
    n = len(is_write)
    gbank = dec.channel * (device.ranks * device.banks) + dec.bank
    order = np.lexsort((np.arange(n), gbank))
    pos = np.empty(n, np.int64)
    sorted_bank = gbank[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_bank)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, n]))
    pos[order] = np.arange(n) - first  # bank-local position
    key = gbank * (1 << 32) + dec.row
    order2 = np.lexsort((np.arange(n), key))
    same = np.r_[False, key[order2][1:] == key[order2][:-1]]
    d = np.full(n, 1 << 20, np.int64)
    prev = pos[order2][:-1]
    d_sorted = np.where(same[1:], pos[order2][1:] - prev, 1 << 20)
    d[order2[1:]] = d_sorted
    cdf = np.searchsorted(np.sort(d), np.arange(257), side="right") / max(n, 1)
    distinct = []
    for m in WINDOWS:
        m = min(int(m), n)
        rows = gbank[: n // m * m].reshape(-1, m)
        s = np.sort(rows, axis=1)
        distinct.append(float(np.mean(1 + np.count_nonzero(np.diff(s, axis=1), axis=1))) if len(rows) else 1.0)
    counts = np.bincount(gbank)
    gap = np.full(n, np.inf)
    gap[order[1:]] = np.where(sorted_bank[1:] == sorted_bank[:-1], np.diff(order).astype(float), np.inf)
    inv_gap = np.array([np.mean(1.0 / (gap + (w - 1))) for w in WINDOWS])
    return TraceStats(n, int(n - is_write.sum()), int(is_write.sum()), cdf, np.asarray(distinct), inv_gap,
                      float(counts.max() / n), float(np.bincount(dec.channel).max() / n),
                      float(np.count_nonzero(np.diff(is_write.astype(np.int8))) / max(n, 1)),
                      int(cycle[-1]) if n else 0, int(np.count_nonzero(counts)))


def _interp_windows(values: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.interp(np.log2(np.maximum(w, 1.0)), np.log2(WINDOWS.astype(float)), values)


def evaluate(stats: TraceStats, device: Device, k: Knobs) -> Outcome:
    """The :class:`Outcome` of every design in ``k`` (all sharing one address mapping's stats)."""
    d, n = device, float(stats.n)
    fifo, grp = k.sched == 0, k.sched == 2
    buffered = np.where(k.buffer == 0, k.buf_size * d.banks * d.ranks * d.channels,
                        np.where(k.buffer == 1, 2 * k.buf_size, k.buf_size))
    window = np.minimum(buffered, k.max_active).astype(float)
    banks = _interp_windows(stats.banks_in_window, window)
    # the reorder window one bank sees: its share of the window, and at most its own queue (Bankwise)
    share = np.where(k.buffer == 0, np.minimum(k.buf_size, window / banks), window / banks)
    per_bank = np.where(fifo, 1.0, np.maximum(share, 1.0))
    per_bank_window = np.where(fifo, 1.0, window)
    # banks worked on at once: Bankwise queues admit any of MaxActiveTransactions requests; a Fifo
    # Shared (ReadWrite) buffer serves one (two) heads
    admitted = _interp_windows(stats.banks_in_window, np.where(k.buffer == 0, k.max_active + 0.0, window))
    parallel = np.where(fifo & (k.buffer == 2), 1.0, np.where(fifo & (k.buffer == 1), 2.0, admitted))
    w_idx = np.clip(np.floor(per_bank).astype(np.int64), 1, 256)
    hit = stats.reuse_cdf[w_idx]
    # ClosedAdaptive keeps a row open only while a later hit already waits in the buffer
    buffered_ahead = np.clip(np.floor(np.maximum(share, 1.0)).astype(np.int64) - 1, 0, 256)
    hit = np.where(k.page == 3, np.minimum(hit, stats.reuse_cdf[buffered_ahead]), hit)
    closed, open_adaptive = k.page == 2, k.page == 1
    hit = np.where(closed, 0.0, hit)
    miss = 1.0 - hit
    # explicit precharges: open page pays one per conflict; adaptive ones close early when a miss waits
    conflict = np.where(k.page == 0, 1.0, np.where(open_adaptive, 0.5, 0.0))
    miss_lat = d.tRCDRD + conflict * d.tRP
    acts = n * miss
    pres = acts * conflict
    # -- time ------------------------------------------------------------------------------------
    per_channel = n * stats.channel_share
    t_bus = per_channel * max(d.burst_cycles, d.tCCD_S)
    # read/write switches: FR-FCFS batches same-direction commands that are ready first (half the
    # window), FrFcfsGrp groups the whole window; each switch costs the turnaround beyond a burst
    grouping = np.where(fifo, 1.0, np.maximum(per_bank * np.where(grp, 1.0, 0.5), 1.0))
    switch_rate = stats.switch_rate / grouping
    wtr = (d.tWTR_L + (d.bankgroups - 1) * d.tWTR_S) / d.bankgroups  # same bank group with odds 1/groups
    turnaround = 0.5 * ((d.WL + d.burst_cycles + wtr) + (d.RL + d.burst_cycles + d.tRTRS - d.WL)) - d.burst_cycles
    t_turn = per_channel * switch_rate * turnaround
    # banks: the busiest bank over the trace, and back-to-back row cycles: a miss g requests after the
    # bank's previous one waits tRC/g request slots (the window widens g), at most tRC over the banks
    # the controller works on at once
    t_bank = np.maximum(n * stats.busiest_share * (miss * d.tRC + hit * max(d.burst_cycles, d.tCCD_L)),
                        n * miss * d.tRC * np.minimum(_interp_windows(stats.inv_gap, per_bank_window),
                                                      1.0 / parallel))
    t_act = acts * stats.channel_share / d.ranks * max(d.tRRD_S, d.tFAW / 4.0)
    unloaded = d.RL + d.burst_cycles + miss * miss_lat
    # concurrency: a request holds a transaction slot and its queue head from its first command to
    # its column command; Fifo serves only queue heads (one per bank, per direction or in total)
    hold = np.maximum(miss * miss_lat, switch_rate * turnaround) + max(d.burst_cycles, d.tCCD_L)
    heads = np.where(fifo, np.where(k.buffer == 0, banks, np.where(k.buffer == 1, 2.0, 1.0)), banks)
    t_conc = per_channel * hold / np.minimum.reduce([k.max_active + 0.0, buffered + 0.0, heads])
    row_cmds = miss * (1.0 + conflict)  # ACT (+ PRE) per request on the shared command bus
    t_cmd = per_channel * (1.0 + row_cmds) if not d.protocol.startswith("HBM") else per_channel * np.maximum(1.0, row_cmds)
    service = np.maximum.reduce([t_bus + t_turn, t_bank, t_act, t_conc, t_cmd])
    refresh_loss = np.select([k.refresh == 1, k.refresh == 2],
                             [d.tRFC / d.tREFI, d.tRFCb / d.tREFI / max(d.banks, 1)], 0.0)
    service = service / (1.0 - refresh_loss)
    total = np.maximum(service, stats.span + unloaded)
    # -- latency -----------------------------------------------------------------------------------
    rho = np.minimum(service / np.maximum(stats.span + unloaded, 1.0), 0.999)
    per_req = service / np.maximum(per_channel, 1.0)
    wait_md1 = rho / (2.0 * (1.0 - rho)) * per_req
    saturated = service >= stats.span
    occupancy = np.minimum(k.max_active, buffered + 0.0)
    wait = np.where(saturated, np.maximum(occupancy * per_req - unloaded, 0.0), wait_md1)
    # requests held back by a full controller wait outside it: on average half the overrun
    wait = wait + np.maximum(service - stats.span, 0.0) / 2.0 + refresh_loss * d.tRFC / 2.0
    arbiter = (k.arbiter > 0).astype(float)
    in_order = (k.resp == 1) | (k.arbiter == 2)
    latency = unloaded + wait + 2 * arbiter + np.where(in_order, 0.5 * miss * miss_lat, 0.0)
    p99 = d.RL + d.burst_cycles + miss_lat + wait * 4.6 + refresh_loss * d.tRFC
    # -- energy inputs -------------------------------------------------------------------------------
    refs = np.where(k.refresh == 1, np.floor(total / d.tREFI) * d.ranks * d.channels, 0.0)
    refbs = np.where(k.refresh == 2, np.floor(total / d.tREFI) * d.ranks * d.banks * d.channels, 0.0)
    rank_cycles = total * d.ranks * d.channels
    # open page leaves a row open from the first ACT on; closing policies hold it about tRAS per ACT
    busy = np.minimum(1.0, acts * d.tRAS / np.maximum(rank_cycles, 1.0))
    open_frac = np.select([k.page == 0, open_adaptive], [np.ones_like(busy), 0.5 * (1.0 + busy)], busy)
    reads, writes = float(stats.reads), float(stats.writes)
    return Outcome(cycles=total, reads=np.full_like(total, reads), writes=np.full_like(total, writes),
                   acts=acts, pres=pres, refs=refs, refbs=refbs, read_hits=hit * reads, write_hits=hit * writes,
                   active_cycles=rank_cycles * open_frac, idle_cycles=rank_cycles * (1 - open_frac),
                   avg_read_latency=latency, p99_read_latency=np.maximum(p99, latency))
