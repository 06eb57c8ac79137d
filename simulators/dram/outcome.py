"""What both fidelities produce per design (command counts, cycles, latencies), and the metrics
with units derived from it once for both."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from simulators.dram.devices import Device
from simulators.dram.energy import command_energy, total_energy


@dataclass
class Outcome:
    """Arrays over designs. Cycles are command-clock cycles; ``*_cycles`` of standby are rank-cycles."""

    cycles: np.ndarray
    reads: np.ndarray
    writes: np.ndarray
    acts: np.ndarray
    pres: np.ndarray
    refs: np.ndarray
    refbs: np.ndarray
    read_hits: np.ndarray
    write_hits: np.ndarray
    active_cycles: np.ndarray
    idle_cycles: np.ndarray
    avg_read_latency: np.ndarray
    p99_read_latency: np.ndarray

    @classmethod
    def stack(cls, rows: list[dict[str, float]]) -> Outcome:
        return cls(**{f.name: np.array([r[f.name] for r in rows], dtype=float) for f in fields(cls)})


def to_metrics(d: Device, o: Outcome) -> dict[str, np.ndarray]:
    """Metrics with units. ``latency_s`` is the time to serve the whole trace; read latencies run from
    each request's arrival in the trace to its data (stalls under back-pressure included)."""
    e = command_energy(d)
    energy = total_energy(e, o.acts, o.reads, o.writes, o.refs, o.refbs, o.active_cycles, o.idle_cycles)
    cycles = np.maximum(o.cycles, 1.0)
    seconds = cycles * d.tck_ns * 1e-9
    requests = o.reads + o.writes
    return {
        "latency_s": seconds,
        "cycles": o.cycles,
        "energy_j": energy * d.tck_ns * 1e-12,
        "avg_power_mw": energy / cycles / d.channels,
        "bandwidth_gbs": requests * d.request_bytes / (cycles * d.tck_ns),
        "bus_utilization": requests * d.burst_cycles / (cycles * d.channels),
        "avg_read_latency_ns": o.avg_read_latency * d.tck_ns,
        "p99_read_latency_ns": o.p99_read_latency * d.tck_ns,
        "row_hit_rate": (o.read_hits + o.write_hits) / np.maximum(requests, 1.0),
        "act_cmds": o.acts, "pre_cmds": o.pres, "read_cmds": o.reads, "write_cmds": o.writes,
        "ref_cmds": o.refs + o.refbs,
        "dram_bytes": requests * d.request_bytes,
    }
