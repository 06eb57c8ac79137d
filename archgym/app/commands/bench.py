"""``archgym bench --tasks … --agents … --seeds K --budget N --json OUT``: compare agents on the
benchmark tasks as regret against exact (enumerated) optima; ``--sweep AGENT --trials T`` instead
samples T hyperparameter configurations of one agent (the hyperparameter lottery)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from archgym.app.limits import (
    MAX_BUDGET,
    MAX_SEEDS,
    MAX_TRIALS,
    budget_arg,
    int_in,
    workers_arg,
    writable_file,
)
from archgym.app.progress import Progress
from archgym.errors import ConfigError

#: bench runs are independent, seeded processes (results do not depend on the count); two leave a laptop usable
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tasks", nargs="*", default=None, help="task ids, space- or comma-separated (default: all; `--list` shows them)")
    p.add_argument("--agents", nargs="*", default=["random", "sa", "ga", "nsga2", "bo"], help="agent names, space- or comma-separated")
    p.add_argument("--seeds", type=int_in(1, MAX_SEEDS), default=5, help="seeds 0..K-1 per task and agent")
    p.add_argument("--budget", type=budget_arg, default=None, help="evaluations per run (default: each task's)")
    p.add_argument("--agent-budget", nargs="*", default=[], metavar="AGENT=N",
                   help="per-agent budgets, e.g. ppo=5000")
    p.add_argument("--workers", type=workers_arg, default=DEFAULT_WORKERS,
                   help=f"worker processes for the optima and the runs (default {DEFAULT_WORKERS}: "
                        "this machine's cores, at most 2; results do not depend on it)")
    p.add_argument("--json", type=writable_file, default=None, help="write the results JSON here (checked first)")
    p.add_argument("--markdown", type=writable_file, default=None, help="write the Markdown tables here")
    p.add_argument("--sweep", default=None, metavar="AGENT", help="hyperparameter sweep of one agent")
    p.add_argument("--trials", type=int_in(1, MAX_TRIALS), default=8, help="configurations drawn by --sweep (the first is the default)")
    p.add_argument("--list", action="store_true", help="list the benchmark tasks and exit")


def _split_commas(items: list[str] | None) -> list[str] | None:
    """``--agents a,b c`` and ``--agents a b c`` mean the same."""
    if items is None:
        return None
    return [part for item in items for part in item.split(",") if part]


def run(args: argparse.Namespace) -> int:
    from agents.bench import markdown, write_json
    from agents.registry import AGENTS
    from agents.tasks import TASKS

    if args.list:
        for t in TASKS.values():
            print(f"{t.id:<32} budget {t.budget:>5}  {t.doc}")
        return 0
    args.tasks, args.agents = _split_commas(args.tasks), _split_commas(args.agents)
    tasks = args.tasks or list(TASKS)
    for t in tasks:
        if t not in TASKS:
            raise ConfigError.bad_value("--tasks", t, TASKS)
    for a in [*args.agents, *([args.sweep] if args.sweep else [])]:
        if a not in AGENTS:
            raise ConfigError.bad_value("--agents", a, AGENTS)
    budgets = {}
    for item in args.agent_budget:
        name, sep, n = item.partition("=")
        if not sep or name not in AGENTS or not n.isdigit() or not 1 <= int(n) <= MAX_BUDGET:
            raise ConfigError(f"--agent-budget: expected AGENT=N with a known agent and 1 ≤ N ≤ {MAX_BUDGET}, "
                              f"got {item!r}")
        budgets[name] = int(n)

    # evaluations planned (--sweep runs every trial at --budget or the task's; it has no per-agent budgets)
    agents, per_agent = ([args.sweep] * args.trials, {}) if args.sweep else (args.agents, budgets)
    total = sum(per_agent.get(a, args.budget or TASKS[t].budget) for t in tasks for a in agents) * args.seeds
    with Progress(total, "bench") as bar:
        def progress(r: dict) -> None:
            bar.write(f"  {r['task']} {r['agent']} seed {r['seed']}: {r['evaluations']} evaluations, "
                      f"{r['wall_time_s']:.1f} s")
            bar.update(r["evaluations"])

        report = _run(args, tasks, budgets, progress)
    if not args.sweep:
        print(markdown(report))
        if args.markdown:
            Path(args.markdown).parent.mkdir(parents=True, exist_ok=True)
            Path(args.markdown).write_text(markdown(report))
    if args.json:
        print(f"wrote {write_json(report, args.json)}", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace, tasks: list[str], budgets: dict[str, int],
         progress: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The benchmark (or ``--sweep``'s hyperparameter lottery, whose summary line it prints)."""
    from agents.bench import bench

    if args.sweep:
        from agents.hpsweep import sweep

        report = sweep(args.sweep, tasks, args.trials, args.seeds, args.budget, args.workers, progress=progress)
        s = {k: "no feasible design" if v is None else f"{v:.2f} %" for k, v in report["summary"].items()}
        print(f"{args.sweep}: {args.trials} configurations × {len(tasks)} tasks × {args.seeds} seeds; mean "
              f"median regret (feasible designs) best {s['best_pct']}, median {s['median_pct']}, worst "
              f"{s['worst_pct']}; default {s['default_pct']} (rank {report['summary']['default_rank']})")
        return report
    return bench(tasks, args.agents, args.seeds, args.budget, budgets, workers=args.workers, progress=progress)
