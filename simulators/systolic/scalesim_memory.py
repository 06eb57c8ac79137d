"""SCALE-Sim v3's double-buffered memory, reproduced at slide and drain-event granularity.

:mod:`.cycle` models the SRAMs physically (an operand that fits is fetched once, one that
does not is re-streamed once per pass). SCALE-Sim 3.0.0's read buffer behaves differently with
small buffers; the ``scalesim`` fidelity of the systolic family and ``archgym scalesim``
reproduce its reports exactly with this module
(validated on 144 recorded SCALE-Sim runs — 4×4 to 32×32 arrays, 1–64 KB, os/ws/is, bandwidth
3–25 — and on layers up to 3136×64×576: DRAM reads, stall and total cycles equal). Mechanism (scalesim/memory/read_buffer.py,
write_buffer.py, double_buffered_scratchpad_mem.py):

* **Sets and window.** An operand's fetch order (its prefetch matrix; streamed operands are
  unrolled along anti-diagonals of the skewed demand) is cut into ``N = ⌊valid/ε⌋ + 1`` sets of
  ``ε = ⌈W/100⌉`` valid words (``W`` = buffer words). The active window holds
  ``A = ⌈⌈W/2⌉/ε⌉`` consecutive sets, circularly.
* **Forward-only slides.** A demanded word outside the window slides it forward by
  ``P = ⌈⌊W/2⌋/ε⌉`` sets (mod N) until it is inside; each slide reads ``⌈⌊W/2⌋/bw⌉·bw`` DRAM
  words and advances the port clock by ``D = ⌈⌊W/2⌋/bw⌉ + 1`` cycles. A word *behind* the
  window costs a full wrap round the operand — why SCALE-Sim re-reads an os filter once per
  row fold even when a single slab would fit, and why small buffers multiply DRAM reads.
* **Stalls.** A slide that completes after its demand row stalls that row; SCALE-Sim adds a
  positive wait twice (``_burst``). A row's stall is the maximum over ifmap, filter and ofmap.
* **Write buffer.** A drain of half the ofmap buffer (``⌈half/bw⌉`` cycles) starts when the
  previous one is over and the buffer is more than half full; a word arriving while the buffer
  is full and draining stalls the row until the drain ends.

* **Conv layers (``-i conv``).** SCALE-Sim's ifmap operand matrix is the im2col matrix of real
  ifmap addresses, so overlapping windows repeat addresses. Sets are still cut every ``ε``
  valid *entries* (so ``N`` and the slide/read counts per slide are unchanged), but each set is
  a Python ``set`` of addresses and a demand hits when its address lies in *any* set of the
  window — a word whose own set is ahead of (or behind) the window hits through an earlier
  occurrence of the same pixel. Pass ``conv=ConvGeometry(...)``: the ifmap is then walked
  per demanded word in SCALE-Sim's checking order in compiled code (:mod:`.scalesim_walk`:
  a word whose own position is in the window hits; else its pixel's other occurrences are
  checked; a miss slides ``⌈(gap − A + 1)/P⌉`` sets to its nearest occurrence ahead). Exact on
  108 conv layers in 30 SCALE-Sim runs (3×3/5×5/1×1, stride 1/2, depth-wise; 4×4–16×16 arrays,
  1–4 KB, os/ws/is) and equal to SCALE-Sim's read buffer written out literally on random
  layers (tests/test_scalesim_walk.py); the GEMM path is unchanged.

Cost: one integer loop over folds (over array rows for the row-streamed ws filter / is ifmap),
vectorised slide placement, and a walk over only the rows with slide bursts or drain events —
never per cycle or per address; it grows with DRAM traffic / half-buffer size. With ``conv``
the ifmap costs nothing when it fits its window, else one compiled pass over the im2col entries
(an address-occurrence index, ~25 ns an entry) and one over the demands (a few ns each).
"""

from __future__ import annotations

import bisect
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.workload import Gemm
from simulators.systolic import scalesim_walk

#: bytes per im2col entry of the conv ifmap walk: three int64 arrays (fetch position → address
#: index, its address, the previous index of the same pixel) in :func:`_read_slides_addressed`
#: (docs/scalesim-memory.md)
WALK_BYTES_PER_ENTRY = 24
#: bytes per ifmap word of the same walk: one int64 array (each pixel's last index)
WALK_BYTES_PER_PIXEL = 8
#: bytes per slide inside the sweeps (:func:`_sweep_slide_rows`: ~10 int64 arrays over the slides)
SLIDE_BYTES = 96
#: the environment variable that sets the memory budget of one walk, in MiB
BUDGET_ENV = "ARCHGYM_SCALESIM_MEMORY_MB"
#: its default (assumed: a quarter of an 8 GB laptop, so that two workers stay well inside it)
DEFAULT_BUDGET_MB = 2048


class MemoryBudgetError(ConfigError):
    """A walk would need more memory than the budget (a result to report as invalid, never an
    allocation that runs the machine out of memory)."""


def memory_budget_bytes() -> int:
    """The budget of one walk: ``$ARCHGYM_SCALESIM_MEMORY_MB`` MiB, default :data:`DEFAULT_BUDGET_MB`."""
    text = os.environ.get(BUDGET_ENV, str(DEFAULT_BUDGET_MB))
    try:
        mb = float(text)
    except ValueError:
        mb = math.nan
    if not (math.isfinite(mb) and mb > 0):
        raise ConfigError.bad_value(BUDGET_ENV, text, "a number of MiB > 0")
    return int(mb * 2**20)


def _check_budget(need: int, what: str) -> None:
    budget = memory_budget_bytes()
    if need > budget:
        raise MemoryBudgetError(f"scalesim memory: the {what} walk needs ~{need / 2**20:,.0f} MiB, more than "
                                f"the {budget / 2**20:,.0f} MiB budget (set {BUDGET_ENV} to raise it)")


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class _ReadBuffer:
    """Window geometry of one double-buffered read SRAM of ``words`` words."""

    words: int
    bw: int

    @property
    def active(self) -> int:
        return math.ceil(self.words / 2)

    @property
    def prefetch(self) -> int:
        return self.words - self.active

    @property
    def set_words(self) -> int:          # ε
        return math.ceil(self.words / 100)

    @property
    def window_sets(self) -> int:        # A
        return _ceil(self.active, self.set_words)

    @property
    def slide_sets(self) -> int:         # P
        return _ceil(self.prefetch, self.set_words)

    @property
    def slide_lines(self) -> int:        # DRAM lines per slide
        return _ceil(self.prefetch, self.bw)

    @property
    def slide_cycles(self) -> int:       # D: port clock advance per slide
        return self.slide_lines + 1


class _FetchOrder:
    """An operand as ``blocks`` blocks of ``height`` rows × ``width`` words stacked vertically
    (the last block has ``last_width`` valid words a row), fetched along anti-diagonals
    (``diagonal``) or row by row; :meth:`rank` is a word's index among the valid words."""

    def __init__(self, blocks: int, height: int, width: int, last_width: int, diagonal: bool):
        self.blocks, self.height, self.width, self.last_width = blocks, height, width, last_width
        self.diagonal = diagonal
        self.rows = blocks * height
        self.valid = (blocks - 1) * height * width + height * last_width
        self.padded = blocks * height * width
        self.block_widths = np.full(blocks, width, np.int64)   # valid words a row, per block
        self.block_widths[-1] = last_width

    @property
    def shape(self) -> tuple[int, int, int, int, int]:
        """(rows, height, width, last width, diagonal) as the compiled walk takes them."""
        return self.rows, self.height, self.width, self.last_width, int(self.diagonal)

    def rank(self, r: np.ndarray, c: np.ndarray) -> np.ndarray:
        return scalesim_walk.fetch_rank(np.asarray(r, dtype=np.int64), np.asarray(c, dtype=np.int64), self.shape)


# a fold's demand on one operand: (block, "sweep", first demand row in the fold) for a skewed
# anti-diagonal sweep of the block, or (block, "rows", (first row, end row, array rows)) for
# row-major rows demanded in reverse order (SCALE-Sim flips them)
_Demand = tuple[int, str, Any]


def _read_slides(buf: _ReadBuffer, order: _FetchOrder, demands: list[_Demand], fold_rows: int
                 ) -> tuple[int, np.ndarray, np.ndarray]:
    """DRAM words read, and the demand rows with slides (global row index, slide count)."""
    eps, window = buf.set_words, buf.window_sets
    reads, n_sets, step = _window_walk(buf, order)
    if not step:                                           # fits: fetched once, no slides
        return reads, np.zeros(0, np.int64), np.zeros(0, np.int64)
    h, nb, widths = order.height, order.blocks, order.block_widths
    blocks = np.arange(nb, dtype=np.int64)
    if order.diagonal:   # sets of the first and last word of each block's sweep
        first = (order.rank(blocks * h, np.zeros(nb, np.int64)) // eps).tolist()
        last = (order.rank(blocks * h + h - 1, widths - 1) // eps).tolist()
    else:                # sets of the first and last word of each row
        rr = np.arange(order.rows, dtype=np.int64)
        first = (order.rank(rr, np.zeros_like(rr)) // eps).tolist()
        last = (order.rank(rr, widths[rr // h] - 1) // eps).tolist()
    start = 0                                              # window start (set index)
    burst_rows: list[int] = []
    burst_slides: list[int] = []
    sweeps: list[tuple[int, int, int, int]] = []           # (row, block, first set, slides inside)
    for f, (b, kind, arg) in enumerate(demands):
        base = f * fold_rows
        if kind == "sweep":
            lo, hi = first[b], last[b]
            gap = (lo - start) % n_sets
            if gap >= window:                              # jump to the sweep's first set
                k = _ceil(gap - window + 1, step)
                start = (start + k * step) % n_sets
                burst_rows.append(base + arg)
                burst_slides.append(k)
                gap = (lo - start) % n_sets
            reach = gap + hi - lo
            if reach >= window:                            # slides while sweeping
                k = _ceil(reach - window + 1, step)
                sweeps.append((base + arg, b, lo - gap, k))
                start = (start + k * step) % n_sets
        else:
            r0, r1, array_rows = arg
            for r in range(r1 - 1, r0 - 1, -1):            # last row demanded first
                k = 0
                for s in (first[b * h + r], last[b * h + r]):
                    gap = (s - start) % n_sets
                    if gap >= window:
                        kk = _ceil(gap - window + 1, step)
                        start = (start + kk * step) % n_sets
                        k += kk
                if k:
                    burst_rows.append(base + (array_rows - 1) - (r - r0))
                    burst_slides.append(k)
    rows, counts = [np.asarray(burst_rows, np.int64)], [np.asarray(burst_slides, np.int64)]
    if sweeps:                                             # one slide per row found inside a sweep
        _check_budget(SLIDE_BYTES * sum(k for *_, k in sweeps), "slide")
        inside = _sweep_slide_rows(order, np.asarray(sweeps, np.int64), window, step, eps)
        rows.append(inside)
        counts.append(np.ones(len(inside), np.int64))
    return _slide_result(buf, reads, np.concatenate(rows), np.concatenate(counts))


def _window_walk(buf: _ReadBuffer, order: _FetchOrder, valid: int | None = None) -> tuple[int, int, int]:
    """(DRAM words read before compute, sets in the fetch order, sets per slide — 0 when the
    operand fits the window and never slides); ``valid`` = words that carry an address."""
    n_sets = (order.valid if valid is None else valid) // buf.set_words + 1
    reads = min(_ceil(buf.active, buf.bw), _ceil(order.padded, buf.bw)) * buf.bw
    step = min(buf.slide_sets, n_sets - buf.window_sets) if n_sets > buf.window_sets else 0
    return reads, n_sets, step


def _slide_result(buf: _ReadBuffer, reads: int, rows: np.ndarray, slides: np.ndarray
                  ) -> tuple[int, np.ndarray, np.ndarray]:
    """DRAM words read in all, and the distinct demand rows with their summed slide counts."""
    unique, inverse = np.unique(rows, return_inverse=True)
    per_row = np.bincount(inverse.ravel(), weights=slides, minlength=len(unique)).astype(np.int64)
    return reads + int(slides.sum()) * buf.slide_lines * buf.bw, unique, per_row


@dataclass(frozen=True)
class ConvGeometry:
    """A conv layer as SCALE-Sim's ``-i conv`` mode sees it: ifmap ``h``×``w``×``c`` (a depth-wise
    layer's per-channel layer has ``c = 1``), filter ``r``×``s``, ``stride`` (both directions).
    The GEMM is m = ofmap pixels (row-major, ``q`` a row), k = window (r, then s, then channel)."""

    h: int
    w: int
    c: int
    r: int
    s: int
    stride: int
    #: SCALE-Sim's topology reading (scalesim/topology_utils.py): ofmap ⌈(H − R + stride)/stride⌉,
    #: one more row/column than the layer's when (H − R) is not a multiple of the stride; the
    #: windows that overhang the ifmap read nothing (address −1, skipped by its buffers)
    round_up: bool = False

    @property
    def p(self) -> int:
        return self._out(self.h, self.r)

    @property
    def q(self) -> int:
        return self._out(self.w, self.s)

    def _out(self, size: int, filt: int) -> int:
        return -(-(size - filt + self.stride) // self.stride) if self.round_up else (size - filt) // self.stride + 1

    def address(self, m: np.ndarray, k: np.ndarray) -> np.ndarray:
        """Ifmap address of im2col entry (m, k): overlapping windows repeat addresses; −1 where
        a rounded-up window overhangs the ifmap."""
        oy, ox = np.divmod(m, self.q)
        fr, rest = np.divmod(k, self.s * self.c)
        fs, ch = np.divmod(rest, self.c)
        y, x = oy * self.stride + fr, ox * self.stride + fs
        return np.where((y < self.h) & (x < self.w), (y * self.w + x) * self.c + ch, -1)


def _present_entries(conv: ConvGeometry) -> int:
    """im2col entries with an address (windows overhanging a rounded-up ifmap have none)."""
    def inside(out: int, filt: int, size: int) -> int:
        return sum(min(filt, max(size - o * conv.stride, 0)) for o in range(out))
    return inside(conv.p, conv.r, conv.h) * inside(conv.q, conv.s, conv.w) * conv.c


def _read_slides_addressed(buf: _ReadBuffer, order: _FetchOrder, demands: list[_Demand], fold_rows: int,
                           conv: ConvGeometry, m_from_column: bool) -> tuple[int, np.ndarray, np.ndarray]:
    """:func:`_read_slides` for a conv ifmap, whose words repeat addresses: SCALE-Sim's sets are
    Python sets of addresses, so a demanded word hits when *any* occurrence of its address lies in
    one of the window's sets. A stacked row's column indexes im2col rows (``m_from_column``: os,
    is) or im2col columns (ws). Walked demand by demand in compiled code (:mod:`.scalesim_walk`)."""
    valid = _present_entries(conv)
    reads, n_sets, step = _window_walk(buf, order, valid)
    if not step:                                            # fits: no walk at all
        return reads, np.zeros(0, np.int64), np.zeros(0, np.int64)
    ifmap_words = conv.h * conv.w * conv.c
    _check_budget(WALK_BYTES_PER_ENTRY * order.valid + WALK_BYTES_PER_PIXEL * ifmap_words, "conv ifmap")
    shape = order.shape
    geometry = (conv.h, conv.w, conv.c, conv.r, conv.s, conv.stride, conv.q, int(m_from_column))
    compact = np.empty(order.valid, np.int64)
    address, before = np.empty(valid, np.int64), np.empty(valid, np.int64)
    last = np.full(ifmap_words, -1, np.int64)
    tables = scalesim_walk.conv_tables(geometry, conv.p)
    found = scalesim_walk.build_index(shape, geometry, tables, compact, address, before, last)
    assert found == valid, (found, valid)
    table = np.array([(b, scalesim_walk.SWEEP, arg, 0, 0) if kind == "sweep" else (b, scalesim_walk.ROWS, *arg)
                      for b, kind, arg in demands], np.int64).reshape(-1, 5)
    window = (buf.set_words, buf.window_sets, step, n_sets, valid)
    rows, slides = scalesim_walk.walk(shape, table, fold_rows, window, compact, address, before, last)
    return _slide_result(buf, reads, rows, slides)


def _sweep_slide_rows(order: _FetchOrder, sweeps: np.ndarray, window: int, step: int, eps: int
                      ) -> np.ndarray:
    """Demand row of every slide inside the sweeps: the first anti-diagonal that reaches the
    word triggering it (vectorised binary search over diagonals)."""
    k = sweeps[:, 3]
    which = np.repeat(np.arange(len(sweeps)), k)
    j = np.arange(len(which)) - np.repeat(np.cumsum(k) - k, k)
    base, block, first_set = sweeps[which, 0], sweeps[which, 1], sweeps[which, 2]
    width = order.block_widths[block]
    target = (first_set + window + j * step) * eps
    top = block * order.height
    lo, hi = top.copy(), top + order.height - 1 + width - 1
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        col = np.minimum(width - 1, mid - top)
        reached = order.rank(mid - col, col) >= target
        hi = np.where(reached, mid, hi)
        lo = np.where(reached, lo, mid + 1)
    return base + lo - top


def _burst(clock: int, demand: int, slides: int, d: int) -> tuple[int, int]:
    """``slides`` slides in one demand row at cycle ``demand``: (new port clock, completion cycle)
    as SCALE-Sim's offset update computes it (a positive wait counted twice)."""
    wait = max(clock + d - demand, 0)
    end = clock + slides * d
    if slides == 1:
        extra = wait
    elif wait >= d:
        extra = 0 if slides % 2 == 0 else d
    else:
        extra = d - wait if slides % 2 == 0 else wait
    return end, end + extra


class _OfmapArrivals:
    """Ofmap words written per demand row: row t of fold f gets #{c < w_f : lo_f ≤ t−p−c ≤ hi}
    (the skewed output of the array); cumulative counts in closed form."""

    def __init__(self, widths: np.ndarray, lows: np.ndarray, high: int, lag: int, fold_rows: int):
        self.widths, self.lows = [int(x) for x in widths], [int(x) for x in lows]
        self.high, self.lag, self.fold_rows = high, lag, fold_rows
        self.before = [0]                                  # words of the folds before each fold
        for w, lo in zip(self.widths, self.lows):
            self.before.append(self.before[-1] + w * (high - lo + 1))
        self.rows = len(self.widths) * fold_rows
        self.total = self.before[-1]

    def _in_fold(self, f: int, t: int) -> int:
        """Words in rows < t of fold f: ramp(u) − ramp(u − span), ramp(x) = Σ_{c<w} max(x − c, 0)
        (no closure: the stall walk calls it ~10 times per event)."""
        w, low = self.widths[f], self.lows[f]
        u = t - self.lag - low
        v = u - (self.high - low + 1)
        words = 0
        if u > 0:
            m = min(u, w)
            words = m * u - m * (m - 1) // 2
        if v > 0:
            m = min(v, w)
            words -= m * v - m * (m - 1) // 2
        return words

    def cum(self, r: int) -> int:
        """Words in global rows < r."""
        if r <= 0:
            return 0
        if r >= self.rows:
            return self.total
        f, t = divmod(r, self.fold_rows)
        return self.before[f] + self._in_fold(f, t)

    def words(self, r: int) -> int:
        return self.cum(r + 1) - self.cum(r)

    def row_of(self, x: int) -> int | None:
        """Smallest row r with cum(r + 1) ≥ x (None past the last word)."""
        if x <= 0:
            return 0
        if x > self.total:
            return None
        f = bisect.bisect_left(self.before, x) - 1
        need = x - self.before[f]
        lo, hi = 0, self.fold_rows - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self._in_fold(f, mid + 1) >= need:
                hi = mid
            else:
                lo = mid + 1
        return f * self.fold_rows + lo


class _WriteBuffer:
    """SCALE-Sim's ofmap write buffer at drain-event granularity (lines as runs of equal fill)."""

    def __init__(self, words: int, bw: int):
        self.capacity = words
        self.drain_words = words - math.ceil(words / 2)
        self.bw = bw
        self.used, self.partial, self.drain_end = 0, 0, 0
        self.lines: list[list[int]] = []                  # runs [line count, words per line]

    def _push(self, n: int, fill: int) -> None:
        if n <= 0:
            return
        if self.lines and self.lines[-1][1] == fill:
            self.lines[-1][0] += n
        else:
            self.lines.append([n, fill])

    def store(self, k: int) -> None:
        """``k`` words written with no drain decision in between."""
        self.used += k
        total = self.partial + k
        self._push(total // self.bw, self.bw)
        self.partial = total % self.bw

    def _drain(self, cycle: int) -> None:
        if self.partial:
            self._push(1, self.partial)
            self.partial = 0
        want, n, last = _ceil(self.drain_words, self.bw), 0, 0
        while n < want and self.lines:
            run = self.lines[0]
            take = min(run[0], want - n)
            n, last = n + take, run[1]
            run[0] -= take
            if run[0] == 0:
                self.lines.pop(0)
        self.used -= (n - 1) * self.bw + last
        self.drain_end = cycle + n - 1                     # write latency 0

    def row(self, k: int, cycle: int) -> int:
        """``k`` words arrive in one row at ``cycle``; returns the row's stall. Word by word, a word
        that fills the buffer during a drain waits for its end, and one that takes it past half
        full otherwise starts a drain; the words in between are stored in one step."""
        now = cycle
        while k > 0:
            draining = now < self.drain_end
            n = max((self.capacity if draining else self.drain_words + 1) - self.used, 1)  # to the event
            self.store(min(n, k))
            if n > k:
                break
            k -= n
            if draining:
                now = self.drain_end
            else:
                self._drain(now)
        return now - cycle

    def next_event(self, arrivals: _OfmapArrivals, row: int, stall: int) -> int | None:
        """First row at or after ``row`` where a drain starts or the buffer fills."""
        before = arrivals.cum(row)
        drain_at = max(arrivals.cum(max(row, self.drain_end - stall)) + 1,
                       before + self.drain_words - self.used + 1)
        full_at = before + max(self.capacity - self.used, 1)
        rows = [r for r in (arrivals.row_of(drain_at), arrivals.row_of(full_at)) if r is not None]
        return min(rows) if rows else None


def _stall(bursts: list[tuple[np.ndarray, np.ndarray]], slide_cycles: list[int],
           arrivals: _OfmapArrivals, writes: _WriteBuffer | None) -> int:
    """Total stall: walk the rows with read slides or write-buffer events in order (``writes``
    is left holding every output word, drained or not)."""
    read_rows = np.unique(np.concatenate([r for r, _ in bursts])).tolist()
    slides = [dict(zip(r.tolist(), k.tolist())) for r, k in bursts]
    clocks = [-1] * len(bursts)
    stall, row_next, i = 0, 0, 0
    write_row, stale = None, True
    while True:
        read_row = read_rows[i] if i < len(read_rows) else None
        if writes is not None and stale:
            write_row, stale = writes.next_event(arrivals, row_next, stall), False
        candidates = [r for r in (read_row, write_row) if r is not None]
        if not candidates:
            if writes is not None:
                writes.store(arrivals.total - arrivals.cum(row_next))
            return stall
        row = min(candidates)
        cycle = row + stall
        row_stall = 0
        if writes is not None:
            writes.store(arrivals.cum(row) - arrivals.cum(row_next))
            row_stall = writes.row(arrivals.words(row), cycle)
        if row == read_row:
            i += 1
            for op, per_row in enumerate(slides):
                k = per_row.get(row)
                if k:
                    clocks[op], done = _burst(clocks[op], cycle + 1, k, slide_cycles[op])
                    row_stall = max(row_stall, done - cycle - 1)
        if row_stall or row == write_row:
            stale = True
        stall += row_stall
        row_next = row + 1


@dataclass(frozen=True)
class MemoryResult:
    """SCALE-Sim's memory figures for one GEMM (words and cycles)."""

    dram_ifmap_reads: int
    dram_filter_reads: int
    stall_cycles: int
    final_drain_cycles: int   # cycles after the last row until the ofmap buffer is written out


def scalesim_memory(g: Gemm, rows: int, cols: int, dataflow: str, ifmap_kb: int, filter_kb: int,
                    ofmap_kb: int, ifmap_bw: int, filter_bw: int, ofmap_bw: int, word_bytes: int = 1,
                    conv: ConvGeometry | None = None) -> MemoryResult:
    """DRAM reads and stall cycles of GEMM ``g`` as SCALE-Sim 3.0.0 reports them (column folds
    outer, row folds inner; see the module docstring)."""
    r_, c_ = rows, cols
    if dataflow == "os":
        sr, sc, t = g.m, g.n, g.k
    elif dataflow == "ws":
        sr, sc, t = g.k, g.n, g.m
    else:
        sr, sc, t = g.k, g.m, g.n
    rf, cf = _ceil(sr, r_), _ceil(sc, c_)
    fold_rows = t + r_ + c_ - 2 + (0 if dataflow == "os" else r_)
    folds = [(fc, fr) for fc in range(cf) for fr in range(rf)]
    last_r, last_c = sr - (rf - 1) * r_, sc - (cf - 1) * c_
    ifmap = _ReadBuffer(ifmap_kb * 1024 // word_bytes, ifmap_bw)
    filt = _ReadBuffer(filter_kb * 1024 // word_bytes, filter_bw)
    streamed = _FetchOrder(rf, t, r_, last_r, True)               # X_r, skewed along diagonals

    def row_demands() -> list[_Demand]:
        return [(fc, "rows", (fr * r_, min(fr * r_ + r_, g.k), r_)) for fc, fr in folds]

    if dataflow == "os":
        i_order, i_dem = streamed, [(fr, "sweep", 0) for fc, fr in folds]
        f_order, f_dem = _FetchOrder(cf, t, c_, last_c, True), [(fc, "sweep", 0) for fc, fr in folds]
    elif dataflow == "ws":
        i_order, i_dem = streamed, [(fr, "sweep", r_) for fc, fr in folds]
        f_order, f_dem = _FetchOrder(cf, g.k, c_, last_c, False), row_demands()
    else:
        i_order, i_dem = _FetchOrder(cf, g.k, c_, last_c, False), row_demands()
        f_order, f_dem = streamed, [(fr, "sweep", r_) for fc, fr in folds]
    if conv is not None and not (conv.r == conv.s == 1 and conv.stride == 1):   # repeated addresses
        if (conv.p * conv.q, conv.r * conv.s * conv.c) != (g.m, g.k):
            raise ConfigError(f"scalesim memory: conv geometry {conv} does not match GEMM {g}")
        reads_i, rows_i, k_i = _read_slides_addressed(ifmap, i_order, i_dem, fold_rows, conv, dataflow != "ws")
    else:
        reads_i, rows_i, k_i = _read_slides(ifmap, i_order, i_dem, fold_rows)
    reads_f, rows_f, k_f = _read_slides(filt, f_order, f_dem, fold_rows)
    widths = np.array([min(c_, sc - fc * c_) for fc, _ in folds])
    if dataflow == "os":
        heights = np.array([min(r_, sr - fr * r_) for _, fr in folds])
        arrivals = _OfmapArrivals(widths, r_ - heights, r_ - 1, t - 1, fold_rows)
    else:
        arrivals = _OfmapArrivals(widths, np.zeros(len(folds), np.int64), t - 1, 2 * r_ - 1, fold_rows)
    writes = _WriteBuffer(ofmap_kb * 1024 // word_bytes, ofmap_bw) if ofmap_kb else None
    stall = _stall([(rows_i, k_i), (rows_f, k_f)], [ifmap.slide_cycles, filt.slide_cycles], arrivals, writes)
    final = 0
    if writes is not None:   # the last row's cycle, then the buffer's remaining lines one a cycle,
        last = len(folds) * fold_rows + stall - 1   # unless a drain still running ends later
        remaining = sum(n for n, _ in writes.lines) + (1 if writes.partial else 0)
        final = max(remaining, writes.drain_end - last + 1)
    return MemoryResult(reads_i, reads_f, stall, final)
