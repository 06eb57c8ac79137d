"""The default mapper's cut sets from one table of distinct cuts per kernel graph and word size (issue 17).

A hardware key's cut set (:func:`.simulator._cut_set`) is every distinct ``(cut, tile, tp)`` of the
SRAM-budget ladders (:func:`.mapping.ladder_cuts`) per tile size, TP degree and section-length cap, up
to the ladder top of its SRAM. The ladder up to a smaller top is the first cuts of a longer one, so
the ~36 cut sets of a random ResNet-18 search share most of their cuts. :class:`CutTable` numbers
each distinct ``(cut, tile, tp)`` once, with its :class:`.mapping.CutSet` row and its row of the
kernel graph's :class:`.section_table.SectionTable` view (both per cut), keeps per (tile, TP, cap)
the longest ladder built, and gives a cut set as those rows taken in the cut set's order: the
arrays building each cut set on its own gives, to the bit (``tests/test_rdu_sections.py``).
"""

from __future__ import annotations

from itertools import chain

import numpy as np

from simulators.rdu import mapping as mp
from simulators.rdu import section_table
from simulators.rdu.kernels import KernelGraph
from simulators.rdu.section_table import CutView

#: the depth of the default mapper's candidates (:class:`.mapping.Candidates`)
DEPTH = 2


class CutTable:
    """Distinct ``(cut, tile, tp)`` of one kernel graph's cut sets at one word size, each with its
    :class:`.mapping.CutSet` and :class:`.section_table.CutView` row, and its chain sum under each split
    it was split under (:meth:`chains`)."""

    def __init__(self, kg: KernelGraph, word_bytes: int) -> None:
        self._kg, self._wb = kg, word_bytes
        self._ids: dict[tuple[bytes, int, int], int] = {}
        self._ladders: dict[tuple[int, int, int], tuple[int, np.ndarray, np.ndarray]] = {}
        self._blocks: list[tuple[mp.CutSet, CutView]] = []
        self._all: tuple[mp.CutSet, CutView] | None = None
        self._sums: dict[int, np.ndarray] = {}       # per split: each id's chain sum, NaN where not yet split

    def cut_set(self, top: int, limits: tuple[int, ...], sockets: int) -> tuple[mp.CutSet, CutView, np.ndarray]:
        """The cut set of ladder top ``top``, section-length caps ``limits`` and ``sockets`` (TP degrees 1
        and ``sockets``): the distinct cuts of each tile size's, TP degree's and cap's ladder in that
        order, with their view and their table ids (rows of :meth:`rows`)."""
        ids: list[int] = []
        for tile in mp.tile_candidates(self._kg):
            for tp in sorted({1, sockets}):       # each id once per tile and TP, where it first appears
                ids.extend(dict.fromkeys(chain.from_iterable(self._ladder(tile, tp, limit, top).tolist()
                                                             for limit in limits)))
        cuts, view = self.rows()
        rows = np.array(ids, dtype=np.int64)
        return (cuts.take(rows), CutView(view.entry[rows], view.slot[rows], view.n_sections[rows], view.weights[rows]),
                rows)

    def chains(self, ids: np.ndarray, view: CutView, lanes: int, stages: int, budget: int) -> tuple[int, np.ndarray]:
        """The split of ``lanes``, ``stages`` and PCU ``budget`` (:meth:`.section_table.SectionTable.split_id`) and
        ``(C,)`` the chain sum under it of each cut ``ids`` (their ``view``, from :meth:`cut_set`;
        :meth:`.section_table.SectionTable.chains`), computed once per cut and split (a chain sum is finite)
        and then read back: a new hardware key shares most of its cuts with the keys before it."""
        sections = section_table.table(self._kg)
        k = sections.split_id(lanes, stages, budget)
        sums = self._sums.get(k)
        if sums is None or len(sums) < len(self._ids):
            grown = np.full(max(len(self._ids), 2 * (0 if sums is None else len(sums))), np.nan)
            if sums is not None:
                grown[:len(sums)] = sums
            sums = self._sums[k] = grown
        out = sums[ids]
        todo = np.flatnonzero(np.isnan(out))
        if todo.size:
            out[todo] = sums[ids[todo]] = sections.chains(view.slot[todo], np.full(todo.size, k))
        return k, out

    def _ladder(self, tile: int, tp: int, limit: int, top: int) -> np.ndarray:
        """The table ids of :func:`.mapping.ladder_cuts` up to ``top`` (a longer ladder built and
        numbered when the longest kept is shorter)."""
        key = (tile, tp, limit)
        kept = self._ladders.get(key)
        if kept is None or kept[0] < top:
            cuts, first = mp.ladder_cuts(self._kg, top, limit, self._wb, tile, DEPTH, tp)
            kept = self._ladders[key] = (top, self._number(cuts, tile, tp), first)
        _, ids, first = kept
        return ids[:int(np.searchsorted(first, max(top, int(first[0])), side="right"))]

    def _number(self, cuts: list[np.ndarray], tile: int, tp: int) -> np.ndarray:
        """The table ids of ``cuts`` at ``tile`` and ``tp`` (the new ones added, their rows built)."""
        new = [c for c in cuts if (c.tobytes(), tile, tp) not in self._ids]
        if new:
            block = mp.CutSet.of(self._kg, [(c, tile, tp) for c in new])
            self._blocks.append((block, section_table.table(self._kg).view(block, self._wb)))
            self._all = None
            for c in new:
                self._ids[c.tobytes(), tile, tp] = len(self._ids)
        return np.array([self._ids[c.tobytes(), tile, tp] for c in cuts], dtype=np.int64)

    def rows(self) -> tuple[mp.CutSet, CutView]:
        """Every numbered cut's rows, in id order (new arrays after a cut set adds cuts)."""
        if self._all is None:
            views = [v for _, v in self._blocks]
            self._all = (mp.CutSet.joined([c for c, _ in self._blocks]),
                         CutView(*(np.concatenate([getattr(v, f) for v in views])
                                   for f in ("entry", "slot", "n_sections", "weights"))))
        return self._all


def table(kg: KernelGraph, word_bytes: int) -> CutTable:
    """The kernel graph's :class:`CutTable` at ``word_bytes`` (memoised in ``kg.memo``)."""
    if (key := ("cut table", int(word_bytes))) not in kg.memo:
        kg.memo[key] = CutTable(kg, int(word_bytes))
    table: CutTable = kg.memo[key]
    return table
