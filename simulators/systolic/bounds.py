"""Allowed values of the systolic hardware parameters (the loop-nest family's too): the limits
``archgym scalesim`` puts on a SCALE-Sim config for the same quantities
(:data:`~simulators.systolic.scalesim_io.CONFIG_MAX`, not imported: that module's import costs ~0.2 s;
tests/test_design_bounds.py keeps the two equal). Every one is an integer: the analytical model reads the
hardware columns as int64. Sources: docs/robustness.md, "Design values at the simulator API"."""

from __future__ import annotations

from simulators.common.domain import Bound

#: SRAM size in KB: ≤ 2²² KB = 4 GiB, as a SCALE-Sim config's ``*SramSzkB``
_SRAM = Bound(1, 1 << 22, integer=True)

BOUNDS: dict[str, Bound] = {
    "rows": Bound(1, 1 << 16, integer=True),
    "cols": Bound(1, 1 << 16, integer=True),
    "ifmap_kb": _SRAM,
    "filter_kb": _SRAM,
    "ofmap_kb": _SRAM,
    "dram_bw": Bound(1, 1 << 20, integer=True),       # words/cycle
    "word_bytes": Bound(1, 8, integer=True),          # [A] up to FP64
    "clock_mhz": Bound(1, 100_000, integer=True),     # [A] up to 100 GHz
}
