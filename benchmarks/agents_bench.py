"""Agent benchmark: regret against exact optima on the systolic tasks (issue 5 targets).

Stages (each writes benchmarks/results/agents_<stage>.json and .md):

  classic  random, SA, GA, NSGA-II on every task, 1000 evaluations
  bo       Bayesian optimisation (BoTorch), 100 evaluations, with random at 100 for reference
  rl       PPO and MaskablePPO (5000 env steps = evaluations), random at 5000; DQN (sequential env)
  marl     multi-agent PPO against PPO, BO, GA and random at an equal budget (300 evaluations) on a
           systolic and a PIM task (issue 11)

    .venv/bin/python benchmarks/agents_bench.py classic --seeds 5 --workers 2
    .venv/bin/python benchmarks/agents_bench.py rl --tasks systolic-gemm1024-latency --seeds 5
    .venv/bin/python benchmarks/agents_bench.py classic --agents ga   # rerun one agent, merged in
    .venv/bin/python benchmarks/agents_bench.py classic --render      # the table again from the JSON

Targets (5 seeds, median regret): BO ≤ 2 % within 100 evaluations; GA/NSGA-II ≤ 2 % within 1000;
PPO ≤ 5 % within 5000 env steps; every learned agent beats random search at equal budget.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.bench import bench, markdown, write_json
from agents.tasks import TASKS
from benchmarks.provenance import committed_in, header, met, stamp, write_results

STAGES = {
    "classic": (["random", "sa", "ga", "nsga2"], {}, None),
    "bo": (["random", "bo"], {}, 100),
    "rl": (["random", "ppo", "maskable-ppo", "dqn"], {"dqn": 1000}, 5000),
    "marl": (["random", "marl-ppo", "ppo", "bo", "ga"], {}, 300),
}
#: tasks of a stage when --tasks is not given (default: every task)
STAGE_TASKS = {"marl": ["systolic-resnet18-edp", "pim-gpt2decode-edp"]}
OUT = Path(__file__).resolve().parent / "results"
#: agent → (evaluations, median regret % it must reach by then): the targets above
TARGETS = {"bo": (100, 2.0), "ga": (1000, 2.0), "nsga2": (1000, 2.0), "ppo": (5000, 5.0)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("stage", choices=list(STAGES))
    p.add_argument("--tasks", nargs="*", default=None)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--budget", type=int, default=None)
    p.add_argument("--agents", nargs="*", default=None,
                   help="rerun only these agents of the stage and merge them into its existing results")
    p.add_argument("--render", action="store_true", help="only rewrite the stage's table from its JSON")
    args = p.parse_args()
    agents, budgets, budget = STAGES[args.stage]
    tasks = args.tasks or STAGE_TASKS.get(args.stage, list(TASKS))
    out = OUT / f"agents_{args.stage}.json"
    if args.render:
        report = json.loads(out.read_text())
    else:
        report = bench(tasks, args.agents or agents, args.seeds, args.budget or budget, budgets,
                       workers=args.workers, progress=lambda r: print(
                           f"{r['task']} {r['agent']} s{r['seed']} {r['wall_time_s']:.1f}s", flush=True))
        report["meta"]["provenance"] = stamp()
        if args.agents and out.exists():
            report = merge(json.loads(out.read_text()), report)
        write_json(report, out)
    text = markdown(report, target_cell)
    write_results(OUT / f"agents_{args.stage}.md", f"Agent benchmark, stage {args.stage}",
                  f"{measured(report, out)}\n\nRegret % (median [IQR] over {report['meta']['seeds']} seeds). "
                  "Targets: BO ≤ 2 % within 100 evaluations, GA/NSGA-II ≤ 2 % within 1000, PPO ≤ 5 % within "
                  "5000 env steps (median regret); every other agent: below random search's median regret "
                  f"at the same budget.\n\n{text}", stamp(" ".join(["python", *sys.argv])))
    print(text)
    return 0


def measured(report: dict, path: Path) -> str:
    """Where the numbers come from: the run's own provenance, or (runs made before it was recorded)
    the commit that stored its JSON."""
    run = report["meta"].get("provenance")
    if run:
        return "Measured: " + header(run)
    return (f"Measured before runs recorded their provenance; the results JSON was committed in "
            f"{committed_in(path)}, on the project's shared {report['meta'].get('cpu_count', '?')}-core machine.")


def target_cell(agent: str, entry: dict, agents: dict) -> str:
    """"yes"/"no" against the agent's target, or against random search at the same final budget."""
    if agent == "random":
        return "—"
    if agent in TARGETS:
        budget, limit = TARGETS[agent]
        at = entry["regret_pct"].get(str(budget))
        return f"{met(at['median'] if at else None, limit)} (≤ {limit:g} % @{budget})"
    rnd = agents.get("random")
    if rnd is None:
        return "—"
    final = str(max(int(b) for b in entry["regret_pct"]))
    mine, theirs = entry["regret_pct"].get(final), rnd["regret_pct"].get(final)
    if not mine or not theirs:
        return "—"
    if theirs["median"] is None:   # random has no feasible median: any feasible median beats it
        return f"{'no' if mine['median'] is None else 'yes'} (< random @{final})"
    return f"{met(mine['median'], theirs['median'] - 1e-12)} (< random @{final})"


def merge(old: dict, new: dict) -> dict:
    """``old`` with the agents (and tasks) of ``new`` replacing or joining its own."""
    for task_id, entry in new["tasks"].items():
        if task_id in old["tasks"]:
            old["tasks"][task_id]["agents"].update(entry["agents"])
        else:
            old["tasks"][task_id] = entry
    old["meta"].setdefault("reruns", []).append({"agents": new["meta"]["agents"],
                                                 "tasks": list(new["tasks"]),
                                                 "total_wall_s": new["meta"]["total_wall_s"]})
    return old


if __name__ == "__main__":
    sys.exit(main())
