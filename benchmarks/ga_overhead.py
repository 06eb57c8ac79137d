"""GA / NSGA-II framework seconds per 1,000 evaluations and regret (issue 17, item 3).

Framework time is the run's wall time minus the evaluator's (``History.agent_time_s``): pymoo, the
agent's bookkeeping and :func:`agents.base.run`'s loop. The shared machine's load inflates wall
time, so the same difference is also taken in the process's CPU time (the evaluator's CPU time
measured around each ``evaluate`` call). Each run follows the benchmark protocol
(:func:`agents.bench.run_one`'s: the task's evaluator, the agent's ``configs/agents/*.yaml``
defaults). One short warm-up run precedes the measured ones, so one-off imports (pymoo, scipy) are
not charged to the first run. Regret is the bench's: % above the exact optimum over feasible
designs at the final evaluation.

``--json`` keeps the raw runs; ``--baseline`` names an earlier run's JSON whose numbers fill the
"before" columns of the table (``benchmarks/results/ga_overhead.md`` by default).

    python -m benchmarks.ga_overhead [--tasks ID,...] [--agents ga,nsga2] [--seeds 0,1,2,3,4]
        [--budget 1000] [--json OUT] [--baseline BEFORE.json] [--markdown OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import provenance

RESULTS = Path(__file__).parent / "results" / "ga_overhead.md"
TARGET_S = 1.0  # issue 17: GA/NSGA-II framework overhead ≤ 1 s per 1,000 evaluations
TASKS = ("systolic-resnet18-edp", "pim-gpt2decode-edp", "fpga-resnet18-throughput")
WARM_UP_BUDGET = 60  # evaluations of the warm-up run (imports and first-call caches)


class _CPUTimed:
    """The evaluator, with the process CPU time spent inside its ``evaluate`` calls added up."""

    def __init__(self, evaluator: Any) -> None:
        self._evaluator, self.cpu_s = evaluator, 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._evaluator, name)

    def evaluate(self, designs: Any) -> Any:
        start = time.process_time()
        try:
            return self._evaluator.evaluate(designs)
        finally:
            self.cpu_s += time.process_time() - start


def measure(task_id: str, agent: str, seed: int, budget: int) -> dict[str, Any]:
    """One run: framework seconds (wall, CPU) per 1,000 evaluations, final regret (%)."""
    from agents.base import run
    from agents.bench import MULTI_OBJECTIVE_AGENTS, feasible_best_so_far
    from agents.registry import make_agent
    from agents.tasks import get_task, optimum

    opt = optimum(task_id)  # enumerated before the clock starts (cached per process)
    task = get_task(task_id)
    evaluator = _CPUTimed(task.evaluator(agent=agent, seed=seed))
    objectives = list(task.objectives) if task.objectives and agent in MULTI_OBJECTIVE_AGENTS else None
    cpu = time.process_time()
    searcher = make_agent(agent, evaluator.space, evaluator.objective, seed, None, objectives=objectives)
    history = run(searcher, evaluator, budget)
    cpu = time.process_time() - cpu
    per1000 = 1000.0 / max(history.evaluations, 1)
    curve = feasible_best_so_far(history)
    best = float(curve[-1]) if len(curve) else np.inf
    return {"task": task_id, "agent": agent, "seed": seed, "evaluations": history.evaluations,
            "framework_s_per_1000": history.agent_time_s * per1000,
            "framework_cpu_s_per_1000": (cpu - evaluator.cpu_s) * per1000,
            "wall_s_per_1000": history.wall_time_s * per1000,
            "regret_pct": float(opt.regret(best)) * 100 if np.isfinite(best) else None,
            "load": os.getloadavg()[0]}


def summarise(runs: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (task, agent): median and worst framework s/1,000, median and worst regret over seeds."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["task"], r["agent"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        fw = [r["framework_s_per_1000"] for r in rs]
        regret = [np.inf if r["regret_pct"] is None else r["regret_pct"] for r in rs]
        cpu = [r["framework_cpu_s_per_1000"] for r in rs]
        out[key] = {"fw_median": float(np.median(fw)), "fw_max": max(fw),
                    "cpu_median": float(np.median(cpu)), "cpu_max": max(cpu),
                    "regret_median": float(np.median(regret)), "regret_max": max(regret), "seeds": len(rs)}
    return out


_COLUMNS = ("framework s/1,000 median", "worst (≤ 1)", "framework CPU s/1,000 median", "worst",
            "regret % median", "worst")


def _cells(s: Mapping[str, Any] | None) -> list[str]:
    if s is None:
        return [""] * len(_COLUMNS)
    return [f"{s[k]:.2f}" for k in ("fw_median", "fw_max", "cpu_median", "cpu_max", "regret_median", "regret_max")]


def table(after: Mapping[str, Any], before: Mapping[str, Any] | None) -> str:
    """Markdown: per task and agent, framework s/1,000 (median, worst) and regret % (median, worst)."""
    now = summarise(after["runs"])
    old = summarise(before["runs"]) if before else {}
    head = ["task", "agent", *(f"{c} before" for c in _COLUMNS), *(f"{c} after" for c in _COLUMNS),
            "target met (wall)"] if before else ["task", "agent", *_COLUMNS, "target met (wall)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (task, agent), s in now.items():
        cells = [task, agent, *(_cells(old.get((task, agent))) if before else []), *_cells(s),
                 provenance.met(s["fw_max"], TARGET_S)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _split(text: str) -> list[str]:
    return [x for x in text.split(",") if x]


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", default=",".join(TASKS), help="task ids, comma-separated")
    p.add_argument("--agents", default="ga,nsga2", help="agents, comma-separated")
    p.add_argument("--seeds", default="0,1,2,3,4", help="seeds, comma-separated")
    p.add_argument("--budget", type=int, default=1000, help="evaluations per run")
    p.add_argument("--json", type=Path, default=None, help="write the raw runs here")
    p.add_argument("--baseline", type=Path, default=None, help="an earlier run's JSON: the 'before' columns")
    p.add_argument("--markdown", type=Path, default=RESULTS, help="the table's path")
    args = p.parse_args(argv)
    tasks, agents, seeds = _split(args.tasks), _split(args.agents), [int(s) for s in _split(args.seeds)]
    run = provenance.stamp()
    for agent in agents:  # warm-up, not measured: imports and first-call caches
        measure(tasks[0], agent, 0, WARM_UP_BUDGET)
    runs = []
    for task in tasks:
        for agent in agents:
            for seed in seeds:
                runs.append(measure(task, agent, seed, args.budget))
                r = runs[-1]
                print(f"{task} {agent} seed {seed}: framework {r['framework_s_per_1000']:.2f} s/1,000, "
                      f"CPU {r['framework_cpu_s_per_1000']:.2f}, regret {r['regret_pct']}, load {r['load']:.1f}",
                      flush=True)
    report = {"meta": {"provenance": run, "budget": args.budget, "seeds": seeds}, "runs": runs}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    before = json.loads(args.baseline.read_text()) if args.baseline else None
    loads = [r["load"] for r in runs]
    body = (f"GA and NSGA-II, {args.budget} evaluations, seeds {', '.join(map(str, seeds))}, under the bench "
            f"protocol (`agents.bench.run_one`, `configs/agents/*.yaml` defaults), after one unmeasured "
            f"{WARM_UP_BUDGET}-evaluation warm-up run per agent. Framework time = wall − evaluator time, per "
            f"1,000 evaluations; worst = the slowest seed. 1-min load average {min(loads):.1f}–{max(loads):.1f} "
            f"on {os.cpu_count()} cores while measuring.\n")
    if before:
        b = before["meta"]["provenance"]
        body += f"\nBefore: `{b['command']}` at commit `{b['commit']}`, {b['date']}.\n"
    body += "\n" + table(report, before) + "\n"
    provenance.write_results(args.markdown, "GA / NSGA-II framework overhead and regret (issue 17)", body, run)
    print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
