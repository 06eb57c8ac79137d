"""Allowed values of the loop-nest family's numeric parameters (docs/robustness.md, "Design values at the
simulator API"): the systolic hardware's, and the per-layer tile steps ``LAYER.tile_D``."""

from __future__ import annotations

from simulators.common.domain import Bound
from simulators.loopnest.mapping import TILE_LEVELS
from simulators.loopnest.problem import DIMS
from simulators.systolic.bounds import BOUNDS as SYSTOLIC

BOUNDS: dict[str, Bound] = {
    **SYSTOLIC,
    # [D] a step of the tile ladder (0 = a tile of 1, TILE_LEVELS − 1 = the whole dimension): the model
    # indexes the ladder with it (−1 took the top step, 3 was an IndexError)
    **{f"*.tile_{d}": Bound(0, TILE_LEVELS - 1, integer=True) for d in DIMS},
}
