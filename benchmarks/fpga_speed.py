"""FPGA family speed: vectorised ``evaluate_batch`` vs a loop of ``evaluate`` (ratio, same process),
and the cycle-level model's cost relative to the analytical one. Run:
``.venv/bin/python benchmarks/fpga_speed.py``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from benchmarks.speed import speed_ratios


def main(n: int = 512) -> None:
    sim = get_simulator("fpga")
    for workload, preset in (("resnet18", "zcu102"), ("gpt2-decode", "u280")):
        wl = get_workload(workload)
        designs = sim.space(wl, preset).restrict(fix={"device": preset}).sample(n, rng=0)
        print(f"{workload:12s} {preset:7s} " + speed_ratios(sim, wl, designs, 64).line())

if __name__ == "__main__":
    main()
