"""Allowed values of the systolic hardware parameters (the loop-nest family's too): the limits
``archgym scalesim`` also puts on a SCALE-Sim config for the same quantities
(:data:`~simulators.systolic.scalesim_io.CONFIG_MAX` reads them from here). Every one is an integer: the
analytical model reads the hardware columns as int64. The mapping knob ``tile_folds`` (``LAYER.tile_folds``)
is bounded here too (a ``*.`` pattern: :mod:`simulators.common.domain`), and the categorical
``dataflow`` / ``fold_order`` (shared or ``LAYER.``) and ``tech`` take only the model's values. Sources:
docs/robustness.md, "Design values at the simulator API"."""

from __future__ import annotations

from simulators.common.domain import Bound, Choices, Domain
from simulators.common.technology import TECH_NODES
from simulators.systolic.hardware import DATAFLOWS
from simulators.systolic.space import FOLD_ORDERS

#: array side in PEs (SCALE-Sim's ``ArrayHeight`` / ``ArrayWidth``)
MAX_ARRAY_SIDE = 1 << 16
#: SRAM size in KB: 2²² KB = 4 GiB (SCALE-Sim's ``*SramSzkB``)
MAX_SRAM_KB = 1 << 22
#: DRAM or SRAM-bank bandwidth in words per cycle (SCALE-Sim's ``Bandwidth``, ``*BankBandwidth``)
MAX_WORDS_PER_CYCLE = 1 << 20

_SRAM = Bound(1, MAX_SRAM_KB, integer=True)
_TILE_FOLDS = Bound(1, 1 << 16, integer=True)
_DATAFLOW = Choices((*DATAFLOWS, *range(len(DATAFLOWS))))
_FOLD_ORDER = Choices((*FOLD_ORDERS, *range(len(FOLD_ORDERS))))

BOUNDS: dict[str, Domain] = {
    "rows": Bound(1, MAX_ARRAY_SIDE, integer=True),
    "cols": Bound(1, MAX_ARRAY_SIDE, integer=True),
    "ifmap_kb": _SRAM,
    "filter_kb": _SRAM,
    "ofmap_kb": _SRAM,
    "dram_bw": Bound(1, MAX_WORDS_PER_CYCLE, integer=True),
    "word_bytes": Bound(1, 8, integer=True),          # [A] up to FP64
    "clock_mhz": Bound(1, 100_000, integer=True),     # [A] up to 100 GHz
    # mapping knobs (optional: absent = 1): most outer folds per SRAM tile, shared or per layer; [A] 2¹⁶,
    # 1024× the spaces' largest (64); the model clips a tile to the fold count and to what fits the SRAMs
    "tile_folds": _TILE_FOLDS,
    "*.tile_folds": _TILE_FOLDS,
    # [D] categorical knobs, shared or per layer: the model's own choices, or their integer codes (the
    # analytical model's torch path: dataflow 0/1/2 = os/ws/is, fold order 0/1/2 = auto/col/row); any other
    # code (5) ran as a valid design, and a per-layer code 3 failed when its layer rows were read
    "dataflow": _DATAFLOW,
    "*.dataflow": _DATAFLOW,
    "fold_order": _FOLD_ORDER,
    "*.fold_order": _FOLD_ORDER,
    # [D] the technology nodes the energy model has (an unhashable value was a raw TypeError)
    "tech": Choices(tuple(TECH_NODES)),
}
