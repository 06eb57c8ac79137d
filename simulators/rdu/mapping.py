"""Mappings of a kernel graph onto an RDU: section cuts, PCUs per kernel, tile, depth, TP.

A :class:`Mapping` cuts the kernels (topological order) into contiguous *sections*, each of
which is configured onto the chip at once and runs as a pipeline; edges inside a section stay
on chip. Builders here are pure functions of one design:

* :func:`greedy_cuts` — fuse kernels while the section's buffers and weights fit in the PMUs
  and it has PCUs to spare (DFModel's SRAM constraint, without weight tiling);
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


def rows_per_step(kg: KernelGraph, section: np.ndarray, tile: int) -> np.ndarray:
    """Rows each kernel processes per pipeline step (its section's tile count is the max)."""
    nt = -(-kg.rows // max(int(tile), 1))
    n_sec = int(section.max()) + 1
    sec_nt = np.zeros(n_sec, dtype=np.int64)
    np.maximum.at(sec_nt, section, nt)
    return -(-kg.rows // sec_nt[section])


def greedy_cuts(kg: KernelGraph, hw: MappingABC[str, Any], word_bytes: int, tile: int, depth: int,
                tp: int, max_len: int | None = None) -> np.ndarray:
    """Section ids: extend the current section while its PMU bytes and PCU count fit."""
    wb = float(word_bytes)
    sram = float(hw["n_pmu"]) * float(hw["pmu_kib"]) * 1024.0
    limit = min(int(hw["n_pcu"]), max_len or len(kg))
    nt = -(-kg.rows // max(int(tile), 1))
    tile_out = kg.out_elems * wb / tp / nt
    weights = kg.weight_elems * wb / tp
    preds: list[list[int]] = [[] for _ in range(len(kg))]
    for s, d in zip(kg.edge_src.tolist(), kg.edge_dst.tolist()):
        preds[d].append(s)
    # plain Python floats: the same IEEE operations as numpy scalars, without their per-call overhead
    t_out, own_b = tile_out.tolist(), (2.0 * tile_out + 2.0 * kg.src_in_elems * wb / nt + weights).tolist()
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


def balanced_pcus(units: np.ndarray, per_unit: np.ndarray, section: np.ndarray, budget: int) -> np.ndarray:
    """PCUs per kernel minimising each section's ``max_k ⌈units_k/P_k⌉·per_unit_k`` under ``Σ P_k ≤ budget``:
    a binary search on the step time, all sections at once (integer arithmetic)."""
    n_sec = int(section.max()) + 1
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
    return np.where(size[section] > budget, 1, -(-units // (lo[section] // per_unit)))


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


def work(kg: KernelGraph, hw: MappingABC[str, Any], section: np.ndarray, tile: int,
         tp: int) -> tuple[np.ndarray, np.ndarray]:
    """``(units, cycles per unit)`` of every kernel under ``section`` and ``tile``."""
    return units_and_unit_cycles(kg, rows_per_step(kg, section, tile), tp, int(hw["lanes"]),
                                 int(hw["stages"]))


def build(kg: KernelGraph, hw: MappingABC[str, Any], word_bytes: int, tile: int, depth: int, tp: int,
          cuts: str | np.ndarray = "greedy", alloc: str = "balanced", max_len: int | None = None,
          shares: np.ndarray | None = None) -> Mapping:
    """One mapping. ``cuts``: ``"greedy"``, ``"unfused"`` (one kernel per section), ``"fused"``
    (one section) or an array of 0/1 cut-before flags; ``alloc``: balanced, share or equal."""
    n = len(kg)
    if isinstance(cuts, str):
        if cuts == "greedy":
            section = greedy_cuts(kg, hw, word_bytes, tile, depth, tp, max_len)
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
