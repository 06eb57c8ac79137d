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

The row and tile walks are compiled by numba (``cache=True``): float operations in the order of
their Python definitions, so the compiled walks and their plain-Python ``py_func`` agree bit for bit
(``tests/test_fpga_cycle_batch.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from simulators.fpga.layers import StageTable
from simulators.fpga.model import Analysis, group_stages
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
    ints, row_elems = table.remember("pipeline_walk", lambda: _pipeline_shape(table))
    rows = ints[0]
    # the DRAM source: input image (and streamed weights), one "row" per row of stage 0's input
    src_rows = max(int(table.in_rows[0]), 1)
    src_t = float(model.offchip_bytes[k]) / bytes_per_cycle / src_rows
    row_words = row_elems / np.maximum(model.width[k].astype(np.float64), 1.0)
    return _pipeline(ints, model.cycles[k].astype(np.float64) / rows, row_words, model.fifo[k].astype(np.float64),
                     src_rows, src_t, images)


def _pipeline_shape(table: StageTable) -> tuple[np.ndarray, np.ndarray]:
    """The row walk's workload-only inputs: stage rows (at least 1), input rows, stride, kernel rows and
    padding (one row each), and output elements per row (memoised per table: read them, never write them)."""
    rows = np.maximum(table.out_rows.astype(np.int64), 1)
    ints = np.stack([rows, *(getattr(table, a).astype(np.int64) for a in ("in_rows", "S", "Kr", "pad"))])
    return ints, table.out_elems.astype(np.float64) / rows


@njit(cache=True)
def _pipeline(ints: np.ndarray, row_t: np.ndarray, row_words: np.ndarray, fifo: np.ndarray, src_rows: int,
              src_t: float, images: int) -> tuple[float, float]:   # pragma: no cover - compiled
    """The row-level pipeline walk (compiled): ``ints`` = stage rows, input rows, stride, kernel rows,
    padding (one row each); ``row_t`` cycles per output row; ``row_words`` FIFO words per row."""
    rows, in_rows, stride, kr, pad = ints[0], ints[1], ints[2], ints[3], ints[4]
    n = len(rows)
    prev_rows = np.empty(n, np.int64)
    off = np.zeros(n + 1, np.int64)      # stage i's rows: [off[i], off[i + 1]) of the per-row tables
    for i in range(n):                   # (plain loops throughout: numba compiles them quickly)
        prev_rows[i] = rows[i - 1] if i else src_rows
        off[i + 1] = off[i] + rows[i]
    need_tab = np.empty(off[n], np.int64)     # producer rows stage i needs for its output row r
    rel_tab = np.empty(off[n], np.int64)      # producer rows it no longer needs once it starts row r
    for i in range(n):
        per_in = max(in_rows[i], 1)
        for r in range(rows[i]):
            own = min(in_rows[i], r * stride[i] + kr[i] - pad[i])
            need_tab[off[i] + r] = max(1, math.ceil(max(own, 1) * prev_rows[i] / per_in))
            gone = max(0, r * stride[i] - pad[i])
            rel_tab[off[i] + r] = min(prev_rows[i], gone * prev_rows[i] // per_in)
    rel_global = np.empty(off[n] * images, np.int64)   # releases over all images, stage i at images·off[i]
    for i in range(n):
        for m in range(images):
            base = images * off[i] + m * rows[i]
            for r in range(rows[i]):
                rel_global[base + r] = m * prev_rows[i] + rel_tab[off[i] + r]
    # rows producer i may hold ahead of its consumer's releases: FIFO words plus the line buffer
    allowed = np.full(n, 10**9, np.int64)
    for i in range(n - 1):
        fifo_rows = int(fifo[i] // max(row_words[i], 1.0))
        most, least = need_tab[off[i + 1]], rel_tab[off[i + 1]]
        for r in range(off[i + 1], off[i + 2]):
            most, least = max(most, need_tab[r]), min(least, rel_tab[r])
        allowed[i] = most - least + 1 + fifo_rows
    n_src = src_rows * images
    start = np.empty(off[n] * images)
    done = np.empty(off[n] * images)
    count = np.zeros(n, np.int64)
    progress = True
    while progress:
        progress = False
        for i in range(n):
            base = images * off[i]
            while count[i] < rows[i] * images:
                g = count[i]
                img, r = g // rows[i], g % rows[i]
                t = done[base + g - 1] if g else 0.0
                dep = img * prev_rows[i] + need_tab[off[i] + r] - 1
                if i == 0:
                    t = max(t, (min(dep, n_src - 1) + 1) * src_t)
                elif dep < count[i - 1]:
                    t = max(t, done[images * off[i - 1] + dep])
                else:
                    break
                over = g + 1 - allowed[i]
                if over > 0 and i + 1 < n:
                    c = i + 1
                    cb, cn = images * off[c], rows[c] * images
                    h = _first_at_least(rel_global, cb, cb + cn, over) - cb
                    e = math.ceil(over / rows[i]) * rows[c] - 1
                    if h <= e and h < cn:
                        if h >= count[c]:
                            break
                        t = max(t, start[cb + h])
                    else:
                        if e >= count[c]:
                            break
                        t = max(t, done[cb + e])
                start[base + g] = t
                done[base + g] = t + row_t[i]
                count[i] += 1
                progress = True
    last = images * off[n - 1]
    first_end = done[last + rows[n - 1] - 1]
    if images == 1:
        return first_end, first_end
    return first_end, done[last + images * rows[n - 1] - 1] - done[last + (images - 1) * rows[n - 1] - 1]


@njit(cache=True)
def _first_at_least(a: np.ndarray, lo: int, hi: int, x: int) -> int:   # pragma: no cover - compiled
    """First index in ``[lo, hi)`` of sorted ``a`` whose value is ≥ ``x`` (``hi`` if none): a left bisection."""
    while lo < hi:
        mid = (lo + hi) // 2
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


def simulate_engine(table: StageTable, engine: TiledModel, k: int, tm: float, tn: float, word_bytes: float,
                    bytes_per_cycle: float, stages: np.ndarray | None = None) -> float:
    """Cycles of design ``k`` running ``stages`` (default: all) layer after layer on the tiled engine
    (``tm × tn`` MAC lanes, ``word_bytes`` bytes per element, DRAM ``bytes_per_cycle`` bytes per cycle),
    starting with empty buffers at cycle 0."""
    idx = np.arange(table.n) if stages is None else np.asarray(stages, dtype=np.int64)
    dims = table.remember("engine_walk", lambda: np.stack([getattr(table, a).astype(np.float64)
                                                           for a in ("M", "N", "Kr", "Ks", "R", "C", "S", "rep")]))
    return _engine(idx, table.is_mac, dims, engine.cycles[k].astype(np.float64), engine.tr[k].astype(np.float64),
                   engine.tc[k].astype(np.float64), float(tm), float(tn), float(word_bytes), float(bytes_per_cycle))


@njit(cache=True)
def _engine(idx: np.ndarray, is_mac: np.ndarray, dims: np.ndarray, cycles: np.ndarray, tr: np.ndarray,
            tc: np.ndarray, tm: float, tn: float, B: float, bpc: float) -> float:   # pragma: no cover - compiled
    """The stages ``idx`` one after another (compiled); ``dims`` = M, N, Kr, Ks, R, C, S, rep rows."""
    t = 0.0
    for i in idx:
        if not is_mac[i]:
            t += cycles[i]
            continue
        M, N, Kr, Ks, R, C, S, rep = dims[0, i], dims[1, i], dims[2, i], dims[3, i], dims[4, i], dims[5, i], \
            dims[6, i], dims[7, i]
        nM, nN, nR, nC = math.ceil(M / tm), math.ceil(N / tn), math.ceil(R / tr[i]), math.ceil(C / tc[i])
        in_tile = (S * tr[i] + Kr - S) * (S * tc[i] + Ks - S)
        groups = int(rep) * nM * nR * nC                 # output tiles
        merge = max(1, math.ceil(groups * nN / MAX_TILES_PER_LAYER))
        steps = math.ceil(nN / merge)                    # load/compute steps per output tile
        n_per = nN / steps                               # N-tiles per step (average)
        # average tile sizes so that the totals equal the analytical traffic and compute exactly
        load_w = (M / nM) * (N / nN) * Kr * Ks * n_per * B / bpc
        load_in = (N / nN) * in_tile * n_per * B / bpc
        store = (M / nM) * (R * C / (nR * nC)) * B / bpc
        t = _tiles(groups, steps, load_in + load_w, tr[i] * tc[i] * Kr * Ks * n_per, store, t)
    return t


@njit(cache=True)
def _tiles(groups: int, steps: int, load: float, comp: float, store: float,
           t0: float) -> float:   # pragma: no cover - compiled
    """One layer's tiles from ``t0``: one DMA engine serves loads (double-buffered inputs) and stores
    (double-buffered outputs) in order of readiness; the MAC array computes a tile once its operands
    are loaded and its output buffer is free. Returns when the last store and compute are done."""
    dma = t0
    prev2, prev1 = t0, t0            # compute-done times of the two previous steps (t0 before any)
    n_done = 0                       # steps computed
    store_done = np.empty(groups)    # store-done time of each output tile
    pending = np.empty(groups)       # compute-done times of output tiles awaiting their store (a queue)
    head = tail = stored = 0
    for gidx in range(groups):
        for s in range(steps):
            # a load needs the DMA and a free input buffer (the tile two back has been computed)
            free = prev2 if n_done >= 2 else t0
            while head < tail and pending[head] <= max(dma, free):
                dma = max(dma, pending[head]) + store
                head += 1
                store_done[stored] = dma
                stored += 1
            ld = max(dma, free) + load
            dma = ld
            ready = max(ld, prev1 if n_done else t0)
            if s == 0 and gidx >= 2:                 # output buffer of tile gidx-2 must be stored
                while stored < gidx - 1:
                    dma = max(dma, pending[head]) + store
                    head += 1
                    store_done[stored] = dma
                    stored += 1
                ready = max(ready, store_done[gidx - 2])
            prev2, prev1 = prev1, ready + comp
            n_done += 1
        pending[tail] = prev1
        tail += 1
    while head < tail:
        dma = max(dma, pending[head]) + store
        head += 1
    return max(dma, prev1)


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


def simulate_hybrid(table: StageTable, an: Analysis, ks: np.ndarray, groups: int,
                    tm: np.ndarray, tn: np.ndarray) -> list[HybridTrace]:
    """Designs ``ks`` of ``an`` (an :func:`~simulators.fpga.model.analyze` result) as hybrids of ``groups``
    layer groups each, on ``tm × tn`` engines (one entry of each per design of ``ks``). Devices and
    precisions, DRAM bandwidth, group modes, reconfiguration cycles and each group's dataflow pipeline
    (built by the analysis for all its designs of ``groups`` groups) come from ``an``."""
    bpc = an.extra["bpc"][ks]
    word_bytes = an.fabric.bits[ks] / 8.0
    rows, models = an.extra["dataflow"]
    pos = np.searchsorted(rows, ks)                   # each design's row in the groups' dataflow pipelines
    traces: list[list[GroupTrace]] = [[] for _ in ks]
    for g, idx in group_stages(table, groups):
        dataflow = an.group_mode[ks, g]
        sub, df = models[(groups, g)]
        for j, k in enumerate(ks.tolist()):
            if dataflow[j]:
                cyc, _ = simulate_pipeline(sub, df, int(pos[j]), float(bpc[j]), images=1)
                dram = float(df.offchip_bytes[pos[j]])
            else:
                cyc = simulate_engine(table, an.engine, k, float(tm[j]), float(tn[j]), float(word_bytes[j]),
                                      float(bpc[j]), stages=idx)
                dram = float(an.engine.dram_bytes[k, idx].sum())
            traces[j].append(GroupTrace(g, "dataflow" if dataflow[j] else "sequential", table.names[idx[0]],
                                        table.names[idx[-1]], float(cyc), dram))
    return [HybridTrace(tuple(t), float(an.extra["reconfig_cycles"][k])) for t, k in zip(traces, ks.tolist())]
