"""Shared timing for the family speed benchmarks: batch vs loop vs cycle-level, as ratios measured
in one process (the machines are noisy, so absolute times are only indicative)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from archgym.simulator import Simulator
from archgym.workload import Workload


@dataclass
class SpeedRatios:
    designs_per_s: float  # evaluate_batch throughput
    batch_speedup: float  # loop of evaluate (analytical) time / evaluate_batch time
    cycle_cost: float  # cycle-level evaluate time / analytical evaluate time

    def line(self) -> str:
        return (f"batch {self.designs_per_s:9.0f} designs/s  speed-up vs loop {self.batch_speedup:6.1f}×  "
                f"cycle/analytical-loop cost {self.cycle_cost:5.1f}×")


def _per_design(fn: Any, designs: list[Any]) -> float:
    t0 = time.perf_counter()
    for d in designs:
        fn(d)
    return (time.perf_counter() - t0) / len(designs)


def speed_ratios(sim: Simulator, wl: Workload, designs: list[Any], loop_sample: int = 64,
                 cycle_sample: int = 4) -> SpeedRatios:
    """Time ``evaluate_batch`` on all ``designs``, and per-design ``evaluate`` (analytical, cycle)
    on the first ``loop_sample`` / ``cycle_sample`` of them."""
    t0 = time.perf_counter()
    sim.evaluate_batch(designs, wl)
    batch = (time.perf_counter() - t0) / len(designs)
    loop = _per_design(lambda d: sim.evaluate(d, wl), designs[:loop_sample])
    cycle = _per_design(lambda d: sim.evaluate(d, wl, "cycle"), designs[:cycle_sample])
    return SpeedRatios(1.0 / batch, loop / batch, cycle / loop)
