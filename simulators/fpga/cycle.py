"""Cycle-level FPGA models at stream-row and tile granularity (compiled by numba, ``cache=True``).

:func:`_pipeline` — the streaming pipeline row by row over several inferences: a stage
starts an output row when it is idle, when its producer has delivered the rows its sliding
window needs, and when its output FIFO (``fifo_depth`` words plus the consumer's line buffer)
has room — back-pressure. Off-chip traffic (input images, streamed weights) is a source stage
paced by the DRAM bandwidth. Returns the first inference's latency and the steady-state
initiation interval.

:func:`_engine` — the tiled engine tile by tile: one DMA engine serves loads (input +
weight tile, double-buffered) and stores (output tile, double-buffered) in order of readiness;
the MAC array computes a tile once its operands are loaded and its output buffer is free.
Cost grows with rows and tiles, not with MACs; a long run of a tile's load/compute steps with no
store waiting is advanced in closed form (:func:`_repeat_add`, exact).

An InTAR hybrid runs its groups one after another: a *dataflow* group is a pipeline walk of the
group's own pipeline (folded for the engine's lanes, weights and the group's input/output
activations through DRAM), a *sequential* group an engine walk of the group's layers, plus the
analytical model's reconfiguration time between groups.

:func:`walks` runs every walk of a batch in one compiled call (a pipeline shape's row tables built once). Float
operations are in the order of the Python definitions, so the compiled walks and their plain-Python
``py_func`` agree bit for bit (``tests/test_fpga_cycle_batch.py``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulators.common.kernel_math import maximum, pairwise_sum
from simulators.fpga.layers import StageTable

IMAGES = 4                 # inferences simulated for the steady state
MAX_TILES_PER_LAYER = 20_000  # beyond this, consecutive N-tiles are merged (same totals, coarser overlap)
JUMP_STEPS = 4             # a run of at least this many steady load/compute steps is advanced in closed form
GROUP_JUMPS = True         # output tiles whose start states repeat shifted are advanced in closed form
_TWO53 = 2**53             # float64's significand range: a binade holds 2**52 multiples of its ulp
_NORMAL = 2.0**-900        # closed-form adds only for x above this and x, c below _HUGE (no subnormal ulps,
_HUGE = 2.0**900           # no overflow); elsewhere plain additions


def pipeline_shape(table: StageTable) -> tuple[np.ndarray, np.ndarray]:
    """The row walk's workload-only inputs: stage rows (at least 1), input rows, stride, kernel rows and
    padding (one row each), and output elements per row (memoised per table: read them, never write them).
    A hybrid group's pipeline is the columns ``lo:hi`` of these (its sub-table's own rows)."""
    def build() -> tuple[np.ndarray, np.ndarray]:
        rows = np.maximum(table.out_rows.astype(np.int64), 1)
        ints = np.stack([rows, *(getattr(table, a).astype(np.int64) for a in ("in_rows", "S", "Kr", "pad"))])
        return ints, table.out_elems.astype(np.float64) / rows

    return table.remember("pipeline_walk", build)


def engine_dims(table: StageTable) -> np.ndarray:
    """The tile walk's workload-only inputs: M, N, Kr, Ks, R, C, S, rep rows as floats (memoised per table)."""
    return table.remember("engine_walk", lambda: np.stack([getattr(table, a).astype(np.float64)
                                                           for a in ("M", "N", "Kr", "Ks", "R", "C", "S", "rep")]))


@njit(cache=True)
def walks(style: np.ndarray, ints: np.ndarray, row_elems: np.ndarray, is_mac: np.ndarray, dims: np.ndarray,
          s_cycles: np.ndarray, s_width: np.ndarray, s_fifo: np.ndarray, s_bytes: np.ndarray,
          e_cycles: np.ndarray, e_tr: np.ndarray, e_tc: np.ndarray, e_bytes: np.ndarray, tm: np.ndarray,
          tn: np.ndarray, word_bytes: np.ndarray, bpc: np.ndarray, h_k: np.ndarray, h_count: np.ndarray,
          bounds: np.ndarray, mode: np.ndarray, d_cycles: np.ndarray, d_width: np.ndarray, d_fifo: np.ndarray,
          d_bytes: np.ndarray, reconfig: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:   # pragma: no cover - compiled
    """Every walk of a batch of ``D`` designs: (latency, interval, DRAM bytes) per design and (cycles, DRAM
    bytes) per design and hybrid group ``(D, G)``.

    ``style``: 0 streaming, 1 tiled, 2 hybrid; ``ints``, ``row_elems``: :func:`pipeline_shape`; ``is_mac``,
    ``dims``: :func:`engine_dims`. Streaming: the streaming designs' pipeline model, a row per streaming design
    in batch order: ``(S, n)`` stage cycles, stream widths, FIFO depths and ``(S,)`` DRAM bytes. Engine: ``(D, n)`` stage cycles, row
    and column tiles, DRAM bytes; ``(D,)`` ``tm``, ``tn``, bytes per word; ``bpc`` DRAM bytes per cycle.
    Hybrids: design ``h_k[h]``, its group count's index ``h_count[h]`` into ``bounds`` ``(C, G, 2)`` (each
    group's stages ``lo:hi``, -1 when empty), ``mode`` ``(D, G)`` dataflow or not, its row ``h`` of the
    groups' dataflow pipelines ``d_*`` ``(H, n)`` and their DRAM bytes ``(H, G)``; ``reconfig`` ``(D,)``
    cycles of all reconfigurations. A hybrid's time is the sum of its groups' in order plus ``reconfig``."""
    d, n, g_max = style.size, ints.shape[1], mode.shape[1]
    lat, ii, dram = np.empty(d), np.empty(d), np.empty(d)
    g_cyc, g_bytes = np.zeros((d, g_max)), np.zeros((d, g_max))
    if s_cycles.shape[0]:
        src_rows = max(ints[1, 0], 1)
        tabs = _pipeline_tables(ints, src_rows, IMAGES)
        s = 0                                # the streaming designs' rows, in batch order
        for k in range(d):
            if style[k] == 0:
                row_t, row_words = _row_inputs(s_cycles[s], s_width[s], ints[0], row_elems, 0, n)
                lat[k], ii[k] = _pipeline(tabs, row_t, row_words, s_fifo[s], src_rows, s_bytes[s] / bpc[k] / src_rows,
                                          IMAGES)
                dram[k] = s_bytes[s]
                s += 1
    for k in range(d):
        if style[k] == 1:
            lat[k] = ii[k] = _engine(0, n, is_mac, dims, e_cycles[k], e_tr[k], e_tc[k], tm[k], tn[k], word_bytes[k],
                                     bpc[k])
            dram[k] = pairwise_sum(e_bytes[k], 0, n)
    for c in range(bounds.shape[0]):
        for g in range(g_max):
            a, b = bounds[c, g, 0], bounds[c, g, 1]
            if a < 0:
                continue
            flow = 0                         # the group's dataflow designs share its row tables
            for h in range(h_k.size):
                if h_count[h] == c and mode[h_k[h], g]:
                    flow += 1
            if flow:
                src_rows = max(ints[1, a], 1)
                tabs = _pipeline_tables(ints[:, a:b], src_rows, 1)
                for h in range(h_k.size):
                    k = h_k[h]
                    if h_count[h] == c and mode[k, g]:
                        row_t, row_words = _row_inputs(d_cycles[h], d_width[h], ints[0], row_elems, a, b)
                        g_cyc[k, g] = _pipeline(tabs, row_t, row_words, d_fifo[h, a:b], src_rows,
                                                d_bytes[h, g] / bpc[k] / src_rows, 1)[0]
                        g_bytes[k, g] = d_bytes[h, g]
            for h in range(h_k.size):
                k = h_k[h]
                if h_count[h] == c and not mode[k, g]:
                    g_cyc[k, g] = _engine(a, b, is_mac, dims, e_cycles[k], e_tr[k], e_tc[k], tm[k], tn[k],
                                          word_bytes[k], bpc[k])
                    g_bytes[k, g] = pairwise_sum(e_bytes[k], a, b - a)
    for h in range(h_k.size):
        k, c = h_k[h], h_count[h]
        t, nbytes = 0.0, 0.0
        for g in range(g_max):
            if bounds[c, g, 0] >= 0:
                t += g_cyc[k, g]
                nbytes += g_bytes[k, g]
        lat[k] = ii[k] = t + reconfig[k]
        dram[k] = nbytes
    return lat, ii, dram, g_cyc, g_bytes


@njit(cache=True)
def _row_inputs(cycles: np.ndarray, width: np.ndarray, rows: np.ndarray, row_elems: np.ndarray, lo: int, hi: int
                ) -> tuple[np.ndarray, np.ndarray]:   # pragma: no cover - compiled
    """Stages ``lo:hi``'s cycles per output row, ``cycles / rows``, and FIFO words per row,
    ``row_elems / np.maximum(width, 1.0)`` (plain loops: numba compiles them faster than array expressions)."""
    row_t, row_words = np.empty(hi - lo), np.empty(hi - lo)
    for i in range(lo, hi):
        row_t[i - lo] = cycles[i] / rows[i]
        row_words[i - lo] = row_elems[i] / maximum(width[i], 1.0)
    return row_t, row_words


@njit(cache=True)
def _pipeline_tables(ints: np.ndarray, src_rows: int, images: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """The row walk's workload-only tables (compiled): ``ints`` = stage rows, input rows, stride, kernel rows,
    padding (one row each). Returns stage rows, producer rows, each stage's offset in the per-row tables, the
    producer rows stage i needs for its output row r, those it no longer needs once it starts a row (over all
    ``images``: a sorted run per stage), and each producer's line-buffer rows (its consumer's most needed less
    least released, plus one)."""
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
    # releases over all images, stage i at images·off[i]: sorted per stage (rel_tab grows with r, as `gone` does,
    # and stays within [0, prev_rows], so image m's run ends at or below image m + 1's start)
    rel_global = np.empty(off[n] * images, np.int64)
    for i in range(n):
        for m in range(images):
            base = images * off[i] + m * rows[i]
            for r in range(rows[i]):
                rel_global[base + r] = m * prev_rows[i] + rel_tab[off[i] + r]
    span = np.zeros(n, np.int64)
    for i in range(n - 1):
        most, least = need_tab[off[i + 1]], rel_tab[off[i + 1]]
        for r in range(off[i + 1], off[i + 2]):
            most, least = max(most, need_tab[r]), min(least, rel_tab[r])
        span[i] = most - least + 1
    return rows, prev_rows, off, need_tab, rel_global, span


@njit(cache=True)
def _pipeline(tabs: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
              row_t: np.ndarray, row_words: np.ndarray, fifo: np.ndarray, src_rows: int, src_t: float,
              images: int) -> tuple[float, float]:   # pragma: no cover - compiled
    """The row-level pipeline walk (compiled) on :func:`_pipeline_tables`' ``tabs``; ``row_t`` cycles per
    output row; ``row_words`` FIFO words per row; ``fifo`` FIFO depths in words."""
    rows, prev_rows, off, need_tab, rel_global, span = tabs
    n = len(rows)
    # rows producer i may hold ahead of its consumer's releases: FIFO words plus the line buffer
    allowed = np.full(n, 10**9, np.int64)
    for i in range(n - 1):
        allowed[i] = span[i] + int(fifo[i] // max(row_words[i], 1.0))
    n_src = src_rows * images
    start = np.empty(off[n] * images)
    done = np.empty(off[n] * images)
    count = np.zeros(n, np.int64)
    img_of = np.zeros(n, np.int64)       # image and row of each stage's next row (count = img·rows + row)
    row_of = np.zeros(n, np.int64)
    first_at = np.empty(n, np.int64)     # first of the consumer's releases not below the last "over" (sorted)
    for i in range(n - 1):
        first_at[i] = images * off[i + 1]
    progress = True
    while progress:
        progress = False
        for i in range(n):
            # stage i's state and constants as locals while it runs (only stage i's counters change here)
            g, total = count[i], rows[i] * images
            if g == total:
                continue
            img, r, at = img_of[i], row_of[i], first_at[i]
            base, own_rows, back, need_at, allow, step = images * off[i], rows[i], prev_rows[i], off[i], \
                allowed[i], row_t[i]
            prod_done, prod_count = (images * off[i - 1], count[i - 1]) if i else (0, 0)
            c = i + 1                            # the consumer (none after the last stage)
            cb, cn, c_rows, c_count = (images * off[c], rows[c] * images, rows[c], count[c]) if c < n else (0, 0, 1, 0)
            t_last = done[base + g - 1] if g else 0.0
            # ceil(over / own_rows) below, over = g + 1 - allow > 0, g = img·own_rows + r: img − q + (r ≥ m) with
            # allow = q·own_rows + m (integers; the quotient the float division rounds exactly below 2^53)
            q, m = allow // own_rows, allow % own_rows
            first = g
            while g < total:
                t = t_last
                dep = img * back + need_tab[need_at + r] - 1
                if i == 0:
                    t = max(t, (min(dep, n_src - 1) + 1) * src_t)
                elif dep < prod_count:
                    t = max(t, done[prod_done + dep])
                else:
                    break
                over = g + 1 - allow
                if over > 0 and c < n:
                    while at < cb + cn and rel_global[at] < over:   # "over" only grows with g: resume the search
                        at += 1
                    h = at - cb
                    e = (img - q + (r >= m)) * c_rows - 1
                    if h <= e and h < cn:
                        if h >= c_count:
                            break
                        t = max(t, start[cb + h])
                    else:
                        if e >= c_count:
                            break
                        t = max(t, done[cb + e])
                start[base + g] = t
                t_last = t + step
                done[base + g] = t_last
                g += 1
                r += 1
                if r == own_rows:
                    r = 0
                    img += 1
            if g > first:
                progress = True
            count[i], img_of[i], row_of[i], first_at[i] = g, img, r, at
    last = images * off[n - 1]
    first_end = done[last + rows[n - 1] - 1]
    if images == 1:
        return first_end, first_end
    return first_end, done[last + images * rows[n - 1] - 1] - done[last + (images - 1) * rows[n - 1] - 1]


@njit(cache=True)
def _engine(lo: int, hi: int, is_mac: np.ndarray, dims: np.ndarray, cycles: np.ndarray, tr: np.ndarray,
            tc: np.ndarray, tm: float, tn: float, B: float, bpc: float) -> float:   # pragma: no cover - compiled
    """The stages ``lo:hi`` one after another (compiled); ``dims`` = M, N, Kr, Ks, R, C, S, rep rows."""
    t = 0.0
    for i in range(lo, hi):
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
    are loaded and its output buffer is free. Returns when the last store and compute are done.

    With no store waiting, step ``k`` of an output tile is ``x_k = max(x_{k-1}, y_{k-2}) + load`` (load
    done), ``y_k = max(x_k, y_{k-1}) + comp`` (compute done). Once ``x_k ≥ y_{k-1}`` and
    ``y_k = x_k + comp`` with ``load ≥ comp``, every later step takes the same branch (float addition is
    monotone): ``x`` is repeated additions of ``load`` and ``y = x + comp``; once ``y_{k-1} ≥ x_k`` and
    ``y_k = y_{k-1} + comp`` with ``comp ≥ load``, ``y`` is repeated additions of ``comp`` and
    ``x = y_{k-2} + load``. Such runs are advanced by :func:`_repeat_add`, which gives the same floats;
    output tiles that repeat their predecessor shifted in time are skipped by :func:`_repeating`."""
    dma = t0
    prev2, prev1 = t0, t0            # compute-done times of the two previous steps (t0 before any)
    store_done = np.empty(groups)    # store-done time of each output tile
    pending = np.empty(groups)       # compute-done times of output tiles awaiting their store (a queue)
    head = tail = stored = 0
    steady = load >= 0.0 and comp >= 0.0
    snaps = np.empty((2, 3 + 2 * groups)) if GROUP_JUMPS and groups > 4 else np.empty((2, 0))
    last_q = last_s = last_g = -1
    gidx = 0
    while gidx < groups:
        if snaps.shape[1] and gidx >= 3:
            # the start state of this output tile: DMA, the last two computes, queued stores, stores done from
            # tile gidx-2 on; once it is the previous tile's shifted by one delta, the tiles repeat (below)
            cur, old = snaps[gidx % 2], snaps[1 - gidx % 2]
            n_q, n_s = tail - head, stored - (gidx - 2)
            cur[0], cur[1], cur[2] = dma, prev1, prev2
            for q in range(n_q):
                cur[3 + q] = pending[head + q]
            size = 3 + n_q + max(n_s, 0)
            for q in range(3 + n_q, size):
                cur[q] = store_done[gidx - 2 + q - 3 - n_q]
            if n_q == last_q and n_s == last_s and last_g == gidx - 1:
                j, shift = _repeating(cur, old, size, max(load, comp, store), load, comp, store, groups - gidx - 1)
                if j:
                    dma, prev1, prev2 = dma + shift, prev1 + shift, prev2 + shift
                    for q in range(n_q - 1, -1, -1):
                        pending[head + j + q] = pending[head + q] + shift
                    for q in range(max(n_s, 0) - 1, -1, -1):
                        store_done[gidx - 2 + j + q] = store_done[gidx - 2 + q] + shift
                    head, tail, stored, gidx = head + j, tail + j, stored + j, gidx + j
                    last_g = -1
                    continue
            last_q, last_s, last_g = n_q, n_s, gidx
        s = 0
        while s < steps:
            # a load needs the DMA and a free input buffer (the tile two back has been computed)
            while head < tail and pending[head] <= max(dma, prev2):
                dma = max(dma, pending[head]) + store
                head += 1
                store_done[stored] = dma
                stored += 1
            m = steps - s
            if steady and s > 0 and head == tail and m >= JUMP_STEPS:
                if load >= comp and dma >= prev2 and prev1 == dma + comp:        # DMA-bound run
                    a = _repeat_add(dma, load, m - 1)
                    prev2, dma = a + comp, a + load
                    prev1 = dma + comp
                    s = steps
                    continue
                if comp >= load and prev2 >= dma and prev1 == prev2 + comp:      # compute-bound run
                    a = _repeat_add(prev2, comp, m - 1)
                    dma, prev2 = a + load, a + comp
                    prev1 = prev2 + comp
                    s = steps
                    continue
            ld = max(dma, prev2) + load
            dma = ld
            ready = max(ld, prev1)
            if s == 0 and gidx >= 2:                 # output buffer of tile gidx-2 must be stored
                while stored < gidx - 1:
                    dma = max(dma, pending[head]) + store
                    head += 1
                    store_done[stored] = dma
                    stored += 1
                ready = max(ready, store_done[gidx - 2])
            prev2, prev1 = prev1, ready + comp
            s += 1
        pending[tail] = prev1
        tail += 1
        gidx += 1
    while head < tail:
        dma = max(dma, pending[head]) + store
        head += 1
    return max(dma, prev1)


@njit(cache=True)
def _repeating(cur: np.ndarray, old: np.ndarray, size: int, c_max: float, load: float, comp: float, store: float,
               left: int) -> tuple[int, float]:   # pragma: no cover - compiled
    """Output tiles to skip (up to ``left``) and the time shift of each, when the start state ``cur[:size]`` is
    ``old[:size]`` (the previous tile's, same queue lengths) plus one ``delta`` and both lie in one binade
    (ulp ``u``). There every addition of ``load``, ``comp`` or ``store`` (none a tie: ``c/u ≠ k + ½``) adds a
    fixed number of ulps and ``max`` commutes with a shift, so each later tile repeats the last one ``delta``
    later, exactly, while every sum stays below the binade's top (values only grow; a sum is at most a tile's
    final state plus ``c_max``). ``(0, 0.0)`` otherwise."""
    delta = cur[0] - old[0]
    if not delta >= 0.0:
        return 0, 0.0
    hi_v, lo_v = cur[0], old[0]
    for i in range(size):
        if cur[i] - old[i] != delta:
            return 0, 0.0
        hi_v, lo_v = max(hi_v, cur[i]), min(lo_v, old[i])
    if not (_NORMAL <= lo_v and hi_v < _HUGE and c_max < _HUGE):
        return 0, 0.0
    e = math.frexp(hi_v)[1]
    u = math.ldexp(1.0, e - 53)
    if lo_v < math.ldexp(1.0, e - 1):
        return 0, 0.0
    for c in (load, comp, store):
        cu = c / u
        if not (0.0 <= cu < _TWO53 / 2) or cu - math.floor(cu) == 0.5:
            return 0, 0.0
    room = int((math.ldexp(1.0, e) - hi_v) / u) - math.ceil(c_max / u) - 1   # j·delta/u <= room
    du = int(delta / u)
    j = left if du == 0 else min(left, room // du)
    if room < 0 or j <= 0:
        return 0, 0.0
    return j, float(j * du) * u


@njit(cache=True)
def _repeat_add(x: float, c: float, n: int) -> float:   # pragma: no cover - compiled
    """``x + c + c + … + c`` (``n`` float additions, left to right), a binade at a time. In the binade of
    ``x`` (ulp ``u``; ``x`` a multiple of it) each sum that stays below the binade's top rounds ``x + c`` to
    ``x + D·u`` with the same ``D`` (``c/u`` rounded to nearest), unless ``c/u`` is a tie (then the result
    depends on the parity of ``x/u``: one plain addition). The top and other ranges take plain additions."""
    while n > 0:
        if not (_NORMAL <= x < _HUGE and 0.0 <= c < _HUGE):
            x += c
            n -= 1
            continue
        e = math.frexp(x)[1]                 # x in [2**(e-1), 2**e)
        u = math.ldexp(1.0, e - 53)          # its ulp; x/u and c/u are exact (scaling by a power of 2)
        cu = c / u
        if cu >= _TWO53 / 2:
            x += c
            n -= 1
            continue
        q = math.floor(cu)
        f = cu - q
        room = _TWO53 - 1 - int(x / u) - int(q)   # sum k (from 1) stays below 2**e iff (k-1)·D <= room
        if f == 0.5 or room < 0:
            x += c
            n -= 1
            continue
        d = int(q) + (1 if f > 0.5 else 0)
        k = n if d == 0 else min(n, room // d + 1)
        x += float(k * d) * u                # exact: a multiple of u up to 2**e
        n -= k
    return x
