"""Allowed values of the FPGA design's knobs (docs/robustness.md, "Design values at the simulator API")."""

from __future__ import annotations

from simulators.common.domain import Bound, Choices, Domain
from simulators.fpga.devices import DEVICES
from simulators.fpga.precision import PRECISIONS
from simulators.fpga.space import RECONFIG, SCHEDULE, STYLES, WEIGHT_MEM

BOUNDS: dict[str, Domain] = {
    "tm": Bound(1, 1 << 16, integer=True),          # [A] engine lanes: 128× the space's largest (512)
    "tn": Bound(1, 1 << 16, integer=True),
    "buf_kib": Bound(1, 1 << 22, integer=True),     # [A] tile buffer ≤ 4 GiB
    "clock_mhz": Bound(0, 10_000, low_inclusive=False),   # [A] up to 10 GHz
    # [A] hybrid groups: the model holds (designs × groups) arrays; 256 is more than any zoo network's MAC
    # layers. 0 only where unread (tiled, streaming): the model refuses fewer than 1 for a hybrid
    "groups": Bound(0, 256, integer=True),
    "util_cap": Bound(0, 1, low_inclusive=False),   # [D] a fraction of each resource
    "fifo_depth": Bound(0, 1 << 20, integer=True),  # [A] words; 0 = auto-sized
    # per-layer folding (optional: absent = auto_fold), pe_LAYER / simd_LAYER lanes: [A] 2¹⁶, 16× the largest
    # the space or the auto-folder picks (streaming.FOLD_LIMIT = 4096); any count ≥ 1 is a design (ceil(MH/PE))
    "pe_*": Bound(1, 1 << 16, integer=True),
    "simd_*": Bound(1, 1 << 16, integer=True),
    # [D] categorical knobs: the model's own choices (reconfig, weight_mem, sched_1.. took any value as valid;
    # an unhashable device, a complex style were raw TypeErrors)
    "device": Choices(tuple(DEVICES)),
    "precision": Choices(tuple(PRECISIONS)),
    "style": Choices(STYLES),
    "reconfig": Choices(RECONFIG),
    "weight_mem": Choices(WEIGHT_MEM),
    "sched_*": Choices(SCHEDULE),
}
