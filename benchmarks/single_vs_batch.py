"""Single-design cost against batch cost, per family and fidelity (issue 17, item 1).

For each family on one workload: the time of ``evaluate`` on one design (the mean over
``singles`` distinct designs), the per-design time of ``evaluate_batch`` on ``batch`` designs, and
their ratio (target ≤ 5 for the analytical fidelity; one analytical ResNet-18 evaluation ≤ 0.5 ms);
for each cycle-level fidelity, a loop of ``evaluate`` over ``cycle_designs`` designs against one
``evaluate_batch`` over as many others (target: the batch ≥ 5× cheaper per design). Every timed call gets
designs the process has not evaluated before (:class:`Unseen`): a repeat of the same designs
would time a model's hardware-keyed memos on their second visit (RDU's cycle-level mapper ran
3× faster that way). Times are CPU seconds of this process (:func:`interleaved`), all in one
process, so the ratios hold on a loaded machine; absolute times still vary with load.

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


def interleaved(*fns: Callable[[], Any], rounds: int = 7, clock: Callable[[], float] = time.process_time
                ) -> list[float]:
    """Least time of each of ``fns`` over ``rounds`` rounds that run them in turn, by ``clock``: this
    process's CPU time by default (on a shared machine, other load stretches wall time several-fold
    and unevenly; CPU time it moves far less), wall time for work that waits (files, subprocesses).
    A quotient of two of them is read under the same load, not at two moments of a shared machine."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            t0 = clock()
            fn()
            best[i] = min(best[i], clock() - t0)
    return best


def _seconds(fn: Callable[[], Any], repeat: int = 3, clock: Callable[[], float] = time.process_time) -> float:
    """Least of ``repeat`` times of ``fn()`` by ``clock`` (see :func:`interleaved`)."""
    return interleaved(fn, rounds=repeat, clock=clock)[0]


def measure(batch: int = 1000, singles: int = 50, cycle_designs: int = 25, seed: int = 0) -> dict[str, Any]:
    """``{"family/workload": {"single_ms", "batch_ms", "ratio", "cycle": {fidelity: {...}}}}``; times
    are per design in milliseconds (cycle: a loop over ``cycle_designs`` designs, a batch of as many others)."""
    return {f"{family}/{name}": _row(get_simulator(family), get_workload(name), batch, singles, cycle_designs, seed)
            for family, workloads in WORKLOADS.items() for name in workloads}


#: designs a fidelity evaluates one by one (a cycle-level one then also in a batch) before it is timed, so
#: that every style's compiled code is loaded (FPGA has three) and the timed designs pay only their own work
WARM = 8


class Unseen:
    """Designs handed out once each: every timed call gets designs this process has not evaluated,
    so a model's memos (keyed on hardware, e.g. the RDU mapper's candidate lists) are not measured
    on their second visit of the same design."""

    def __init__(self, designs: list[Any]) -> None:
        self._designs, self._next = designs, 0

    def take(self, n: int) -> list[Any]:
        out = self._designs[self._next:self._next + n]
        if len(out) < n:
            raise ValueError(f"Unseen: {n} designs asked, {len(out)} left")
        self._next += n
        return out


def _row(sim: Simulator, wl: Workload, batch: int, singles: int, cycle_designs: int, seed: int,
         repeat: int = 3) -> dict[str, Any]:
    space = sim.space(wl)
    fidelities = [f for f in sim.fidelities[1:] if f != "scalesim"]   # scalesim: SCALE-Sim's own buffers
    per_cycle = 2 * WARM + 2 * repeat * cycle_designs
    unseen = Unseen(space.sample(repeat * singles + 2 * batch + WARM + len(fidelities) * per_cycle, seed))
    for design in unseen.take(WARM):                   # warm up (compiled kernels, lowered workloads)
        sim.evaluate(design, wl)
    single = _seconds(lambda: [sim.evaluate(d, wl) for d in unseen.take(singles)], repeat) / singles
    per = _seconds(lambda: sim.evaluate_batch(unseen.take(batch), wl), repeat=2) / batch
    cycle = {f: _cycle(sim, wl, unseen, cycle_designs, f, repeat) for f in fidelities}
    return {"single_ms": single * 1e3, "batch_ms": per * 1e3, "ratio": single / per, "cycle": cycle}


def _cycle(sim: Simulator, wl: Workload, unseen: Unseen, n: int, fidelity: str, rounds: int) -> dict[str, float]:
    """A loop of ``evaluate`` over ``n`` unseen designs against ``evaluate_batch`` over ``n`` others, the
    least of ``rounds`` interleaved rounds (new designs each round), after :data:`WARM` designs one
    by one and as many in a batch (so that every style's compiled code is loaded before timing)."""
    for design in unseen.take(WARM):
        sim.evaluate(design, wl, fidelity)
    sim.evaluate_batch(unseen.take(WARM), wl, fidelity)
    loop, vec = interleaved(lambda: [sim.evaluate(d, wl, fidelity) for d in unseen.take(n)],
                            lambda: sim.evaluate_batch(unseen.take(n), wl, fidelity), rounds=rounds)
    return {"single_ms": loop / n * 1e3, "batch_ms": vec / n * 1e3, "batch_speedup": loop / vec}


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
