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
"""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass
from typing import Any

import numpy as np

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

    def describe(self, kg: KernelGraph, pmu: np.ndarray | None = None) -> dict[str, Any]:
        """JSON-serialisable description (kernel names and allocations per section)."""
        sections = []
        for s in np.unique(self.section):
            idx = np.flatnonzero(self.section == s)
            entry: dict[str, Any] = {"kernels": [kg.names[i] for i in idx],
                                     "pcu": [int(self.pcu[i]) for i in idx]}
            if pmu is not None:
                entry["pmu"] = int(pmu[s])
            sections.append(entry)
        return {"tile_rows": int(self.tile), "buffer_depth": int(self.depth), "tp": int(self.tp),
                "n_sections": len(sections), "sections": sections}


def rows_per_step(kg: KernelGraph, section: np.ndarray, tile: int | np.ndarray) -> np.ndarray:
    """Rows each kernel processes per pipeline step (its section's tile count is the max).
    ``section`` is one cut ``(N,)`` or several ``(C, N)`` (then ``tile`` may be ``(C, 1)``);
    the result has its shape."""
    cuts = np.atleast_2d(section)
    flat = _flat_sections(cuts)
    rows = np.broadcast_to(kg.rows, cuts.shape).ravel()
    nt = -(-rows // np.broadcast_to(np.maximum(np.asarray(tile, dtype=np.int64), 1), cuts.shape).ravel())
    sec_nt = np.zeros(int(flat.max()) + 1, dtype=np.int64)
    np.maximum.at(sec_nt, flat, nt)
    return (-(-rows // sec_nt[flat])).reshape(np.shape(section))


def _flat_sections(cuts: np.ndarray) -> np.ndarray:
    """Section ids of ``(C, N)`` cuts made distinct across cuts (``c·N + section``), flattened."""
    return (np.arange(cuts.shape[0])[:, None] * cuts.shape[1] + cuts).ravel()


def sram_bytes(hw: MappingABC[str, Any]) -> float:
    """On-chip SRAM of one socket, bytes."""
    return float(hw["n_pmu"]) * float(hw["pmu_kib"]) * 1024.0


def section_limit(kg: KernelGraph, hw: MappingABC[str, Any], max_len: int | None) -> int:
    """Most kernels per section: one PCU each, at most ``max_len``."""
    return min(int(hw["n_pcu"]), max_len or len(kg))


def _own_bytes(kg: KernelGraph, word_bytes: int, tile: int, tp: int) -> tuple[list[float], list[float]]:
    """Per kernel: its output tile's bytes, and the PMU bytes it needs on its own (double-buffered
    output and graph inputs, its weights)."""
    wb = float(word_bytes)
    nt = -(-kg.rows // max(int(tile), 1))
    tile_out = kg.out_elems * wb / tp / nt
    weights = kg.weight_elems * wb / tp
    # plain Python floats: the same IEEE operations as numpy scalars, without their per-call overhead
    return tile_out.tolist(), (2.0 * tile_out + 2.0 * kg.src_in_elems * wb / nt + weights).tolist()


def greedy_cuts(kg: KernelGraph, sram: float, limit: int, word_bytes: int, tile: int, depth: int,
                tp: int) -> np.ndarray:
    """Section ids: extend the current section while its bytes fit in ``sram`` and it has at most
    ``limit`` kernels."""
    t_out, own_b = _own_bytes(kg, word_bytes, tile, tp)
    preds: list[list[int]] = [[] for _ in range(len(kg))]
    for s, d in zip(kg.edge_src.tolist(), kg.edge_dst.tolist()):
        preds[d].append(s)
    section = [0] * len(kg)
    current, count, used = 0, 0, 0.0
    for i in range(len(kg)):
        own = own_b[i]
        inside = [p for p in preds[i] if count and section[p] == current]
        outside = [p for p in preds[i] if p not in inside]
        fused = own + depth * sum(t_out[p] for p in inside) + 2.0 * sum(t_out[p] for p in outside)
        if count and count < limit and used + fused <= sram:
            count, used = count + 1, used + fused
        else:  # start a new section: every input comes from memory
            current += 1 if count else 0
            count, used = 1, own + 2.0 * sum(t_out[p] for p in preds[i])
        section[i] = current
    return np.array(section, dtype=np.int64)


def ladder_top(sram: float) -> int:
    """Index ``k`` of the largest budget ``2^(k/LADDER_STEPS)`` of :func:`ladder_cuts` for ``sram`` bytes."""
    return int(np.floor(np.log2(max(LADDER_HEADROOM * sram, 1.0)) * LADDER_STEPS))


def ladder_cuts(kg: KernelGraph, sram: float, limit: int, word_bytes: int, tile: int, depth: int,
                tp: int) -> list[np.ndarray]:
    """The distinct :func:`greedy_cuts` for every SRAM budget ``2^(k/LADDER_STEPS)`` bytes up to
    ``LADDER_HEADROOM × sram`` (a cut sized for more SRAM may still fit by tiling its weights: the model
    judges), from the smallest kernel's own bytes (below it nothing fuses: the unfused cut)
    upwards. The budgets do not depend on the chip, so a bigger SRAM keeps every cut of a
    smaller one (issue 20: greedy fusion at the chip's exact SRAM is not monotone in it).
    Memoised in ``kg.memo``."""
    top = ladder_top(sram)
    key = ("ladder", int(word_bytes), int(tile), int(depth), int(tp), int(limit), top)
    if key not in kg.memo:
        _, own_b = _own_bytes(kg, word_bytes, tile, tp)
        low = int(np.floor(np.log2(max(min(own_b), 1.0)) * LADDER_STEPS))
        out: dict[bytes, np.ndarray] = {}
        for k in range(low, max(top, low) + 1):
            at = ("cut", *key[1:-1], k)
            if at not in kg.memo:
                kg.memo[at] = greedy_cuts(kg, 2.0 ** (k / LADDER_STEPS), limit, word_bytes, tile, depth, tp)
            out.setdefault(kg.memo[at].tobytes(), kg.memo[at])
        kg.memo[key] = list(out.values())
    return list(kg.memo[key])


def balanced_many(kg: KernelGraph, hw: MappingABC[str, Any], cuts: list[tuple[np.ndarray, int, int]],
                  depth: int, budgets: list[int] | None = None) -> list[Mapping]:
    """:func:`allocate` with balanced PCUs for many ``(cut, tile, tp)`` at once, each for its PCU
    budget in ``budgets`` (default ``hw["n_pcu"]``): one binary search over the sections of all
    of them (sections are independent: each result equals its own call)."""
    stacked = np.stack([c for c, _, _ in cuts])
    tile, tp = (np.array([[c[i]] for c in cuts], dtype=np.int64) for i in (1, 2))
    units, per_unit = work(kg, hw, stacked, tile, tp)
    flat = _flat_sections(stacked)
    per_cut = np.array(budgets if budgets is not None else [int(hw["n_pcu"])] * len(cuts), dtype=np.int64)
    per_section = np.zeros(int(flat.max()) + 1, dtype=np.int64)
    per_section[flat] = np.repeat(per_cut, stacked.shape[1])
    pcu = balanced_pcus(units.ravel(), np.broadcast_to(per_unit, units.shape).ravel(), flat,
                        per_section).reshape(stacked.shape)
    return [Mapping(c, p, int(t), int(depth), int(q)) for (c, t, q), p in zip(cuts, pcu)]


def balanced_pcus(units: np.ndarray, per_unit: np.ndarray, section: np.ndarray,
                  budget: int | np.ndarray) -> np.ndarray:
    """PCUs per kernel minimising each section's ``max_k ⌈units_k/P_k⌉·per_unit_k`` under ``Σ P_k ≤ budget``
    (one budget, or one per section id): a binary search on the step time, all sections at once
    (integer arithmetic)."""
    n_sec = int(section.max()) + 1
    budget = np.broadcast_to(np.asarray(budget, dtype=np.int64), (n_sec,))
    size = np.bincount(section, minlength=n_sec)
    lo = np.zeros(n_sec, dtype=np.int64)
    hi = np.zeros(n_sec, dtype=np.int64)
    np.maximum.at(lo, section, per_unit)
    np.maximum.at(hi, section, units * per_unit)
    lo = np.where(size > budget, hi, lo)        # infeasible sections: no search (the model reports pcu_capacity)
    while (active := lo < hi).any():
        mid = (lo + hi) // 2
        need = np.bincount(section, weights=-(-units // (mid[section] // per_unit)), minlength=n_sec)
        fits = need <= budget
        hi = np.where(active & fits, mid, hi)
        lo = np.where(active & ~fits, mid + 1, lo)
    return np.where(size[section] > budget[section], 1, -(-units // (lo[section] // per_unit)))


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
