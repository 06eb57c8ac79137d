"""Per-layer mapping search: every encoded mapping of a layer evaluated as one array.

``best_mappings`` is exhaustive over :class:`~.mapping.LayerMappings` (all spatial options ×
36 loop-order pairs × the tile ladders) for every layer of a network in a few array calls;
memory allocation is LOMA-style inside :mod:`.cost`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from archgym.errors import ConfigError
from simulators.loopnest import cost
from simulators.loopnest.hardware import Hardware
from simulators.loopnest.mapping import LayerMappings
from simulators.loopnest.problem import LoopLayer

MAPPING_OBJECTIVES = ("energy", "latency", "edp")
#: candidates per cost-model call: bounds memory whatever the network, and small arrays stay in cache
CHUNK = 2048


@dataclass
class LayerResult:
    """The chosen mapping of one layer and its costs (a one-candidate :class:`cost.Costs`)."""

    layer: LoopLayer
    option: int
    code: np.ndarray           # (order_in, order_out, hold, tile level per dim)
    dims: np.ndarray           # loop sequence, inner → outer
    facs: np.ndarray
    spatial: np.ndarray        # axes × dims
    costs: cost.Costs
    candidates: int            # mappings evaluated
    spread: dict[str, float]   # worst/best and median/best of valid candidates (energy, latency)


def score(c: cost.Costs, objective: str) -> np.ndarray:
    if objective == "energy":
        s = c.energy_pj
    elif objective == "latency":
        s = c.cycles + c.energy_pj * 1e-12   # energy breaks latency ties
    elif objective == "edp":
        s = c.energy_pj * c.cycles
    else:
        raise ConfigError.bad_value("mapping_objective", objective, MAPPING_OBJECTIVES)
    return np.where(c.valid, s, np.inf)


def best_mapping(layer: LoopLayer, hw: Hardware, objective: str = "edp",
                 levels: int | None = None) -> LayerResult:
    """The best encoded mapping of ``layer`` on ``hw`` for ``objective``."""
    return best_mappings([layer], hw, objective, levels)[0]


def best_mappings(layers: list[LoopLayer], hw: Hardware, objective: str = "edp", levels: int | None = None,
                  chunk: int = CHUNK) -> list[LayerResult]:
    """The best encoded mapping of every layer: all candidates of all layers and spatial options
    evaluated together, ``chunk`` at a time (memory stays bounded whatever the network)."""
    spaces = [LayerMappings(ly, hw) if levels is None else LayerMappings(ly, hw, levels) for ly in layers]
    parts = [(li, s, *sp.enumerate(s)) for li, sp in enumerate(spaces) for s in range(len(hw.spatial))]
    blocks = [cost.Block(layers[li], dims, facs, cap, spaces[li].spatial[s]) for li, s, _, dims, facs, cap in parts]
    counts = [len(b.dims) for b in blocks]
    scores, energy, cycles = np.empty(sum(counts)), np.empty(sum(counts)), np.empty(sum(counts))
    for sl, c in cost.evaluate_blocks(blocks, hw, chunk):
        scores[sl] = score(c, objective)
        energy[sl] = np.where(c.valid, c.energy_pj, np.nan)
        cycles[sl] = np.where(c.valid, c.cycles, np.nan)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    results = []
    for li, layer in enumerate(layers):
        segs = [k for k, p in enumerate(parts) if p[0] == li]
        lo, hi = bounds[segs[0]], bounds[segs[-1] + 1]
        i = lo + int(np.argmin(scores[lo:hi]))   # no mapping fits: an invalid result (costs.valid False)
        k = int(np.searchsorted(bounds, i, side="right") - 1)
        j, block = i - bounds[k], blocks[k]
        one = cost.evaluate(layer, hw, block.spatial, block.dims[j:j + 1], block.facs[j:j + 1],
                            cap=block.cap[j:j + 1])
        results.append(LayerResult(layer, parts[k][1], parts[k][2][j], block.dims[j], block.facs[j], block.spatial,
                                   one, int(hi - lo), _spread(energy[lo:hi], cycles[lo:hi])))
    return results


def _spread(energy: np.ndarray, cycles: np.ndarray) -> dict[str, float]:
    """Worst/best and median/best of the valid candidates (NaN: none valid)."""
    if np.isnan(energy).all():
        return dict.fromkeys(("energy_worst_over_best", "energy_median_over_best", "latency_worst_over_best",
                              "latency_median_over_best"), float("nan"))
    return {"energy_worst_over_best": float(np.nanmax(energy) / np.nanmin(energy)),
            "energy_median_over_best": float(np.nanmedian(energy) / np.nanmin(energy)),
            "latency_worst_over_best": float(np.nanmax(cycles) / np.nanmin(cycles)),
            "latency_median_over_best": float(np.nanmedian(cycles) / np.nanmin(cycles))}


def evaluate_code(layer: LoopLayer, hw: Hardware, option: int, code: np.ndarray,
                  levels: int | None = None) -> cost.Costs:
    """Costs of given encoded mappings (``code``: N × (3 + dims)) under one spatial option."""
    space = LayerMappings(layer, hw) if levels is None else LayerMappings(layer, hw, levels)
    code = np.atleast_2d(code)
    dims, facs, cap = space.decode(option, code[:, 0], code[:, 1], code[:, 2], code[:, 3:])
    return cost.evaluate(layer, hw, space.spatial[option], dims, facs, cap=cap)
