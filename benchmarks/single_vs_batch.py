"""Single-design cost against batch cost, per family and fidelity (issue 17, item 1).

For each family on one workload: the time of ``evaluate`` on one design (the mean over
``singles`` distinct designs), the per-design time of ``evaluate_batch`` on ``batch`` designs, and
their ratio (target ≤ 5 for the analytical fidelity; one analytical ResNet-18 evaluation ≤ 0.5 ms);
for each cycle-level fidelity, a loop of ``evaluate`` against one ``evaluate_batch`` over the same
``cycle_designs`` designs (target: the batch ≥ 5× cheaper per design). All in one process, so the
ratios hold on a loaded machine; absolute times vary with load.

``python -m benchmarks.single_vs_batch`` prints the table; :func:`measure` returns it as a dict
(``benchmarks/pipeline_speed.py`` calls it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from archgym.simulator import Simulator, get_simulator
from archgym.workload import Workload, get_workload

#: family → workload it is measured on (ResNet-18 for the ≤ 0.5 ms target; PIM's own decode step too)
WORKLOADS: dict[str, tuple[str, ...]] = {"systolic": ("resnet18",), "pim": ("resnet18", "gpt2-decode"),
                                         "rdu": ("resnet18",), "fpga": ("resnet18",)}


def interleaved(*fns: Callable[[], Any], rounds: int = 7) -> list[float]:
    """Best wall time of each of ``fns`` over ``rounds`` rounds that run them in turn (the least
    disturbed by other load; a quotient of two of them is read under the same load, not at two
    different moments of a shared machine)."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def _seconds(fn: Callable[[], Any], repeat: int = 3) -> float:
    """Best of ``repeat`` wall times of ``fn()``."""
    return interleaved(fn, rounds=repeat)[0]


def measure(batch: int = 1000, singles: int = 50, cycle_designs: int = 25, seed: int = 0) -> dict[str, Any]:
    """``{"family/workload": {"single_ms", "batch_ms", "ratio", "cycle": {fidelity: {...}}}}``; times
    are per design in milliseconds."""
    return {f"{family}/{name}": _row(get_simulator(family), get_workload(name), batch, singles, cycle_designs, seed)
            for family, workloads in WORKLOADS.items() for name in workloads}


def _row(sim: Simulator, wl: Workload, batch: int, singles: int, cycle_designs: int, seed: int) -> dict[str, Any]:
    designs = sim.space(wl).sample(batch, seed)
    sim.evaluate(designs[0], wl)                       # warm caches (lowered workloads, mappers)
    single = _seconds(lambda: [sim.evaluate(d, wl) for d in designs[:singles]]) / singles
    per = _seconds(lambda: sim.evaluate_batch(designs, wl), repeat=2) / batch
    cycle = {f: _cycle(sim, wl, designs[:cycle_designs], f) for f in sim.fidelities[1:]
             if f != "scalesim"}   # scalesim (SCALE-Sim's own buffers): seconds per ResNet-18 design
    return {"single_ms": single * 1e3, "batch_ms": per * 1e3, "ratio": single / per, "cycle": cycle}


def _cycle(sim: Simulator, wl: Workload, few: list[Any], fidelity: str) -> dict[str, float]:
    sim.evaluate(few[0], wl, fidelity)                 # warm up (compiled simulators, caches)
    few = few[1:]
    loop = _seconds(lambda: [sim.evaluate(d, wl, fidelity) for d in few], repeat=1)
    vec = _seconds(lambda: sim.evaluate_batch(few, wl, fidelity), repeat=1)
    return {"single_ms": loop / len(few) * 1e3, "batch_ms": vec / len(few) * 1e3, "batch_speedup": loop / vec}


def table(results: dict[str, Any]) -> str:
    """The measurements as a Markdown table."""
    lines = ["| family / workload | single ms | batch ms/design | ratio (≤ 5) | cycle: loop ms, batch ms, speed-up (≥ 5) |",
             "|---|---|---|---|---|"]
    for key, r in results.items():
        cyc = "; ".join(f"{f} {c['single_ms']:.1f}, {c['batch_ms']:.1f}, {c['batch_speedup']:.1f}×"
                        for f, c in r["cycle"].items())
        lines.append(f"| {key} | {r['single_ms']:.3f} | {r['batch_ms']:.4f} | {r['ratio']:.1f} | {cyc} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(measure()))
