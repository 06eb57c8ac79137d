"""Allowed values of the DRAM controller's knobs and device (docs/robustness.md, "Design values at the simulator
API")."""

from __future__ import annotations

from simulators.common.domain import Bound, Choices, Domain
from simulators.dram.controller import CATEGORICAL, KNOBS
from simulators.dram.devices import PRESETS

#: [A] queue depths: 1 … 4096, the limit ``archgym dramsim3`` puts on DRAMsim3's queue sizes (the cycle
#: model allocates a buffer of MaxActiveTransactions + 1 entries)
_QUEUE = Bound(1, 4096, integer=True)
#: [D] JEDEC DDR4/LPDDR4 let at most 8 refreshes be postponed or pulled in
_REFRESH = Bound(1, 8, integer=True)

BOUNDS: dict[str, Domain] = {
    "RequestBufferSize": _QUEUE,
    "MaxActiveTransactions": _QUEUE,
    "RefreshMaxPostponed": _REFRESH,
    "RefreshMaxPulledin": _REFRESH,
    # [D] the categorical knobs and the device: the model's own choices (an empty list was a raw IndexError,
    # an unhashable value a TypeError)
    **{knob: Choices(KNOBS[knob]) for knob in CATEGORICAL},
    "device": Choices(tuple(PRESETS)),
}
