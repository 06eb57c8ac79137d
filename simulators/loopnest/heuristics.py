"""The default mapping heuristic of the *successive* formulation (hardware first, then mapping).

One fixed mapping per layer, chosen without any search: the hardware's dataflow (a flexible
array keeps weight-stationary, the common default), weight-then-input stationarity for both loop
orders, and every inner tile at the top of its ladder (the whole temporal extent inside, so the
memories' greedy bottom-up cuts keep as much as fits in each level). The same rule as the
"fixed dataflow, maximal tiles" baselines of hardware-first design flows (docs/coopt.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulators.loopnest.mapping import TILE_LEVELS
from simulators.loopnest.problem import DIMS

#: dataflow the heuristic gives each layer of a flexible array
FLEX_DEFAULT = "ws"
#: loop-order knobs (inner and outer): weights stationary first, then inputs
ORDER = "WI"


def heuristic_mapping(layer_names: list[str], dataflow: str) -> dict[str, Any]:
    """The per-layer knobs (``LAYER.dataflow``, ``LAYER.order_in`` … ``LAYER.tile_<DIM>``) of the
    heuristic mapping for every layer of a machine with ``dataflow`` (ws, os, is or flex)."""
    df = FLEX_DEFAULT if dataflow == "flex" else dataflow
    out: dict[str, Any] = {}
    for name in layer_names:
        out[f"{name}.dataflow"] = df
        out[f"{name}.order_in"] = ORDER
        out[f"{name}.order_out"] = ORDER
        out[f"{name}.hold"] = "fill"
        out.update({f"{name}.tile_{d}": TILE_LEVELS - 1 for d in DIMS})
    return out


def heuristic_design(hardware: Mapping[str, Any], layer_names: list[str]) -> dict[str, Any]:
    """A per-layer-mode design: ``hardware`` (an auto-mode design; its ``dataflow`` and
    ``mapping_objective`` are consumed) with the heuristic mapping of every layer."""
    hw = {k: v for k, v in hardware.items() if k not in ("dataflow", "mapping_objective")}
    return {**hw, **heuristic_mapping(layer_names, str(hardware["dataflow"]))}
