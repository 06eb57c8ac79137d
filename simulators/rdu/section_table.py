"""Balanced PCUs and floor chains of distinct sections, shared by every cut set and hardware key of a
kernel graph (issue 17).

A section of a cut (a run of kernels ``first … last``) with a given tile count and TP degree has the
same rows per step in every cut and cut set, so for given lanes, stages and PCU budget the same
units, balanced PCUs (:func:`.mapping.balance_section`) and floor chain (:mod:`.cycle_search`: the
longest path of one-unit steps into a kernel, its ``n_tile`` steps and the longest path out, over the
section's on-chip edges; its kernels' most). :class:`SectionTable` numbers the distinct sections of
every cut set built so far (:meth:`SectionTable.view`) and computes each section once per
``(lanes, stages, budget)`` (:meth:`SectionTable.chains`): a new hardware key reuses what the keys
before it computed (ResNet-18: after 100 random designs, ~18 % of a new key's sections are new).
The arithmetic is that of splitting every cut on its own (:func:`.mapping.split_cuts`,
:func:`.cycle_search.cut_floor_terms`) to the bit: ``tests/test_rdu_sections.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from simulators.common.kernel_math import maximum, pairwise_sum
from simulators.rdu import mapping as mp
from simulators.rdu.kernels import KernelGraph, edges_sorted, unit_work


@dataclass(frozen=True)
class CutView:
    """A cut set in a :class:`SectionTable`'s numbering: ``(C, N)`` the table entry of every cut's kernel
    and the table section in every section slot (``-1``: unused), and per cut its number of sections
    and weight bytes per socket (floor terms that do not depend on PCUs)."""

    entry: np.ndarray
    slot: np.ndarray
    n_sections: np.ndarray
    weights: np.ndarray


class SectionTable:
    """The distinct ``(first, last, n_tile, tp)`` sections of one kernel graph's cut sets, each with its
    kernels as consecutive entries, and per ``(lanes, stages, budget)`` (a *split*, one row of the
    ``(splits, entries)`` PCU and ``(splits, sections)`` chain tables) their PCUs and chains. What does
    not depend on the budget (each entry's units and cycles per unit, the chain's paths into and out of
    it) is kept per ``(lanes, stages)`` (a *work* row of the ``(works, entries)`` tables): a split's section
    computed under another budget before reuses it (ResNet-18: two fills in three, early in a process)."""

    def __init__(self, kg: KernelGraph) -> None:
        self._kg = kg
        self._graph = np.stack([np.asarray(getattr(kg, f), dtype=np.int64)
                                for f in ("kind", "outer", "m", "k", "rows")])
        self._edges = _edges_sorted(kg)
        self._span = int(kg.rows.max()) + 1                # section key: ((first·N + last)·span + n_tile)·16 + tp
        self._keys = np.zeros(0, dtype=np.int64)          # the sections' keys, sorted
        self._gids = np.zeros(0, dtype=np.int64)          # the section of each key
        self._cols = np.zeros((5, 0), dtype=np.int64)     # first, last, n_tile, tp, offset of each section
        self._n_entries = 0
        self._splits: dict[tuple[int, int, int], int] = {}
        self._params = np.zeros((0, 4), dtype=np.int64)   # lanes, stages, budget and work row of each split
        self._works: dict[tuple[int, int], int] = {}
        self._pcu = np.zeros((0, 0), dtype=np.int64)
        self._chain = np.zeros((0, 0))
        self._done = np.zeros((0, 0), dtype=bool)
        self._work = np.zeros((0, 0, 2), dtype=np.int64)  # units, cycles per unit of each work row and entry
        self._paths = np.zeros((0, 0, 2))                 # the chain's head and down of each work row and entry
        self._work_done = np.zeros((0, 0), dtype=bool)

    def view(self, cuts: mp.CutSet, word_bytes: int) -> CutView:
        """``cuts`` in this table's numbering (its sections not seen before added)."""
        n_cuts, n = cuts.section.shape
        start = np.ones((n_cuts, n), dtype=bool)       # a cut's sections are runs of kernels
        start[:, 1:] = cuts.section[:, 1:] != cuts.section[:, :-1]
        begin = np.flatnonzero(start)
        run = np.cumsum(start.ravel()) - 1             # each cut kernel's run
        first, last = begin % n, (np.r_[begin[1:], start.size] - 1) % n     # a run ends in its cut's row
        gid = self._ids(first, last, cuts.n_tile.ravel()[begin], cuts.tp.ravel()[begin // n])
        entry_g = gid[run].reshape(n_cuts, n)
        entry = self._cols[4, entry_g] + np.arange(n) - first[run].reshape(n_cuts, n)
        slot = np.full(cuts.section.shape, -1, dtype=np.int64)
        slot[np.arange(n_cuts)[:, None], cuts.section] = entry_g
        return CutView(entry, slot, *sections_and_weights(self._kg, cuts, word_bytes))

    def _ids(self, first: np.ndarray, last: np.ndarray, n_tile: np.ndarray, tp: np.ndarray) -> np.ndarray:
        """The table section of each ``(first, last, n_tile, tp)`` (the new ones added)."""
        keys = ((first * len(self._kg) + last) * self._span + n_tile) * 16 + tp
        at = np.searchsorted(self._keys, keys)
        found = self._keys[np.minimum(at, len(self._keys) - 1)] == keys if len(self._keys) else at < 0
        if not found.all():
            new, pick = np.unique(keys[~found], return_index=True)
            pick = np.flatnonzero(~found)[pick]
            size = last[pick] - first[pick] + 1
            self._cols = np.concatenate([self._cols, np.stack([first[pick], last[pick], n_tile[pick], tp[pick],
                                                               self._n_entries + np.cumsum(size) - size])], axis=1)
            self._n_entries += int(size.sum())
            gids = self._cols.shape[1] - len(new) + np.arange(len(new))
            order = np.argsort(np.concatenate([self._keys, new]), kind="stable")
            self._keys = np.concatenate([self._keys, new])[order]
            self._gids = np.concatenate([self._gids, gids])[order]
            at = np.searchsorted(self._keys, keys)
        return self._gids[at]

    def split_id(self, lanes: int, stages: int, budget: int) -> int:
        """The row of ``(lanes, stages, budget)`` in the split tables (added if new)."""
        k = self._splits.get(key := (lanes, stages, budget))
        if k is None:
            k = self._splits[key] = len(self._params)
            w = self._works.setdefault((lanes, stages), len(self._works))
            self._params = np.concatenate([self._params, np.array([[*key, w]], dtype=np.int64)])
        return k

    def chains(self, slot: np.ndarray, split: np.ndarray) -> np.ndarray:
        """``(R,)`` chain sums of cuts given as rows of :class:`CutView` ``slot`` arrays (of any views),
        row ``r`` under split ``split[r]``, their sections not computed before computed: one compiled pass."""
        self._fit()
        out = np.empty(len(slot))
        _chains(np.ascontiguousarray(slot), np.asarray(split, dtype=np.int64), self._params, self._cols, self._graph,
                *self._edges, self._pcu, self._chain, self._done, self._work, self._paths, self._work_done, out)
        return out

    def slot_chains(self, slot: np.ndarray, split: np.ndarray) -> np.ndarray:
        """``(R, N)`` the chain of every section slot (cycles, 0 where unused) of cuts given as rows of
        :class:`CutView` ``slot`` arrays, row ``r`` under split ``split[r]``, after :meth:`chains` of them."""
        return np.where(slot >= 0, _gather(self._chain, split, np.maximum(slot, 0)), 0.0)

    def pcu(self, entry: np.ndarray, split: np.ndarray | int) -> np.ndarray:
        """Balanced PCUs of cuts given as rows of :class:`CutView` ``entry`` arrays, row ``r`` under
        split ``split[r]`` (or all under one), after :meth:`chains` of those cuts and splits."""
        return _gather(self._pcu, np.asarray(split), entry) if np.ndim(split) else self._pcu[split, entry]

    def split_pcu(self, split: int) -> np.ndarray:
        """``(entries,)`` the balanced PCUs of every entry under ``split`` (a view: valid for the entries
        computed so far, until the table next grows)."""
        return self._pcu[split]

    def cut_pcu(self, view: CutView, split: int, rows: np.ndarray) -> np.ndarray:
        """:meth:`pcu` of the cuts ``rows`` of ``view`` under ``split`` (:meth:`chains` of ``view`` under it first)."""
        return self._pcu[split, view.entry[rows]]

    def _fit(self) -> None:
        """Grow the split and work tables to every split, work row, entry and section (:func:`_grown`)."""
        splits, works, entries, sections = len(self._params), len(self._works), self._n_entries, self._cols.shape[1]
        self._pcu = _grown(self._pcu, splits, entries)
        self._chain = _grown(self._chain, splits, sections)
        self._done = _grown(self._done, splits, sections)
        self._work = _grown(self._work, works, entries)
        self._paths = _grown(self._paths, works, entries)
        self._work_done = _grown(self._work_done, works, sections)


def _grown(table: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``table``, or when it has fewer than ``rows`` rows or ``cols`` columns a larger one (each short size
    doubled, at least to what is asked, so that growth is amortised) holding its cells. New cells are not
    computed, and never read before they are: zeros, whose pages the system maps only when written (a
    growth costs ~the copy rather than ~1 ms of writing megabytes of ones)."""
    have = table.shape
    if rows <= have[0] and cols <= have[1]:
        return table
    out = np.zeros((max(rows, 2 * have[0]) if rows > have[0] else have[0],
                    max(cols, 2 * have[1]) if cols > have[1] else have[1], *have[2:]), dtype=table.dtype)
    out[:have[0], :have[1]] = table
    return out


def _gather(cells: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``cells[rows[..., None], cols]`` for a C-contiguous table ``cells`` and indices in its range, by one take of
    flat positions (half the CPU of numpy's two broadcast index arrays on a batch's ~250 × 31 cells)."""
    return cells.reshape(-1).take(rows[..., None] * cells.shape[1] + cols)


def sections_and_weights(kg: KernelGraph, cuts: mp.CutSet, word_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per cut of ``cuts``: its number of sections (float) and its weight bytes per socket."""
    n_sections = 1 + (cuts.section[:, 1:] != cuts.section[:, :-1]).sum(axis=1)
    return n_sections.astype(float), (kg.weight_elems * float(word_bytes) / cuts.tp).sum(axis=1)


def table(kg: KernelGraph) -> SectionTable:
    """The kernel graph's :class:`SectionTable` (memoised in ``kg.memo``)."""
    if (key := "section table") not in kg.memo:
        kg.memo[key] = SectionTable(kg)
    return kg.memo[key]


def _edges_sorted(kg: KernelGraph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``(E, 2)`` edges (producer, consumer) by consumer and by producer descending, both stable
    (:func:`.cycle.chains`' orders), and ``(3, N + 1)`` positions in them per kernel ``k``: the first
    edge into a kernel ``>= k``, the first out of a kernel ``<= k``, the first out of one ``< k``."""
    by_dst, by_src = edges_sorted(kg)
    kernels = np.arange(len(kg) + 1)
    ranges = np.stack([np.searchsorted(by_dst[:, 1], kernels), np.searchsorted(-by_src[:, 0], -kernels),
                       np.searchsorted(-by_src[:, 0], -kernels, side="right")])
    return by_dst, by_src, ranges


@njit(cache=True)
def _chains(slot: np.ndarray, split: np.ndarray, params: np.ndarray, cols: np.ndarray, graph: np.ndarray,
            by_dst: np.ndarray, by_src: np.ndarray, ranges: np.ndarray, pcu: np.ndarray, chain: np.ndarray,
            done: np.ndarray, work: np.ndarray, paths: np.ndarray, work_done: np.ndarray,
            out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Per cut ``r`` (``slot[r]``: its table section per slot, ``-1`` unused) under split ``k = split[r]``:
    every section not ``done[k]`` computed (:func:`_fill_section`, on one set of scratch arrays), then its
    slots' chains (0 where unused) summed as numpy sums a C-ordered row
    (:func:`simulators.common.kernel_math.pairwise_sum`) into ``out[r]``."""
    row = np.zeros(slot.shape[1])
    n = graph.shape[1]
    units, per_unit, own = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    kernels = np.arange(n)
    for r in range(slot.shape[0]):
        k = split[r]
        for s in range(slot.shape[1]):
            g = slot[r, s]
            if g >= 0 and not done[k, g]:
                w = params[k, 3]
                if not work_done[w, g]:
                    _fill_work(g, params[k, 0], params[k, 1], cols, graph, by_dst, by_src, ranges, work[w], paths[w])
                    work_done[w, g] = True
                _fill_section(g, k, params, cols, pcu, chain, work[w], paths[w], units, per_unit, own, kernels)
                done[k, g] = True
            row[s] = chain[k, g] if g >= 0 else 0.0
        out[r] = pairwise_sum(row, 0, slot.shape[1])


@njit(cache=True, inline="always")
def _fill_work(g: int, lanes: int, stages: int, cols: np.ndarray, graph: np.ndarray, by_dst: np.ndarray,
               by_src: np.ndarray, ranges: np.ndarray, work: np.ndarray,
               paths: np.ndarray) -> None:  # pragma: no cover - compiled
    """What table section ``g`` has at ``lanes`` and ``stages`` under every budget, into its entries of ``work``
    and ``paths`` (one work row): its kernels' units and cycles per unit (:func:`.kernels.unit_work` at
    ``⌈rows/n_tile⌉`` rows per step) and the chain's ``head``, along its on-chip edges by consumer, and
    ``down``, along them by producer descending (:func:`.cycle._chains`' float operations with no transfers;
    only the edges whose consumer, or producer, lies in the run are visited, in the same order: one range
    of ``by_dst`` and of ``by_src``). Inlined into :func:`_chains`, as is :func:`_fill_section`: as calls,
    their array arguments' reference counts cost about a quarter of a section."""
    kind, outer, m, kk, rows = graph[0], graph[1], graph[2], graph[3], graph[4]
    first, last, nt, tp, at = cols[0, g], cols[1, g], cols[2, g], cols[3, g], cols[4, g]
    for i in range(last - first + 1):
        q = first + i
        work[at + i, 0], work[at + i, 1] = unit_work(kind[q], outer[q], m[q], kk[q], -(-rows[q] // nt), tp, lanes,
                                                     stages)
        paths[at + i, 0] = 0.0
        paths[at + i, 1] = 0.0
    for e in range(ranges[0, first], ranges[0, last + 1]):
        p, c = by_dst[e, 0], by_dst[e, 1]
        if first <= p <= last and first <= c <= last:
            paths[at + c - first, 0] = maximum(paths[at + c - first, 0],
                                               paths[at + p - first, 0] + float(work[at + p - first, 1]))
    for e in range(ranges[1, last], ranges[2, first]):
        p, c = by_src[e, 0], by_src[e, 1]
        if first <= p <= last and first <= c <= last:
            paths[at + p - first, 1] = maximum(paths[at + p - first, 1],
                                               float(work[at + c - first, 1]) + 0.0 + paths[at + c - first, 1])


@njit(cache=True, inline="always")
def _fill_section(g: int, k: int, params: np.ndarray, cols: np.ndarray, pcu: np.ndarray, chain: np.ndarray,
                  work: np.ndarray, paths: np.ndarray, units: np.ndarray, per_unit: np.ndarray, own: np.ndarray,
                  kernels: np.ndarray) -> None:  # pragma: no cover - compiled
    """Table section ``g`` under split ``k`` (``params[k]``: lanes, stages, budget), from its :func:`_fill_work`
    row ``work``, ``paths``: balanced PCUs (:func:`.mapping.balance_section`) into ``pcu[k]`` and its chain,
    the most of ``head + steps + 0 + down``, into ``chain[k, g]``. ``units``, ``per_unit``, ``own``: scratch
    of at least the section's length (set here before use); ``kernels``: ``0, 1, …``."""
    first, last, nt, at = cols[0, g], cols[1, g], cols[2, g], cols[4, g]
    n = last - first + 1
    for i in range(n):
        units[i], per_unit[i] = work[at + i, 0], work[at + i, 1]
        own[i] = 1
    mp.balance_section(units, per_unit, kernels[:n], params[k, 2], own)
    best = 0.0
    for i in range(n):
        pcu[k, at + i] = own[i]
        steps = float(nt * (-(-units[i] // max(own[i], 1)) * per_unit[i]))
        best = maximum(best, paths[at + i, 0] + steps + 0.0 + paths[at + i, 1])
    chain[k, g] = best
