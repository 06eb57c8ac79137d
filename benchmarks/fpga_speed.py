"""FPGA family speed: vectorised ``evaluate_batch`` vs a loop of ``evaluate`` (ratio, same process),
and the cycle-level model's cost relative to the analytical one. Run:
``.venv/bin/python benchmarks/fpga_speed.py``."""

from __future__ import annotations

import time

from archgym.simulator import get_simulator
from archgym.workload import get_workload


def main(n: int = 512) -> None:
    sim = get_simulator("fpga")
    for workload, preset in (("resnet18", "zcu102"), ("gpt2-decode", "u280")):
        wl = get_workload(workload)
        designs = sim.space(wl, preset).restrict(fix={"device": preset}).sample(n, rng=0)
        t0 = time.perf_counter()
        sim.evaluate_batch(designs, wl)
        t_batch = time.perf_counter() - t0
        t0 = time.perf_counter()
        for d in designs[:64]:
            sim.evaluate(d, wl)
        t_loop = (time.perf_counter() - t0) / 64 * n
        t0 = time.perf_counter()
        for d in designs[:4]:
            sim.evaluate(d, wl, "cycle")
        t_cycle = (time.perf_counter() - t0) / 4 * n
        print(f"{workload:12s} {preset:7s} batch {n / t_batch:9.0f} designs/s  "
              f"speed-up vs loop {t_loop / t_batch:5.1f}×  cycle/analytical-loop cost {t_cycle / t_loop:5.1f}×")


if __name__ == "__main__":
    main()
