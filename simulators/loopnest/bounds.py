"""Allowed values of the loop-nest family's numeric parameters (docs/robustness.md, "Design values at the
simulator API"): the systolic hardware's, the per-layer tile steps ``LAYER.tile_D``, and the per-layer
categorical knobs ``LAYER.dataflow`` / ``order_in`` / ``order_out`` / ``hold``, and the categorical
``dataflow``, ``mapping_objective`` and ``tech``."""

from __future__ import annotations

from simulators.common.domain import Bound, Choices, Domain
from simulators.loopnest.hardware import DATAFLOWS, SYSTOLIC_SPATIAL
from simulators.loopnest.mapping import HOLDS, ORDER_NAMES, TILE_LEVELS
from simulators.loopnest.problem import DIMS
from simulators.loopnest.search import MAPPING_OBJECTIVES
from simulators.systolic.bounds import BOUNDS as SYSTOLIC

_ORDER = Choices(ORDER_NAMES)

BOUNDS: dict[str, Domain] = {
    # the systolic hardware's numeric bounds; loopnest's dataflow adds "flex" and takes no integer codes
    **{n: b for n, b in SYSTOLIC.items() if isinstance(b, Bound)},
    # [D] the auto mode's categorical knobs: the model's own choices (an unhashable value was a raw
    # TypeError); the technology node as the systolic family's
    "dataflow": Choices(DATAFLOWS),
    "mapping_objective": Choices(MAPPING_OBJECTIVES),
    "tech": SYSTOLIC["tech"],
    # [D] a step of the tile ladder (0 = a tile of 1, TILE_LEVELS − 1 = the whole dimension): the model
    # indexes the ladder with it (−1 took the top step, 3 was an IndexError)
    **{f"*.tile_{d}": Bound(0, TILE_LEVELS - 1, integer=True) for d in DIMS},
    # [D] per-layer categorical knobs: the model's own choices (anything else was a raw ValueError)
    "*.dataflow": Choices(tuple(SYSTOLIC_SPATIAL)),
    "*.order_in": _ORDER,
    "*.order_out": _ORDER,
    "*.hold": Choices(HOLDS),
}
