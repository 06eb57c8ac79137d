"""``DRAMSimulator``: memory-controller design over a request trace, behind ``archgym simulate dram``
and ``archgym/DRAM-v0``.

The workload is a :class:`~simulators.dram.traces.TraceWorkload` (``trace:pattern=…`` or
``trace:file=…``); any DNN workload is turned into its DRAM request stream first. The design is
the controller knobs (:mod:`.controller`) plus a one-value ``device`` parameter. ``analytical`` is
vectorised over designs (:mod:`.analytical`); ``cycle`` runs the command-level model
(:mod:`.cycle`) once per design.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from archgym.space import DesignSpace
from archgym.workload import Workload
from simulators.common.family import Designs, Family, ModelOutput
from simulators.dram import analytical, cycle
from simulators.dram.addressing import Decoded, decode
from simulators.dram.bounds import BOUNDS
from simulators.dram.controller import KNOBS, Knobs, encode
from simulators.dram.devices import PRESETS, Device, get_device
from simulators.dram.outcome import Outcome, to_metrics
from simulators.dram.space import build_space
from simulators.dram.traces import Trace, as_trace

_CACHE_LIMIT = 16


class DRAMSimulator(Family):
    """DRAM memory controller (DRAMSys/ArchGym knobs) on DDR3/DDR4/LPDDR4/GDDR6/HBM2 devices,
    driven by a request trace: latency, bandwidth, DRAMPower-style energy and command counts."""

    name = "dram"
    workload_needs = ""   # request traces, or a DNN's derived DRAM stream
    version = "1"
    default_preset = "ddr4-2400"
    fidelities = ("analytical", "cycle")
    parameters = (*KNOBS, "device")
    bounds = BOUNDS

    def __init__(self) -> None:
        self._traces: dict[tuple[int, str], Trace] = {}
        self._decoded: dict[tuple[int, str, str], tuple[Decoded, analytical.TraceStats]] = {}

    def presets(self) -> dict[str, Device]:
        return dict(PRESETS)

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        self.check_mapping(mapping)
        return build_space(self.preset(preset))

    def model(self, designs: Designs, workload: Workload, fidelity: str) -> ModelOutput:
        """Analytical: vectorised over the designs sharing an address mapping; cycle: one run each."""
        device = get_device(str(designs.single("device")))
        knobs = encode({k: designs.column(k) for k in KNOBS}, designs.n)
        trace = self._trace(workload)
        parts: list[tuple[np.ndarray, Outcome]] = []
        for m in np.unique(knobs.mapping):
            idx = np.flatnonzero(knobs.mapping == m)
            dec, stats = self._decode(trace, device, KNOBS["AddressMapping"][int(m)])
            sub = Knobs(**{f: getattr(knobs, f)[idx] for f in knobs.__dataclass_fields__})
            if fidelity == "analytical":
                parts.append((idx, analytical.evaluate(stats, device, sub)))
            else:
                rows = [self._cycle(trace, dec, device, sub.row(i)) for i in range(len(idx))]
                parts.append((idx, Outcome.stack(rows)))
        return ModelOutput(_merge(device, parts, designs.n), {},
                           info=lambda: {"device": device.name, "trace": trace.name, "requests": len(trace)})

    # -- internals --------------------------------------------------------------------------------
    @staticmethod
    def _cycle(trace: Trace, dec: Decoded, device: Device, codes: tuple[int, ...]) -> dict[str, float]:
        opts = cycle.options_for(codes)
        K = cycle.knob_vector(codes, device, opts)
        return cycle.run((dec.channel, dec.bank, dec.row), trace.cycle, trace.is_write, device, K, opts)

    def _trace(self, workload: Workload) -> Trace:
        key = (id(workload), workload.name)
        if key not in self._traces:
            if len(self._traces) >= _CACHE_LIMIT:
                self._traces.clear()
                self._decoded.clear()
            self._traces[key] = as_trace(workload)
        return self._traces[key]

    def _decode(self, trace: Trace, device: Device, mapping: str) -> tuple[Decoded, analytical.TraceStats]:
        key = (id(trace), device.name, mapping)
        if key not in self._decoded:
            dec = decode(trace.addr, device, mapping)
            self._decoded[key] = (dec, analytical.trace_stats(dec, trace.is_write, trace.cycle, device))
        return self._decoded[key]


def _merge(device: Device, parts: list[tuple[np.ndarray, Outcome]], n: int) -> dict[str, Any]:
    out: dict[str, np.ndarray] = {}
    for idx, outcome in parts:
        for name, values in to_metrics(device, outcome).items():
            out.setdefault(name, np.zeros(n))[idx] = values
    return out
