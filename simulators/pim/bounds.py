"""Allowed values of the PIM hardware parameters and mapping knobs (docs/robustness.md, "Design values at the simulator API")."""

from __future__ import annotations

from simulators.common.domain import Bound, Choices, Domain
from simulators.common.dram import DRAM_PRESETS
from simulators.pim.hardware import PRESETS
from simulators.pim.mapping import PLACES
from simulators.pim.space import ACT_MODES

#: every counted resource: at least one, and [A] at most 2¹⁶ (256× the spaces' largest: 256 registers, 64 lanes)
_COUNT = Bound(1, 1 << 16, integer=True)
#: split-K degree and rows per row block: 0 = auto, [A] at most 1024 (64× and 16× the spaces' largest, 16 and
#: 64); the cycle model's time grows with both (ResNet-18: 0.2 s at tile_rows 1024, 4 s at 16384)
_MAPPING = Bound(0, 1024, integer=True)

BOUNDS: dict[str, Domain] = {
    "channels": Bound(1, 4096, integer=True),        # [A] channels per stack (HBM3: 32 pseudo-channels)
    # [D] one PIM unit serves at most every bank of a channel, the most any DRAM standard has
    "banks_per_unit": Bound(1, max(t.banks for t in DRAM_PRESETS.values()), integer=True),
    "lanes": _COUNT,
    "pim_clock_mhz": Bound(0, 100_000, low_inclusive=False),   # [A] up to 100 GHz
    "irf_regs": _COUNT,
    "orf_regs": _COUNT,
    "host_tops": Bound(0, 1e6, low_inclusive=False),           # [A] up to 1 Eop/s
    "host_bw_gbs": Bound(0, 1e6, low_inclusive=False),         # [A] up to 1 PB/s
    # mapping knobs (optional), shared or per operator (OP.split_k, OP.tile_rows): 0 = the simulator's pick
    "split_k": _MAPPING,
    "*.split_k": _MAPPING,
    "tile_rows": _MAPPING,
    "*.tile_rows": _MAPPING,
    "sub_batches": Bound(0, 2, integer=True),       # [D] 0 = auto, 1, or 2 half batches: the model's choices
    # [D] categorical knobs: the model's own choices (act_mode and attn_place took any value as valid; an
    # unhashable preset or OP.place was a raw TypeError)
    "act_mode": Choices(ACT_MODES),
    "fc_place": Choices(PLACES),
    "attn_place": Choices(PLACES),
    "*.place": Choices(PLACES),
    "preset": Choices(tuple(PRESETS)),
}
