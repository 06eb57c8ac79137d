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
    width = max(p[3].shape[1] for p in parts)
    counts = [len(p[2]) for p in parts]
    dims = np.concatenate([_pad(p[3], width, -1) for p in parts])
    facs = np.concatenate([_pad(p[4], width, 1) for p in parts])
    cap = np.concatenate([p[5] for p in parts])
    spatial = np.concatenate([np.broadcast_to(spaces[li].spatial[s], (len(c), *spaces[li].spatial[s].shape))
                              for li, s, c, *_ in parts])
    geom = cost.Geometry.of([layers[li] for li, *_ in parts], counts)
    scores, energy, cycles = np.empty(len(dims)), np.empty(len(dims)), np.empty(len(dims))
    for lo in range(0, len(dims), chunk):
        hi = min(lo + chunk, len(dims))
        c = cost.evaluate_many(_slice(geom, lo, hi), hw, spatial[lo:hi], dims[lo:hi], facs[lo:hi], cap=cap[lo:hi])
        scores[lo:hi] = score(c, objective)
        energy[lo:hi] = np.where(c.valid, c.energy_pj, np.nan)
        cycles[lo:hi] = np.where(c.valid, c.cycles, np.nan)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    results = []
    for li, layer in enumerate(layers):
        segs = [k for k, p in enumerate(parts) if p[0] == li]
        lo, hi = bounds[segs[0]], bounds[segs[-1] + 1]
        i = lo + int(np.argmin(scores[lo:hi]))   # no mapping fits: an invalid result (costs.valid False)
        k = int(np.searchsorted(bounds, i, side="right") - 1)
        _, s, codes, *_ = parts[k]
        one = cost.evaluate_many(_slice(geom, i, i + 1), hw, spatial[i:i + 1], dims[i:i + 1], facs[i:i + 1],
                                 cap=cap[i:i + 1])
        spread = _spread(energy[lo:hi], cycles[lo:hi])
        results.append(LayerResult(layer, s, codes[i - bounds[k]], dims[i], facs[i], spaces[li].spatial[s], one,
                                   int(hi - lo), spread))
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


def _pad(a: np.ndarray, width: int, value: int) -> np.ndarray:
    return np.pad(a, ((0, 0), (0, width - a.shape[1])), constant_values=value)


def _slice(geom: cost.Geometry, lo: int, hi: int) -> cost.Geometry:
    return cost.Geometry(geom.sizes[lo:hi], geom.stride[lo:hi], geom.dilation[lo:hi], geom.input_hw[lo:hi], geom.bits)


def evaluate_code(layer: LoopLayer, hw: Hardware, option: int, code: np.ndarray,
                  levels: int | None = None) -> cost.Costs:
    """Costs of given encoded mappings (``code``: N × (3 + dims)) under one spatial option."""
    space = LayerMappings(layer, hw) if levels is None else LayerMappings(layer, hw, levels)
    code = np.atleast_2d(code)
    dims, facs, cap = space.decode(option, code[:, 0], code[:, 1], code[:, 2], code[:, 3:])
    return cost.evaluate(layer, hw, space.spatial[option], dims, facs, cap=cap)
