"""The DRAM controller design space: ArchGym's DRAMSys knobs (same value sets), the address mapping,
and the device as a one-value parameter so a design is self-contained."""

from __future__ import annotations

from archgym.space import DesignSpace, Param, categorical, ordinal
from simulators.dram.controller import CATEGORICAL, DEFAULTS, KNOBS
from simulators.dram.devices import Device

#: sub-systems (the PettingZoo groups of the multi-agent env)
GROUPS: dict[str, tuple[str, ...]] = {
    "scheduling": ("Scheduler", "SchedulerBuffer", "RequestBufferSize"),
    "page_policy": ("PagePolicy",),
    "refresh": ("RefreshPolicy", "RefreshMaxPostponed", "RefreshMaxPulledin"),
    "buffering": ("RespQueue", "Arbiter", "MaxActiveTransactions"),
    "address_mapping": ("AddressMapping", "device"),  # the one-value device rides along
}


def knob_params() -> list[Param]:
    out: list[Param] = []
    for knob, values in KNOBS.items():
        make = categorical if knob in CATEGORICAL else ordinal
        out.append(make(knob, values, default=DEFAULTS[knob], doc=f"controller knob {knob}"))
    return out


def build_space(device: Device) -> DesignSpace:
    params = [*knob_params(), categorical("device", (device.name,), doc="DRAM device (simulators.dram.devices)")]
    return DesignSpace(tuple(params), (), f"dram-{device.name}")
