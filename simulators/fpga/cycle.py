"""Cycle-level FPGA models at stream-row and tile granularity.

:func:`simulate_pipeline` — the streaming pipeline row by row over several inferences: a stage
starts an output row when it is idle, when its producer has delivered the rows its sliding
window needs, and when its output FIFO (``fifo_depth`` words plus the consumer's line buffer)
has room — back-pressure. Off-chip traffic (input images, streamed weights) is a source stage
paced by the DRAM bandwidth. Returns the first inference's latency and the steady-state
initiation interval.

:func:`simulate_engine` — the tiled engine tile by tile: one DMA engine serves loads (input +
weight tile, double-buffered) and stores (output tile, double-buffered) in order of readiness;
the MAC array computes a tile once its operands are loaded and its output buffer is free.
Cost grows with rows and tiles, not with MACs.

:func:`simulate_hybrid` — an InTAR hybrid as its groups one after another: a *dataflow* group is
simulated by :func:`simulate_pipeline` on the group's own pipeline (folded for the engine's lanes,
weights and the group's input/output activations through DRAM), a *sequential* group by
:func:`simulate_engine` on the group's layers, plus the analytical model's reconfiguration time
between groups. Modes are the ones the analytical model chose (or the ``sched_*`` knobs set).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulators.fpga.devices import FPGADevice
from simulators.fpga.layers import StageTable
from simulators.fpga.model import Analysis, dataflow_group, group_stages
from simulators.fpga.precision import Precision
from simulators.fpga.streaming import StreamingModel
from simulators.fpga.tiled import TiledModel

IMAGES = 4                 # inferences simulated for the steady state
MAX_TILES_PER_LAYER = 20_000  # beyond this, consecutive N-tiles are merged (same totals, coarser overlap)


def simulate_pipeline(table: StageTable, model: StreamingModel, k: int, bytes_per_cycle: float,
                      images: int = IMAGES) -> tuple[float, float]:
    """(latency, initiation interval) in cycles of design ``k`` of ``model`` (FIFO depths from it),
    ``bytes_per_cycle`` the sustained DRAM bandwidth in bytes per clock cycle. With ``images=1`` the
    interval is the latency (no steady state to measure); the first image's timing does not depend
    on ``images`` (rows are issued in order)."""
    n = table.n
    rows = [max(int(r), 1) for r in table.out_rows]
    row_t = [float(model.cycles[k, i]) / rows[i] for i in range(n)]
    # the DRAM source: input image (and streamed weights), one "row" per row of stage 0's input
    src_rows = max(int(table.in_rows[0]), 1)
    src_t = float(model.offchip_bytes[k]) / bytes_per_cycle / src_rows
    prev_rows = [src_rows] + rows[:-1]

    def need(i: int, r: int) -> int:      # producer rows stage i needs for its output row r
        own = min(int(table.in_rows[i]), r * int(table.S[i]) + int(table.Kr[i]) - int(table.pad[i]))
        return max(1, math.ceil(max(own, 1) * prev_rows[i] / max(int(table.in_rows[i]), 1)))

    def release(i: int, r: int) -> int:   # producer rows stage i no longer needs once it starts row r
        gone = max(0, r * int(table.S[i]) - int(table.pad[i]))
        return min(prev_rows[i], gone * prev_rows[i] // max(int(table.in_rows[i]), 1))

    need_tab = [np.array([need(i, r) for r in range(rows[i])]) for i in range(n)]
    rel_tab = [np.array([release(i, r) for r in range(rows[i])]) for i in range(n)]
    rel_global = [np.concatenate([m * prev_rows[i] + rel_tab[i] for m in range(images)]) for i in range(n)]
    # rows producer i may hold ahead of its consumer's releases: FIFO words plus the line buffer
    allowed = []
    for i in range(n):
        if i + 1 < n:
            row_words = float(table.out_elems[i]) / rows[i] / max(float(model.width[k, i]), 1.0)
            fifo_rows = int(float(model.fifo[k, i]) // max(row_words, 1.0))
            allowed.append(int(need_tab[i + 1].max() - rel_tab[i + 1].min()) + 1 + fifo_rows)
        else:
            allowed.append(10**9)

    src_done = [(g + 1) * src_t for g in range(src_rows * images)]
    start: list[list[float]] = [[] for _ in range(n)]
    done: list[list[float]] = [[] for _ in range(n)]
    total = [rows[i] * images for i in range(n)]
    progress = True
    while progress:
        progress = False
        for i in range(n):
            while len(done[i]) < total[i]:
                g = len(done[i])
                img, r = divmod(g, rows[i])
                t = done[i][-1] if done[i] else 0.0
                dep = img * prev_rows[i] + int(need_tab[i][r]) - 1
                if i == 0:
                    t = max(t, src_done[min(dep, len(src_done) - 1)])
                elif dep < len(done[i - 1]):
                    t = max(t, done[i - 1][dep])
                else:
                    break
                over = g + 1 - allowed[i]
                if over > 0 and i + 1 < n:
                    c = i + 1
                    h = int(np.searchsorted(rel_global[c], over, side="left"))
                    m_end = math.ceil(over / rows[i]) - 1
                    e = (m_end + 1) * rows[c] - 1
                    if h <= e and h < len(rel_global[c]):
                        if h >= len(start[c]):
                            break
                        t = max(t, start[c][h])
                    else:
                        if e >= len(done[c]):
                            break
                        t = max(t, done[c][e])
                start[i].append(t)
                done[i].append(t + row_t[i])
                progress = True
    last = done[n - 1]
    ends = [last[(m + 1) * rows[n - 1] - 1] for m in range(images)]
    return ends[0], (ends[-1] - ends[-2]) if images > 1 else ends[0]


def simulate_engine(table: StageTable, engine: TiledModel, k: int, tm: float, tn: float, word_bytes: float,
                    bytes_per_cycle: float, stages: np.ndarray | None = None) -> float:
    """Cycles of design ``k`` running ``stages`` (default: all) layer after layer on the tiled engine
    (``tm × tn`` MAC lanes, ``word_bytes`` bytes per element, DRAM ``bytes_per_cycle`` bytes per cycle),
    starting with empty buffers at cycle 0."""
    idx = np.arange(table.n) if stages is None else stages
    t = 0.0
    for i in idx:
        if not table.is_mac[i]:
            t += float(engine.cycles[k, i])
            continue
        t = _layer(table, engine, k, int(i), tm, tn, word_bytes, bytes_per_cycle, t)
    return t


def _layer(table: StageTable, engine: TiledModel, k: int, i: int, tm: float, tn: float, B: float, bpc: float,
           t0: float) -> float:
    M, N, Kr, Ks, R, C, S, rep = (float(getattr(table, a)[i]) for a in ("M", "N", "Kr", "Ks", "R", "C", "S", "rep"))
    tr, tc = float(engine.tr[k, i]), float(engine.tc[k, i])
    nM, nN, nR, nC = math.ceil(M / tm), math.ceil(N / tn), math.ceil(R / tr), math.ceil(C / tc)
    in_tile = (S * tr + Kr - S) * (S * tc + Ks - S)
    groups = int(rep) * nM * nR * nC                 # output tiles
    merge = max(1, math.ceil(groups * nN / MAX_TILES_PER_LAYER))
    steps = math.ceil(nN / merge)                    # load/compute steps per output tile
    n_per = nN / steps                               # N-tiles per step (average)
    # average tile sizes so that the totals equal the analytical traffic and compute exactly
    load_w = (M / nM) * (N / nN) * Kr * Ks * n_per * B / bpc
    load_in = (N / nN) * in_tile * n_per * B / bpc
    load = load_in + load_w
    comp = tr * tc * Kr * Ks * n_per
    store = (M / nM) * (R * C / (nR * nC)) * B / bpc
    dma = t0
    comp_done: list[float] = []
    store_done: list[float] = []
    pending_store: list[float] = []      # compute-done times of output tiles awaiting their store
    for gidx in range(groups):
        for s in range(steps):
            j = gidx * steps + s
            # a load needs the DMA and a free input buffer (the tile two back has been computed)
            free = comp_done[j - 2] if j >= 2 else t0
            while pending_store and pending_store[0] <= max(dma, free):
                dma = max(dma, pending_store.pop(0)) + store
                store_done.append(dma)
            ld = max(dma, free) + load
            dma = ld
            ready = max(ld, comp_done[-1] if comp_done else t0)
            if s == 0 and gidx >= 2:                 # output buffer of tile gidx-2 must be stored
                while len(store_done) < gidx - 1:
                    dma = max(dma, pending_store.pop(0)) + store
                    store_done.append(dma)
                ready = max(ready, store_done[gidx - 2])
            comp_done.append(ready + comp)
        pending_store.append(comp_done[-1])
    while pending_store:
        dma = max(dma, pending_store.pop(0)) + store
        store_done.append(dma)
    return max(dma, comp_done[-1])


@dataclass(frozen=True)
class GroupTrace:
    """One hybrid group of one inference at cycle level."""

    group: int             # index of the group (``sched_<group>``)
    mode: str              # "dataflow" or "sequential"
    first: str             # name of its first stage
    last: str              # name of its last stage
    cycles: float          # clock cycles from its first input to its last output
    dram_bytes: float      # off-chip bytes it moves (weights, tiles, activations in and out)


@dataclass(frozen=True)
class HybridTrace:
    """A hybrid design's inference at cycle level: groups in order, then the switch time."""

    groups: tuple[GroupTrace, ...]
    reconfig_cycles: float  # all reconfigurations of one inference, clock cycles

    @property
    def cycles(self) -> float:
        """Latency of one inference in clock cycles (= the initiation interval: groups time-share
        the fabric, so the next inference starts after the last group)."""
        return sum(g.cycles for g in self.groups) + self.reconfig_cycles

    @property
    def dram_bytes(self) -> float:
        """Off-chip bytes per inference."""
        return sum(g.dram_bytes for g in self.groups)


def simulate_hybrid(table: StageTable, dev: FPGADevice, prec: Precision, an: Analysis, k: int, groups: int,
                    tm: float, tn: float, fifo_depth: float) -> HybridTrace:
    """Design ``k`` of ``an`` (an :func:`~simulators.fpga.model.analyze` result) as a hybrid of ``groups``
    layer groups on a ``tm × tn`` engine, ``fifo_depth`` words per dataflow FIFO (0: auto). DRAM
    bandwidth, group modes and reconfiguration cycles come from ``an``."""
    bpc = float(an.extra["bpc"][k])
    traces = []
    for g, idx in group_stages(table, groups):
        if bool(an.group_mode[k, g]):
            sub, df = dataflow_group(table, idx, dev, prec, np.array([tm * tn]), np.array([float(fifo_depth)]))
            cyc, _ = simulate_pipeline(sub, df, 0, bpc, images=1)
            dram = float(df.offchip_bytes[0])
        else:
            cyc = simulate_engine(table, an.engine, k, tm, tn, prec.bits / 8.0, bpc, stages=idx)
            dram = float(an.engine.dram_bytes[k, idx].sum())
        traces.append(GroupTrace(g, "dataflow" if an.group_mode[k, g] else "sequential", table.names[idx[0]],
                                 table.names[idx[-1]], float(cyc), dram))
    return HybridTrace(tuple(traces), float(an.extra["reconfig_cycles"][k]))
