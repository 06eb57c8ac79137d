"""Per-layer mapping search: every encoded mapping of a layer evaluated as one array.

``best_mapping`` is exhaustive over :class:`~.mapping.LayerMappings` (all spatial options ×
36 loop-order pairs × the tile ladders), LOMA-style memory allocation inside :mod:`.cost`.
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


@dataclass
class LayerResult:
    """The chosen mapping of one layer and its costs (a one-candidate :class:`cost.Costs`)."""

    layer: LoopLayer
    option: int
    code: np.ndarray           # (order_in, order_out, tile level per dim)
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
    space = LayerMappings(layer, hw) if levels is None else LayerMappings(layer, hw, levels)
    best: LayerResult | None = None
    best_score = np.inf
    energies, cycles = [], []
    total = 0
    for s, spatial in enumerate(space.spatial):
        codes, dims, facs = space.enumerate(s)
        c = cost.evaluate(layer, hw, spatial, dims, facs)
        total += len(codes)
        sc = score(c, objective)
        energies.append(c.energy_pj[c.valid])
        cycles.append(c.cycles[c.valid])
        i = int(np.argmin(sc))
        if sc[i] < best_score:
            best_score = float(sc[i])
            best = LayerResult(layer, s, codes[i], dims[i], facs[i], spatial, c.take(slice(i, i + 1)), 0, {})
    if best is None:
        raise ConfigError(f"layer {layer.name}: no mapping fits {hw.name}'s memories")
    e, t = np.concatenate(energies), np.concatenate(cycles)
    best.candidates = total
    best.spread = {"energy_worst_over_best": float(e.max() / e.min()),
                   "energy_median_over_best": float(np.median(e) / e.min()),
                   "latency_worst_over_best": float(t.max() / t.min()),
                   "latency_median_over_best": float(np.median(t) / t.min())}
    return best


def evaluate_code(layer: LoopLayer, hw: Hardware, option: int, code: np.ndarray,
                  levels: int | None = None) -> cost.Costs:
    """Costs of given encoded mappings (``code``: N × (2 + dims)) under one spatial option."""
    space = LayerMappings(layer, hw) if levels is None else LayerMappings(layer, hw, levels)
    code = np.atleast_2d(code)
    dims, facs = space.decode(option, code[:, 0], code[:, 1], code[:, 2:])
    return cost.evaluate(layer, hw, space.spatial[option], dims, facs)
