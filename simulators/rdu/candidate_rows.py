"""A batch's mapper candidates as rows of the kernel graph's tables: one gather per stage (issue 17).

Each design's candidates are its hardware key's cuts (rows of the kernel graph's
:class:`.cut_table.CutTable`, by their table ids) split under the key's split (a row of the
:class:`.section_table.SectionTable`). :class:`CandidateRows` lays every design's candidates of a batch
end to end, so that the candidates the mappers pick, from any designs, are gathered from those tables
at once instead of design by design (the arrays :meth:`.mapping.Candidates.arrays` gives, to the bit).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np

from simulators.rdu import cut_table, section_table
from simulators.rdu import mapping as mp
from simulators.rdu.kernels import KernelGraph


class CandidateRows:
    """Candidates ``0 … C_i − 1`` of each design ``i`` of a batch as flat positions ``start[i] + j``: their
    cut table ids and splits, and the tables they index (valid while no cut set is added)."""

    def __init__(self, kg: KernelGraph, word_bytes: int, ids: Sequence[np.ndarray], splits: Sequence[int]) -> None:
        sizes = [len(i) for i in ids]
        self.start = np.cumsum([0, *sizes[:-1]]).astype(np.int64)
        self.ids = np.concatenate(ids) if len(ids) != 1 else ids[0]
        self.splits = np.asarray(splits, dtype=np.int64)     # each design's
        self.split = np.repeat(self.splits, sizes)              # each candidate's
        self.cuts, self.view = cut_table.table(kg, word_bytes).rows()
        self._sections = section_table.table(kg)

    def flat(self, picked: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
        """The flat positions of candidates ``picked[i]`` of each design ``i`` (in that order) and
        their designs."""
        sizes = [len(js) for js in picked]
        owner = np.repeat(np.arange(len(picked)), sizes)
        local = np.fromiter(chain.from_iterable(picked), dtype=np.int64, count=sum(sizes))
        return self.start[owner] + local, owner

    def arrays(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Section ids and PCUs ``(R, N)``, tiles, depths (float) and TP degrees ``(R,)`` of the candidates
        at ``flat`` positions: :func:`.analytical.evaluate_block`'s mapping inputs."""
        g = self.ids[flat]
        return (self.cuts.section[g], self._sections.pcu(self.view.entry[g], self.split[flat]), self.cuts.tile[g, 0],
                np.full(g.size, float(cut_table.DEPTH)), self.cuts.tp[g, 0])

    def tiles(self, flat: np.ndarray) -> np.ndarray:
        """``(R,)`` the tile rows of the candidates at ``flat`` positions."""
        return self.cuts.tile[self.ids[flat], 0]

    def cut_set(self, flat: np.ndarray) -> tuple[mp.CutSet, np.ndarray, np.ndarray]:
        """The cuts of the candidates at ``flat`` positions, and their section table slots and entries
        (:class:`.section_table.CutView` rows)."""
        g = self.ids[flat]
        return self.cuts.take(g), self.view.slot[g], self.view.entry[g]
