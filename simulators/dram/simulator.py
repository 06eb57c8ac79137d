"""``DRAMSimulator``: memory-controller design over a request trace, behind ``archgym simulate dram``
and ``archgym/DRAM-v0``.

The workload is a :class:`~simulators.dram.traces.TraceWorkload` (``trace:pattern=…`` or
``trace:file=…``); any DNN workload is turned into its DRAM request stream first. The design is
the controller knobs (:mod:`.controller`) plus a one-value ``device`` parameter. ``analytical`` is
vectorised over designs (:mod:`.analytical`); ``cycle`` runs the command-level model
(:mod:`.cycle`) once per design.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.metrics import BatchResult, Result, derive
from archgym.simulator import Simulator
from archgym.space import DesignSpace
from archgym.workload import Workload
from simulators.common.arrays import design_columns
from simulators.dram import analytical, cycle
from simulators.dram.addressing import Decoded, decode
from simulators.dram.controller import KNOBS, Knobs, encode
from simulators.dram.devices import PRESETS, Device, get_device
from simulators.dram.outcome import Outcome, to_metrics
from simulators.dram.space import build_space
from simulators.dram.traces import Trace, as_trace

_CACHE_LIMIT = 16


class DRAMSimulator(Simulator):
    """DRAM memory controller (DRAMSys/ArchGym knobs) on DDR3/DDR4/LPDDR4/GDDR6/HBM2 devices,
    driven by a request trace: latency, bandwidth, DRAMPower-style energy and command counts."""

    name = "dram"
    version = "1"
    default_preset = "ddr4-2400"
    fidelities = ("analytical", "cycle")

    def __init__(self) -> None:
        self._traces: dict[tuple[int, str], Trace] = {}
        self._decoded: dict[tuple[int, str, str], tuple[Decoded, analytical.TraceStats]] = {}

    def presets(self) -> dict[str, Device]:
        return dict(PRESETS)

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        self.check_mapping(mapping)
        return build_space(self.preset(preset))

    # -- evaluation -------------------------------------------------------------------------------
    def evaluate(self, design: Mapping[str, Any], workload: Workload, fidelity: str = "analytical") -> Result:
        batch = self.evaluate_batch([dict(design)], workload, fidelity)
        row = batch.row(0)
        row.info.update({"fidelity": fidelity, "device": self._device(design).name})
        return row

    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any],
                       workload: Workload, fidelity: str = "analytical") -> BatchResult:
        """Designs as a list of dicts or name → array; analytical is vectorised over them."""
        self.check_fidelity(fidelity)
        names = list(designs[0]) if isinstance(designs, Sequence) and designs else []
        cols, n = design_columns(designs, names)
        if n == 0:
            return BatchResult({}, np.zeros(0, dtype=bool), [])
        device = self._device(cols)
        knobs = encode(cols, n)
        trace = self._trace(workload)
        mappings = KNOBS["AddressMapping"]
        parts: list[tuple[np.ndarray, Outcome]] = []
        for m in np.unique(knobs.mapping):
            idx = np.flatnonzero(knobs.mapping == m)
            dec, stats = self._decode(trace, device, mappings[int(m)])
            sub = Knobs(**{f: getattr(knobs, f)[idx] for f in knobs.__dataclass_fields__})
            if fidelity == "analytical":
                parts.append((idx, analytical.evaluate(stats, device, sub)))
            else:
                rows = [self._cycle(trace, dec, device, sub.row(i)) for i in range(len(idx))]
                parts.append((idx, Outcome.stack(rows)))
        metrics = _merge(device, parts, n)
        return BatchResult(derive(metrics), np.ones(n, dtype=bool), [[] for _ in range(n)],
                           {"fidelity": fidelity, "device": device.name})

    # -- internals --------------------------------------------------------------------------------
    @staticmethod
    def _cycle(trace: Trace, dec: Decoded, device: Device, codes: tuple[int, ...]) -> dict[str, float]:
        opts = cycle.options_for(codes)
        K = cycle.knob_vector(codes, device, opts)
        return cycle.run((dec.channel, dec.bank, dec.row), trace.cycle, trace.is_write, device, K, opts)

    @staticmethod
    def _device(design: Mapping[str, Any]) -> Device:
        values = np.asarray(design.get("device", DRAMSimulator.default_preset), dtype=object).reshape(-1)
        if len(set(values.tolist())) != 1:
            raise ConfigError("dram design: device must be the same for every design of a batch")
        return get_device(str(values[0]))

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


def _merge(device: Device, parts: list[tuple[np.ndarray, Outcome]], n: int) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for idx, outcome in parts:
        for name, values in to_metrics(device, outcome).items():
            out.setdefault(name, np.zeros(n))[idx] = values
    return out
