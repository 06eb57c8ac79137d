"""Single-design evaluation before and after a change, in one process (issue 17, item 1).

``python -m benchmarks.single_eval_ab REV`` extracts ``archgym/`` and ``simulators/`` of git revision
``REV`` into a temporary folder, loads that tree and this working tree side by side (each imported
with the other's modules out of ``sys.modules``; simulators and workloads built and warmed while
their tree is on the path), then alternates the two over ``rounds`` rounds: per case, the time of
``evaluate`` on each of ``singles`` designs and the per-design time of ``evaluate_batch`` on 1,000
designs (the least CPU time over the rounds). The ratio single / batch and the speed-up of ``evaluate`` are
read within one process, so a loaded machine moves both trees alike. Only analytical paths run
(a lazily imported module would resolve in whichever tree is on the path at the time).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: (family, workload, space arguments): the analytical ResNet-18 target, PIM's decode steps, FPGA
CASES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("systolic", "resnet18", ()), ("pim", "resnet18", ()), ("pim", "gpt2-decode", ()),
    ("pim", "gpt2-decode:ctx=256,batch=8", ("hbm-pim", "shared")), ("fpga", "resnet18", ()))
_PACKAGES = ("archgym", "simulators")


def _load(root: Path, batch: int) -> list[tuple[Any, Any, list[Any]]]:
    """(simulator, workload, designs) per case, imported from ``root`` and warmed up there."""
    for name in [k for k in sys.modules if k.split(".")[0] in _PACKAGES]:
        del sys.modules[name]
    sys.path.insert(0, str(root))
    try:
        get_simulator = importlib.import_module("archgym.simulator").get_simulator
        get_workload = importlib.import_module("archgym.workload").get_workload
        out = []
        for family, workload, space in CASES:
            sim, wl = get_simulator(family), get_workload(workload)
            designs = sim.space(wl, *space).sample(batch, 0)
            sim.evaluate(designs[0], wl)
            sim.evaluate_batch(designs[:8], wl)
            out.append((sim, wl, designs))
        return out
    finally:
        sys.path.remove(str(root))


def _seconds(fn: Callable[[], Any]) -> float:
    """CPU seconds of ``fn()`` (this process only: other load on the machine does not count)."""
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def measure(before: Path, after: Path, rounds: int = 10, singles: int = 25, batch: int = 1000
            ) -> list[dict[str, Any]]:
    """Per case: best single and per-design batch seconds of each tree."""
    trees = {"before": _load(before, batch), "after": _load(after, batch)}
    best: dict[tuple[int, str], list[float]] = {}
    for _ in range(rounds):
        for i in range(len(CASES)):
            for tag, cases in trees.items():
                sim, wl, designs = cases[i]
                single = _seconds(lambda: [sim.evaluate(d, wl) for d in designs[:singles]]) / singles  # noqa: B023
                per = _seconds(lambda: sim.evaluate_batch(designs, wl)) / batch  # noqa: B023 (called at once)
                old = best.get((i, tag), [float("inf")] * 2)
                best[(i, tag)] = [min(old[0], single), min(old[1], per)]
    return [{"case": CASES[i], "before": best[(i, "before")], "after": best[(i, "after")]} for i in range(len(CASES))]


def table(rows: list[dict[str, Any]]) -> str:
    """The measurements as a Markdown table (times in CPU milliseconds)."""
    head = ("| family / workload | before: single ms, batch ms/design, ratio | after: single ms, batch ms/design, "
            "ratio | `evaluate` speed-up |")
    lines = [head, "|---|---|---|---|"]
    for r in rows:
        family, workload, space = r["case"]
        (sb, bb), (sa, ba) = r["before"], r["after"]
        name = f"{family}/{workload}" + (f" ({space[1]} space)" if space else "")
        lines.append(f"| {name} | {sb * 1e3:.3f}, {bb * 1e3:.4f}, {sb / bb:.1f} | {sa * 1e3:.3f}, {ba * 1e3:.4f}, "
                     f"{sa / ba:.1f} | {sb / sa:.2f}× |")
    return "\n".join(lines)


def main(rev: str, rounds: int = 10) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", rev, *_PACKAGES], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        print(table(measure(Path(tmp), ROOT, rounds)))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10)
