"""The cycle-level mapper's candidates, pruned before their analytical model (issue 17).

The cycle-level mapper (:meth:`RDUSimulator._auto_mappings`) takes the candidate with the lowest
simulated latency; its exact search needs every candidate's analytical model (validity and
:func:`.cycle.lower_bound`), the bulk of a cycle-level evaluation. A coarser bound needs far less:

``floor = Σ_sections chain / f + n_sections·t_reconfig + weight bytes / BW``

``chain`` is :func:`.cycle.lower_bound`'s chain in cycles with no transfer in it: per kernel, the
longest path of one-unit steps through its on-chip producers, its ``n_tile`` steps, and the longest
path of one-unit steps through its on-chip consumers; its section's most. (``BW`` is the faster
tier's bandwidth, DDR's without HBM.) Each term is at most its part of a section's
:func:`.cycle.lower_bound` term ``max(chain, T_dram, T_net) + T_setup`` (the transfers only add to
the chain; ``T_setup`` loads the weights at a mix of the two tiers' bandwidths, DDR's alone without
HBM, then reconfigures), so no simulation beats it, and it does not count the pipeline transfers,
which :meth:`RDUSimulator._fewer_pcus` leaves out too. Its cycle count, section count and weight
bytes depend only on the candidate and the hardware key of the candidate list, so they are
memoised with it. A design's candidates with the lowest floors are modelled and searched first
(:data:`PROBE` of them); a candidate whose floor exceeds the best latency found there cannot be
chosen, nor open a cut to smaller PCU budgets, and is dropped; so are the smaller budgets' splits
whose floor exceeds the best latency (:func:`below`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from collections.abc import Mapping as MappingABC
from typing import Any

import numpy as np
from numba import njit

from simulators.common.kernel_math import maximum
from simulators.rdu import cycle
from simulators.rdu import mapping as mp
from simulators.rdu.analytical import Model
from simulators.rdu.kernels import KernelGraph
from simulators.rdu.section_table import sections_and_weights

#: candidates per design modelled and simulated first for a best latency to prune with. Rows
#: modelled for 25 designs (probes + kept), ResNet-18 / BERT-base: 1 → 256 / 604, 3 → 302 / 584,
#: 6 → 377 on ResNet-18; 3 is kept so that an invalid lowest floor rarely leaves a design unpruned
PROBE = 3
#: relative margin of the floor below the exact sum of its terms (float rounding; assumed, as the
#: lower bound's own ``1e-9`` comparison margin in :func:`.cycle.best_candidate`)
FLOOR_SLACK = 1e-7

#: the hardware columns of a floor
_FLOOR_HW = ("ddr_bw_gbs", "hbm_gb", "hbm_bw_gbs", "clock_mhz", "reconfig_us")

#: the analytical model of candidates ``picked[i]`` of each design ``i``, in that order, and their
#: scores (:meth:`.simulator.RDUSimulator._scored` of the designs being mapped)
ScoreFn = Callable[[Sequence[Sequence[int]]], tuple[Model, np.ndarray]]


def floor_terms(kg: KernelGraph, hw: MappingABC[str, Any], cands: Sequence[mp.Mapping]) -> np.ndarray:
    """``(3, C)``: per candidate, the sum of its sections' chains (cycles, module docstring), its
    number of sections and its weight bytes per socket (the analytical model's own formulas). ``hw``'s
    lanes and stages are numbers or ``(C, 1)`` arrays (:func:`.mapping.work`)."""
    cuts = mp.CutSet.of(kg, [(m.section, m.tile, m.tp) for m in cands])
    units, per_unit = cuts.work(kg, hw["lanes"], hw["stages"])
    return cut_floor_terms(kg, cuts, units, per_unit, np.stack([m.pcu for m in cands]), hw["word_bytes"])


def cut_floor_terms(kg: KernelGraph, cuts: mp.CutSet, units: np.ndarray, per_unit: np.ndarray, pcu: np.ndarray,
                    word_bytes: int) -> np.ndarray:
    """:func:`floor_terms` of the cuts of ``cuts`` with their kernels' ``(units, cycles per unit)``
    and PCUs ``pcu`` (``(C, N)``)."""
    steps = (cuts.n_tile * (-(-units // np.maximum(pcu, 1)) * per_unit)).astype(float)
    unit = np.broadcast_to(per_unit, cuts.section.shape).astype(float)
    zero = np.zeros(cuts.section.shape)
    chain = np.zeros(cuts.section.shape)
    cycle.chains(kg, cuts.section, unit, zero, zero.copy(), zero.copy(), steps, chain)
    return np.stack([chain.sum(axis=1), *sections_and_weights(kg, cuts, word_bytes)])


def split_floor_terms(kg: KernelGraph, cuts: mp.CutSet, lanes: int | np.ndarray, stages: int | np.ndarray,
                      word_bytes: int) -> np.ndarray:
    """:func:`floor_terms` of a lower bound of the balanced split of each cut of ``cuts`` for a budget of
    one PCU, before splitting (the first row divided by a budget ``P``: the bound for ``P`` PCUs): a
    section's step is at least its kernels' work (units × cycles per unit) over the budget (the most of
    ``⌈units/P⌉·cycles`` is at least their PCU-weighted mean), and its chain at least ``n_tile`` steps.
    ``lanes``, ``stages``: numbers or ``(C, 1)``."""
    units, per_unit = cuts.work(kg, lanes, stages)
    work = (cuts.n_tile * units * per_unit).astype(float).sum(axis=1)
    return np.stack([work, *sections_and_weights(kg, cuts, word_bytes)])


def floors(terms: np.ndarray, hw: MappingABC[str, Any]) -> np.ndarray:
    """``(C,)`` seconds: :func:`floor_terms` at the clock, reconfiguration time and fastest memory
    tier holding weights (DDR alone without HBM, as the analytical model) of ``hw`` (numbers, or
    ``(C,)`` arrays: one design per candidate)."""
    n = terms.shape[1]
    cols = np.array([np.broadcast_to(np.asarray(hw[k], dtype=float), (n,)) for k in _FLOOR_HW]).reshape(-1, n)
    return _floors_of(terms, cols, np.arange(n))


def _floors_of(terms: np.ndarray, hw: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """:func:`floors` of candidate ``j`` at the :data:`_FLOOR_HW` columns ``hw[:, owner[j]]``."""
    out = np.empty(terms.shape[1])
    _floors(np.ascontiguousarray(terms, dtype=float), hw, np.asarray(owner, dtype=np.int64), out)
    return out


@njit(cache=True)
def _floors(terms: np.ndarray, hw: np.ndarray, owner: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """:func:`_floors_of`, compiled: ``cycles / f + n_sections · t_reconfig + weights / BW``, less
    :data:`FLOOR_SLACK`, with ``BW`` the larger of the HBM (at least ``1e-9`` GB/s) and DDR bandwidths
    when there is HBM, else DDR's (numpy's float operations, ``np.maximum`` as ``maximum``)."""
    for j in range(terms.shape[1]):
        ddr_bw, hbm_gb, hbm_bw, clock, reconfig = hw[0, owner[j]], hw[1, owner[j]], hw[2, owner[j]], \
            hw[3, owner[j]], hw[4, owner[j]]
        ddr = ddr_bw * 1e9
        bw = maximum(maximum(hbm_bw, 1e-9) * 1e9, ddr) if hbm_gb > 0 and hbm_bw > 0 else ddr
        exact = terms[0, j] / (clock * 1e6) + terms[1, j] * (reconfig * 1e-6) + terms[2, j] / bw
        out[j] = exact * (1.0 - FLOOR_SLACK)


def below(hw: np.ndarray, terms: np.ndarray, owner: np.ndarray, best: np.ndarray) -> np.ndarray:
    """``(C,)`` bool: whether the :func:`floors` of floor ``terms[:, j]`` at design ``owner[j]`` (its
    :func:`floor_hardware` column of ``hw``) does not exceed that design's ``best`` latency (``(D,)``;
    ``1e-9`` margin): the others cannot beat it."""
    return np.asarray(_floors_of(terms, hw, owner) <= best[owner] * (1 + 1e-9))


def split_bounds(chain: np.ndarray, clock_mhz: np.ndarray, model: Model, rows: np.ndarray) -> np.ndarray:
    """``(R,)`` seconds no simulation of a smaller PCU budget's split of the cut of ``model``'s row ``rows[r]``
    beats (pipeline transfers left out: :meth:`.simulator.RDUSimulator._fewer_pcus`): per used section slot
    the most of its chain ``chain[r]`` (cycles, the :class:`.section_table.SectionTable`'s under the split's
    PCUs) at clock ``clock_mhz[r]``, that row's ``T_dram`` and ``T_net``, plus its ``T_setup`` (none of
    the three depends on PCUs), summed, less :data:`FLOOR_SLACK`: each term is at most the
    :func:`.cycle.lower_bound` term of the split, whose chain adds transfers to this one."""
    per = np.maximum(np.maximum(chain / (clock_mhz[:, None] * 1e6), model.t_dram[rows]), model.t_net[rows])
    return np.where(model.used[rows], per + model.t_setup[rows], 0.0).sum(axis=1) * (1.0 - FLOOR_SLACK)


def columns(designs: Sequence[MappingABC[str, Any]], keys: Sequence[str]) -> np.ndarray:
    """``(len(keys), D)``: the columns ``keys`` of ``designs``, as floats."""
    rows = np.array([[d[k] for k in keys] for d in designs], dtype=float).reshape(len(designs), len(keys))
    return np.ascontiguousarray(rows.T)


def floor_hardware(designs: Sequence[MappingABC[str, Any]]) -> np.ndarray:
    """``(5, D)``: the :data:`_FLOOR_HW` columns of ``designs``."""
    return columns(designs, _FLOOR_HW)


def design_floors(designs: Sequence[MappingABC[str, Any]], terms: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Each design's :func:`floors` of its candidates' ``terms`` (all designs in one pass)."""
    if len(terms) == 1:
        return [_floors_of(terms[0], floor_hardware(designs), np.zeros(terms[0].shape[1], dtype=np.int64))]
    every, _ = _flat_floors(designs, terms)
    return np.split(every, np.cumsum([t.shape[1] for t in terms])[:-1])


def _flat_floors(designs: Sequence[MappingABC[str, Any]], terms: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`design_floors` laid end to end, and the design of each."""
    owner = np.repeat(np.arange(len(designs)), [t.shape[1] for t in terms])
    return _floors_of(np.concatenate(terms, axis=1), floor_hardware(designs), owner), owner


def lowest(fl: np.ndarray, start: np.ndarray, k: int) -> list[list[int]]:
    """Each design's ``k`` candidates of lowest floor, lowest first: the first ``k`` of
    ``np.argsort(kind="stable")`` of its own floors (equal floors in candidate order, NaN last), from the
    floors ``fl`` laid end to end (:func:`_flat_floors`; design ``i``'s from ``start[i]``), all designs in one
    compiled pass (:func:`_lowest`; a sort per design cost ~6 µs of Python and numpy on ~230 floors)."""
    out = np.empty((len(start), k), dtype=np.int64)
    _lowest(np.ascontiguousarray(fl, dtype=float), np.asarray(start, dtype=np.int64), out)
    ends = [*start.tolist()[1:], fl.size]
    return [row[:min(k, b - a)] for row, a, b in zip(out.tolist(), start.tolist(), ends)]


@njit(cache=True)
def _lowest(fl: np.ndarray, start: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """:func:`lowest` into ``out`` ``(D, k)`` (a design's first ``min(k, size)`` entries): each design's floors in
    order, each inserted after every kept one it does not come before (a lower floor comes before a higher one
    or NaN; an equal one, later in order, after it), the last dropped when ``k`` are kept."""
    k = out.shape[1]
    for i in range(start.size):
        a = start[i]
        b = start[i + 1] if i + 1 < start.size else fl.size
        kept = 0
        for j in range(a, b):
            v = fl[j]
            at = kept
            while at > 0 and not math.isnan(v) and (math.isnan(fl[a + out[i, at - 1]]) or v < fl[a + out[i, at - 1]]):
                at -= 1
            if at < k:
                for q in range(min(kept, k - 1), at, -1):
                    out[i, q] = out[i, q - 1]
                out[i, at] = j - a
                kept = min(kept + 1, k)


def _per_design(flat: np.ndarray, owner: np.ndarray, start: np.ndarray, n: int) -> list[list[int]]:
    """Positions ``flat`` (grouped by design ``owner[flat]`` in design order) as each of ``n`` designs' own
    candidate positions (``flat − start`` of its design)."""
    local = (flat - start[owner[flat]]).tolist()
    ends = np.cumsum(np.bincount(owner[flat], minlength=n)).tolist()
    return [local[a:b] for a, b in zip([0, *ends[:-1]], ends)]


def prune(designs: Sequence[MappingABC[str, Any]], kg: KernelGraph, cands: Sequence[Sequence[mp.Mapping]],
          terms: list[np.ndarray], scored: ScoreFn, memo: cycle.Memo) -> list[list[int]]:
    """Each design's candidates (their positions, in order) that the cycle-level mapper may still choose: the
    :data:`PROBE` lowest floors are modelled (``scored``) and searched together for all designs; a design with
    a valid one keeps the candidates whose floor does not exceed the best simulated latency
    (``1e-9`` margin, as :func:`.cycle.best_candidate`), one without keeps all. ``memo`` keeps the
    simulated sections for the search that follows (:func:`.cycle.section_times`)."""
    if not designs:
        return [list(range(len(c))) for c in cands]
    fl, of = _flat_floors(designs, terms)
    start = np.cumsum([0, *(t.shape[1] for t in terms[:-1])]).astype(np.int64)
    probes = lowest(fl, start, PROBE)
    owner = [i for i, p in enumerate(probes) for _ in p]
    if not owner:
        return [list(range(len(c))) for c in cands]
    first, _ = scored(probes)
    ok = np.logical_not(np.stack(list(first.violations.values())).any(axis=0)).tolist()
    bound = cycle.lower_bound(first, kg)
    rows: dict[int, list[int]] = {}
    for r, i in enumerate(owner):
        if ok[r]:
            rows.setdefault(i, []).append(r)
    found = cycle.best_candidates(first, bound, list(rows.values()), (kg.edge_src, kg.edge_dst), memo)
    best = np.zeros(len(designs))
    for i, (j, times) in zip(rows, found):
        best[i] = float(times.sum() + first.t_p2p[j])
    kept = _per_design(np.flatnonzero(fl <= best[of] * (1 + 1e-9)), of, start, len(designs))
    return [kept[i] if i in rows else list(range(len(c))) for i, c in enumerate(cands)]
