"""Mappings of a kernel graph onto an RDU: section cuts, PCUs per kernel, tile, depth, TP.

A :class:`Mapping` cuts the kernels (topological order) into contiguous *sections*, each of
which is configured onto the chip at once and runs as a pipeline; edges inside a section stay
on chip. Builders here are pure functions of one design:

* :func:`greedy_cuts` — fuse kernels while the section's buffers and weights fit in an SRAM
  budget and it has PCUs to spare (DFModel's SRAM constraint, without weight tiling);
* :func:`ladder_cuts` — the distinct greedy cuts for every budget of a fixed ladder up to twice
  the chip's SRAM (the default mapper's cut set: it only grows with the SRAM, so more PMUs never
  lose a candidate, issue 20);
* :func:`balanced_pcus` — the PCU split that minimises the section's slowest stage
  (binary search on the step time; exact for the ``⌈units/P⌉·cycles`` model);
* :func:`share_pcus`, :func:`equal_pcus` — work-proportional (with per-kernel shares) and naive splits.

The inner loops of :func:`greedy_cuts` / :func:`ladder_cuts` and :func:`balanced_pcus` are compiled
with numba (:func:`_greedy_ladder`, :func:`_balanced`: the plain-Python versions' integer and float
operations in the same order, so the same cuts and PCUs to the bit; ``tests/test_rdu_mapper_fast.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any, overload

import numpy as np
from numba import njit

from simulators.rdu.kernels import KernelGraph, units_and_unit_cycles

#: SRAM budgets per octave of :func:`ladder_cuts` (budgets ``2^(k/LADDER_STEPS)`` bytes), and the
#: largest budget as a multiple of the chip's SRAM. Measured trade-offs (docs/rdu.md, "More PCUs or
#: PMUs"): 1 step left a design 0.08 % slower than version 2's exact-SRAM greedy, 4 steps cost twice
#: as much as 2 for no gain; without the 2× headroom 47 of 301 Llama decode designs were slower.
LADDER_STEPS = 2
LADDER_HEADROOM = 2.0


@dataclass(frozen=True)
class Mapping:
    """Section id and PCU count per kernel, plus the global tiling and parallelism choices."""

    section: np.ndarray
    pcu: np.ndarray
    tile: int
    depth: int
    tp: int

    def key(self) -> tuple[Any, ...]:
        """What tells two candidate mappings of a mapper apart: cut, PCUs, tile and TP (not the
        depth: the mappers' is always 2)."""
        return _key(self.section, self.pcu, self.tile, self.tp)

    def describe(self, kg: KernelGraph, pmu: np.ndarray | None = None) -> dict[str, Any]:
        """JSON-serialisable description (kernel names and allocations per section)."""
        members: dict[int, list[int]] = {}
        for i, s in enumerate(self.section.tolist()):
            members.setdefault(s, []).append(i)
        pcu, names = self.pcu.tolist(), kg.names
        pmus = None if pmu is None else pmu.tolist()      # Python numbers: one conversion, not one per section
        sections = []
        for s in sorted(members):
            entry: dict[str, Any] = {"kernels": [names[i] for i in members[s]],
                                     "pcu": [int(pcu[i]) for i in members[s]]}
            if pmus is not None:
                entry["pmu"] = int(pmus[s])
            sections.append(entry)
        return {"tile_rows": int(self.tile), "buffer_depth": int(self.depth), "tp": int(self.tp),
                "n_sections": len(sections), "sections": sections}


def rows_per_step(kg: KernelGraph, section: np.ndarray, tile: int | np.ndarray) -> np.ndarray:
    """Rows each kernel processes per pipeline step (its section's tile count is the max).
    ``section`` is one cut ``(N,)`` or several ``(C, N)`` (then ``tile`` may be ``(C, 1)``);
    the result has its shape."""
    cuts = np.atleast_2d(section)
    return (-(-kg.rows // section_tiles(kg, cuts, tile))).reshape(np.shape(section))


def section_tiles(kg: KernelGraph, cuts: np.ndarray, tile: int | np.ndarray) -> np.ndarray:
    """``(C, N)``: the tile count of each kernel's section (the most of its kernels' ``⌈rows/tile⌉``)
    under ``(C, N)`` ``cuts`` (``tile`` a number or ``(C, 1)``)."""
    flat = _flat_sections(cuts)
    rows = np.broadcast_to(kg.rows, cuts.shape).ravel()
    nt = -(-rows // np.broadcast_to(np.maximum(np.asarray(tile, dtype=np.int64), 1), cuts.shape).ravel())
    sec_nt = np.zeros(int(flat.max()) + 1, dtype=np.int64)
    np.maximum.at(sec_nt, flat, nt)
    return sec_nt[flat].reshape(cuts.shape)


@dataclass(frozen=True)
class CutSet:
    """Candidate cuts stacked, with what does not depend on the PCUs: ``(C, N)`` section ids,
    tile counts of each kernel's section and rows per step; ``(C, 1)`` tile rows and TP degrees."""

    section: np.ndarray
    n_tile: np.ndarray
    rows: np.ndarray
    tile: np.ndarray
    tp: np.ndarray

    @classmethod
    def of(cls, kg: KernelGraph, cuts: list[tuple[np.ndarray, int, int]]) -> CutSet:
        """The set of ``(cut, tile, tp)`` ``cuts`` (in order)."""
        section = np.stack([c for c, _, _ in cuts])
        tile, tp = (np.array([[c[i]] for c in cuts], dtype=np.int64) for i in (1, 2))
        n_tile = section_tiles(kg, section, tile)
        return cls(section, n_tile, -(-kg.rows // n_tile), tile, tp)

    def take(self, rows: np.ndarray) -> CutSet:
        """The cuts ``rows`` of this set."""
        return CutSet(*(getattr(self, f.name)[rows] for f in fields(self)))

    @classmethod
    def joined(cls, sets: Sequence[CutSet]) -> CutSet:
        """``sets`` one after the other."""
        return cls(*(np.concatenate([getattr(c, f.name) for c in sets]) for f in fields(cls)))

    @cached_property
    def rows_by_key(self) -> dict[tuple[bytes, int, int], int]:
        """Row of each ``(cut bytes, tile, tp)`` (they are distinct)."""
        return {(c.tobytes(), t, q): r for r, (c, t, q) in
                enumerate(zip(self.section, self.tile.ravel().tolist(), self.tp.ravel().tolist()))}

    def work(self, kg: KernelGraph, lanes: int | np.ndarray, stages: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:func:`work` of every cut: ``(units, cycles per unit)``, ``(C, N)``; ``lanes`` and
        ``stages`` numbers or ``(C, 1)`` arrays."""
        return units_and_unit_cycles(kg, self.rows, self.tp, np.asarray(lanes, dtype=np.int64),
                                     np.asarray(stages, dtype=np.int64))


class Candidates(Sequence[Mapping]):
    """Mappings of the cuts of a :class:`CutSet` with PCUs read by ``pcu(rows)`` (``(len(rows), N)``;
    depth fixed), held as arrays: a :class:`Mapping` is made, and its PCUs read, when one is read
    (a mapper reads few of its candidates)."""

    def __init__(self, cuts: CutSet, pcu: Callable[[np.ndarray], np.ndarray], depth: int) -> None:
        self.cuts, self.pcu, self.depth = cuts, pcu, depth

    @cached_property
    def _tile(self) -> list[int]:
        """Each candidate's tile rows (read when a :class:`Mapping` is made: one design's path makes none)."""
        return self.cuts.tile.ravel().tolist()

    @cached_property
    def _tp(self) -> list[int]:
        """Each candidate's TP degree (as :attr:`_tile`)."""
        return self.cuts.tp.ravel().tolist()

    def __len__(self) -> int:
        return len(self.cuts.tile)

    @overload
    def __getitem__(self, j: int) -> Mapping: ...

    @overload
    def __getitem__(self, j: slice) -> list[Mapping]: ...

    def __getitem__(self, j: int | slice) -> Mapping | list[Mapping]:
        if isinstance(j, slice):
            return [self[i] for i in range(len(self))[j]]
        if not -len(self) <= j < len(self):
            raise IndexError(f"candidate {j} of {len(self)}")
        return Mapping(self.cuts.section[j], self.pcu(np.array([j]))[0], self._tile[j], self.depth, self._tp[j])

    def __iter__(self) -> Iterator[Mapping]:
        for c, p, t, q in zip(self.cuts.section, self.pcu(np.arange(len(self))), self._tile, self._tp):
            yield Mapping(c, p, t, self.depth, q)

    def arrays(self, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Section ids and PCUs ``(len(rows), N)``, tiles, depths and TP degrees ``(len(rows),)`` of
        candidates ``rows``, stacked (no :class:`Mapping` made)."""
        r = np.asarray(rows, dtype=np.int64)
        return (self.cuts.section[r], self.pcu(r), self.cuts.tile[r, 0], np.full(r.size, self.depth, dtype=np.int64),
                self.cuts.tp[r, 0])

    def __contains__(self, m: object) -> bool:
        """Whether ``m`` is one of these candidates (the same :meth:`Mapping.key`: a cut, tile and
        TP appear once in a :class:`CutSet`, so only its PCUs are compared)."""
        if not isinstance(m, Mapping):
            return False
        row = self.cuts.rows_by_key.get((m.section.tobytes(), m.tile, m.tp))
        return row is not None and self.pcu(np.array([row]))[0].tobytes() == m.pcu.tobytes()


def _key(section: np.ndarray, pcu: np.ndarray, tile: int, tp: int) -> tuple[Any, ...]:
    """:meth:`Mapping.key` of a mapping's fields."""
    return (section.tobytes(), pcu.tobytes(), tile, tp)


def split_cuts(cuts: CutSet, units: np.ndarray, per_unit: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    """``(C, N)`` balanced PCUs of every cut of ``cuts`` for its PCU budget ``budgets[c]`` given each
    kernel's ``(units, cycles per unit)`` (:func:`work`): one binary search over the sections of
    all of them (sections are independent: each cut's split equals its own)."""
    flat = _flat_sections(cuts.section)
    per_section = np.zeros(int(flat.max()) + 1, dtype=np.int64)
    per_section[flat] = np.repeat(budgets, cuts.section.shape[1])
    return balanced_pcus(units.ravel(), np.broadcast_to(per_unit, units.shape).ravel(), flat,
                         per_section).reshape(cuts.section.shape)


def _flat_sections(cuts: np.ndarray) -> np.ndarray:
    """Section ids of ``(C, N)`` cuts made distinct across cuts (``c·N + section``), flattened."""
    return (np.arange(cuts.shape[0])[:, None] * cuts.shape[1] + cuts).ravel()


def sram_bytes(hw: MappingABC[str, Any]) -> float:
    """On-chip SRAM of one socket, bytes."""
    return float(hw["n_pmu"]) * float(hw["pmu_kib"]) * 1024.0


def section_limit(kg: KernelGraph, hw: MappingABC[str, Any], max_len: int | None) -> int:
    """Most kernels per section: one PCU each, at most ``max_len``."""
    return min(int(hw["n_pcu"]), max_len or len(kg))


def _own_bytes(kg: KernelGraph, word_bytes: int, tile: int, tp: int) -> tuple[np.ndarray, np.ndarray]:
    """Per kernel: its output tile's bytes, and the PMU bytes it needs on its own (double-buffered
    output and graph inputs, its weights); memoised in ``kg.memo``."""
    if (key := ("own bytes", int(word_bytes), int(tile), int(tp))) not in kg.memo:
        wb = float(word_bytes)
        nt = -(-kg.rows // max(int(tile), 1))
        tile_out = kg.out_elems * wb / tp / nt
        weights = kg.weight_elems * wb / tp
        kg.memo[key] = (tile_out, 2.0 * tile_out + 2.0 * kg.src_in_elems * wb / nt + weights)
    return kg.memo[key]


def _preds(kg: KernelGraph) -> tuple[np.ndarray, np.ndarray]:
    """Each kernel's producers in edge order, as offsets and indices (memoised in ``kg.memo``)."""
    if (key := "preds by consumer") not in kg.memo:
        order = np.argsort(kg.edge_dst, kind="stable")
        ptr = np.zeros(len(kg) + 1, dtype=np.int64)
        np.add.at(ptr, kg.edge_dst.astype(np.int64) + 1, 1)
        kg.memo[key] = (np.cumsum(ptr), kg.edge_src[order].astype(np.int64))
    return kg.memo[key]


def greedy_cuts(kg: KernelGraph, sram: float, limit: int, word_bytes: int, tile: int, depth: int,
                tp: int) -> np.ndarray:
    """Section ids: extend the current section while its bytes fit in ``sram`` and it has at most
    ``limit`` kernels."""
    return _greedy_ladder(*_own_bytes(kg, word_bytes, tile, tp), *_preds(kg), np.array([float(sram)]),
                          int(limit), int(depth))[0]


@njit(cache=True)
def _greedy_ladder(t_out: np.ndarray, own_b: np.ndarray, p_ptr: np.ndarray, p_idx: np.ndarray,
                   budgets: np.ndarray, limit: int, depth: int) -> np.ndarray:
    """``(B, N)``: :func:`greedy_cuts` for each SRAM budget of ``budgets`` (``p_ptr``, ``p_idx``:
    :func:`_preds`). A kernel fused into the current section adds its own bytes, ``depth`` tiles of
    each on-chip input and two of each other input; one that starts a section, two of every input
    (sums in producer order, from 0: the plain-Python version's float operations)."""
    n = own_b.size
    out = np.zeros((budgets.size, n), dtype=np.int64)
    for b in range(budgets.size):
        sram = budgets[b]
        section = out[b]
        current, count, used = 0, 0, 0.0
        for i in range(n):
            inside, outside, every = 0.0, 0.0, 0.0
            for e in range(p_ptr[i], p_ptr[i + 1]):
                p = p_idx[e]
                every += t_out[p]
                if count > 0 and section[p] == current:
                    inside += t_out[p]
                else:
                    outside += t_out[p]
            fused = own_b[i] + depth * inside + 2.0 * outside
            if count > 0 and count < limit and used + fused <= sram:
                count, used = count + 1, used + fused
            else:  # start a new section: every input comes from memory
                current += 1 if count > 0 else 0
                count, used = 1, own_b[i] + 2.0 * every
            section[i] = current
    return out


def ladder_top(sram: float) -> int:
    """Index ``k`` of the largest budget ``2^(k/LADDER_STEPS)`` of :func:`ladder_cuts` for ``sram`` bytes."""
    return int(np.floor(np.log2(max(LADDER_HEADROOM * sram, 1.0)) * LADDER_STEPS))


def ladder_cuts(kg: KernelGraph, top: int, limit: int, word_bytes: int, tile: int, depth: int,
                tp: int) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct :func:`greedy_cuts` for every SRAM budget ``2^(k/LADDER_STEPS)`` bytes up to ``k =
    top`` (:func:`ladder_top` of a chip's SRAM: ``LADDER_HEADROOM × sram``; a cut sized for more SRAM
    may still fit by tiling its weights: the model judges), from the smallest kernel's own bytes (below
    it nothing fuses: the unfused cut) upwards, in order of first appearance, and the ``k`` of each
    one's first budget. The budgets do not depend on the chip, so a bigger SRAM keeps every cut of a
    smaller one (issue 20: greedy fusion at the chip's exact SRAM is not monotone in it), and the
    ladder up to a smaller ``top`` is the first cuts of this one, those whose ``k`` is at most
    ``max(top, k of the first)`` (:mod:`.cut_table` keeps the longest)."""
    t_out, own_b = _own_bytes(kg, word_bytes, tile, tp)
    low = int(np.floor(np.log2(max(float(own_b.min()), 1.0)) * LADDER_STEPS))
    budgets = np.array([2.0 ** (k / LADDER_STEPS) for k in range(low, max(top, low) + 1)])
    out: dict[bytes, tuple[np.ndarray, int]] = {}
    for k, cut in enumerate(_greedy_ladder(t_out, own_b, *_preds(kg), budgets, int(limit), int(depth)), start=low):
        out.setdefault(cut.tobytes(), (cut, k))
    return [c for c, _ in out.values()], np.array([k for _, k in out.values()], dtype=np.int64)


def balanced_many(kg: KernelGraph, hw: MappingABC[str, Any], cuts: list[tuple[np.ndarray, int, int]],
                  depth: int, budgets: list[int] | None = None) -> list[Mapping]:
    """:func:`allocate` with balanced PCUs for many ``(cut, tile, tp)`` at once, each for its PCU
    budget in ``budgets`` (default ``hw["n_pcu"]``; :func:`split_cuts`)."""
    stacked = CutSet.of(kg, cuts)
    units, per_unit = stacked.work(kg, hw["lanes"], hw["stages"])
    per_cut = np.array(budgets if budgets is not None else [int(hw["n_pcu"])] * len(cuts), dtype=np.int64)
    pcu = split_cuts(stacked, units, per_unit, per_cut)
    return [Mapping(c, p, int(t), int(depth), int(q)) for (c, t, q), p in zip(cuts, pcu)]


def balanced_pcus(units: np.ndarray, per_unit: np.ndarray, section: np.ndarray,
                  budget: int | np.ndarray) -> np.ndarray:
    """PCUs per kernel minimising each section's ``max_k ⌈units_k/P_k⌉·per_unit_k`` under ``Σ P_k ≤ budget``
    (one budget, or one per section id): a binary search on the step time per section
    (:func:`_balanced`, integer arithmetic)."""
    section = np.ascontiguousarray(section, dtype=np.int64)
    n_sec = int(section.max()) + 1
    budget = np.ascontiguousarray(np.broadcast_to(np.asarray(budget, dtype=np.int64), (n_sec,)))
    return _balanced(np.ascontiguousarray(units, dtype=np.int64), np.ascontiguousarray(per_unit, dtype=np.int64),
                     section, budget)


@njit(cache=True)
def _balanced(units: np.ndarray, per_unit: np.ndarray, section: np.ndarray, budget: np.ndarray) -> np.ndarray:
    """:func:`balanced_pcus` (``budget`` one per section id): per section, the least step time
    ``t`` whose PCUs ``Σ ⌈units/⌊t/per_unit⌋⌉`` fit the budget ``B``, then each kernel's PCUs at that
    ``t``; a section with more kernels than its budget gets one PCU per kernel (the model reports
    pcu_capacity). The search runs between two bounds of that least ``t`` (:func:`_step_bounds`);
    a lone kernel's least ``t`` is its lower bound, ``per_unit·⌈units/B⌉``."""
    n_sec = budget.size
    ptr = np.zeros(n_sec + 1, dtype=np.int64)
    for k in range(section.size):
        ptr[section[k] + 1] += 1
    ptr = np.cumsum(ptr)
    fill = ptr[:-1].copy()
    members = np.empty(section.size, dtype=np.int64)
    for k in range(section.size):
        members[fill[section[k]]] = k
        fill[section[k]] += 1
    out = np.ones(section.size, dtype=np.int64)
    for s in range(n_sec):
        balance_section(units, per_unit, members[ptr[s]:ptr[s + 1]], budget[s], out)
    return out


@njit(cache=True, inline="always")
def balance_section(units: np.ndarray, per_unit: np.ndarray, ks: np.ndarray, budget: int,
                    out: np.ndarray) -> None:  # pragma: no cover - compiled
    """:func:`_balanced` of one section, the kernels ``ks``: their PCUs into ``out[ks]`` (left as
    they are when the section is empty or has more kernels than ``budget``)."""
    if ks.size == 0 or ks.size > budget:
        return
    lo, hi = _step_bounds(units, per_unit, ks, budget)
    while lo < hi:
        mid = (lo + hi) // 2
        need = 0
        for k in ks:
            need += -(-units[k] // (mid // per_unit[k]))
        if need <= budget:
            hi = mid
        else:
            lo = mid + 1
    for k in ks:
        out[k] = -(-units[k] // (lo // per_unit[k]))


@njit(cache=True, inline="always")
def _step_bounds(units: np.ndarray, per_unit: np.ndarray, ks: np.ndarray, budget: int) -> tuple[int, int]:
    """Bounds ``lo ≤ t* ≤ hi`` of the least step time ``t*`` whose PCUs fit ``budget`` for the
    kernels ``ks`` (at most ``budget`` of them). Below: each kernel needs ``⌊t/per_unit⌋ ≥
    ⌈units/budget⌉`` (it gets at most the budget), and ``Σ units·per_unit ≤ budget·t`` (each PCU
    works at most ``t`` cycles); at least the slowest unit. Above: ``t`` at which each kernel needs
    at most ``q = ⌊budget/|ks|⌋`` PCUs (fits), at most the step on one PCU each."""
    q = budget // ks.size
    lo, hi, total, top = 0, 0, 0, 0
    for k in ks:
        lo = max(lo, per_unit[k] * -(-units[k] // budget))
        hi = max(hi, per_unit[k] * -(-units[k] // q))
        top = max(top, units[k] * per_unit[k])
        total += units[k] * per_unit[k]
    return max(lo, -(-total // budget)), min(hi, top)


def share_pcus(units: np.ndarray, per_unit: np.ndarray, section: np.ndarray, budget: int,
               shares: np.ndarray | None = None) -> np.ndarray:
    """One PCU per kernel, the rest of the budget in proportion to ``work × share`` (≤ ``units``)."""
    work = (units * per_unit).astype(float) * (1.0 if shares is None else np.asarray(shares, float))
    totals = np.bincount(section, weights=work)
    spare = np.maximum(budget - np.bincount(section), 0)[section]
    extra = np.floor(work / np.maximum(totals[section], 1e-30) * spare)
    return np.clip(1 + extra, 1, np.maximum(units, 1)).astype(np.int64)


def equal_pcus(section: np.ndarray, budget: int) -> np.ndarray:
    """The naive split: every kernel of a section gets the same number of PCUs."""
    counts = np.bincount(section)
    return np.maximum(budget // counts[section], 1).astype(np.int64)


def work(kg: KernelGraph, hw: MappingABC[str, Any], section: np.ndarray, tile: int | np.ndarray,
         tp: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(units, cycles per unit)`` of every kernel under ``section`` (one cut or ``(C, N)``) and ``tile``;
    ``hw``'s lanes and stages are numbers, or ``(C, 1)`` integer arrays (one per cut)."""
    lanes, stages = (np.asarray(hw[k], dtype=np.int64) for k in ("lanes", "stages"))
    return units_and_unit_cycles(kg, rows_per_step(kg, section, tile), tp, lanes, stages)


def build(kg: KernelGraph, hw: MappingABC[str, Any], word_bytes: int, tile: int, depth: int, tp: int,
          cuts: str | np.ndarray = "greedy", alloc: str = "balanced", max_len: int | None = None,
          shares: np.ndarray | None = None) -> Mapping:
    """One mapping. ``cuts``: ``"greedy"``, ``"unfused"`` (one kernel per section), ``"fused"``
    (one section) or an array of 0/1 cut-before flags; ``alloc``: balanced, share or equal."""
    n = len(kg)
    if isinstance(cuts, str):
        if cuts == "greedy":
            section = greedy_cuts(kg, sram_bytes(hw), section_limit(kg, hw, max_len), word_bytes, tile, depth, tp)
        elif cuts == "unfused":
            section = np.arange(n, dtype=np.int64)
        elif cuts == "fused":
            section = np.zeros(n, dtype=np.int64)
        else:
            raise ValueError(f"cuts: {cuts!r} is not allowed; allowed: greedy, unfused, fused, or flags")
    else:
        flags = np.asarray(cuts, dtype=np.int64).copy()
        flags[0] = 0
        section = np.cumsum(flags)
    return allocate(kg, hw, section, tile, depth, tp, alloc, shares)


def allocate(kg: KernelGraph, hw: MappingABC[str, Any], section: np.ndarray, tile: int, depth: int,
             tp: int, alloc: str = "balanced", shares: np.ndarray | None = None) -> Mapping:
    """The mapping of the cut ``section`` with PCUs split by ``alloc`` (balanced, share or equal)."""
    budget = int(hw["n_pcu"])
    if alloc == "equal":
        pcu = equal_pcus(section, budget)
    else:
        units, per_unit = work(kg, hw, section, tile, tp)
        pcu = (balanced_pcus(units, per_unit, section, budget) if alloc == "balanced"
               else share_pcus(units, per_unit, section, budget, shares))
    return Mapping(section, pcu, int(tile), int(depth), int(tp))


def tile_candidates(kg: KernelGraph) -> list[int]:
    """Tile sizes the default mapper tries: powers of four up to the longest row count, and it."""
    top = int(kg.rows.max())
    out = [t for t in (16, 64, 256, 1024) if t < top]
    return out + [top]
