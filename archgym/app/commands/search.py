"""``archgym search --env ID --agent NAME --budget N --seed S``: one agent searches one environment's
design space (or a benchmark task's, with ``--task``) for N simulator evaluations."""

from __future__ import annotations

import argparse
import json
import math
import uuid
from typing import Any

from archgym.app.limits import MAX_BATCH, budget_arg, int_in, seed_arg
from archgym.app.progress import Progress, best_so_far
from archgym.errors import ConfigError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", default="archgym/Systolic-v1", help="environment id (see `archgym list envs`)")
    p.add_argument("--task", default=None, help="a benchmark task id instead of --env (reports regret)")
    p.add_argument("--agent", default="random", help="agent name (see `archgym list agents`)")
    p.add_argument("--budget", type=budget_arg, default=200, help="simulator evaluations")
    p.add_argument("--seed", type=seed_arg, default=0)
    p.add_argument("--workload", default=None, help="workload (default: the env family's)")
    p.add_argument("--objective", default=None,
                   help="edp, METRIC, min:M, max:M, log:M=w,… (default: edp, or the env's own objective)")
    p.add_argument("--objectives", nargs="*", default=None,
                   help="several objectives for multi-objective agents (nsga2, bo), e.g. min:latency_s min:energy_j")
    p.add_argument("--preset", default=None)
    p.add_argument("--fidelity", default="analytical")
    p.add_argument("--batch-size", type=int_in(1, MAX_BATCH), default=None, help="designs per ask (default: the agent's)")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="agent hyperparameters")
    p.add_argument("--store", default=None, help="log every evaluation to this run store (SQLite)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")


def run(args: argparse.Namespace) -> int:
    from agents.base import run as run_agent
    from agents.registry import make_agent
    from archgym.app.commands.train import parse_env_kwargs
    from archgym.evaluator import Evaluator
    from archgym.store import RunStore

    if args.budget < 1:
        raise ConfigError.bad_value("--budget", args.budget, "an integer ≥ 1")
    store = RunStore(args.store) if args.store else None
    run_id = f"search-{args.agent}-s{args.seed}-{uuid.uuid4().hex[:6]}"
    opt = None
    if args.task:
        from agents.tasks import get_task, optimum

        task = get_task(args.task)
        evaluator = task.evaluator(store=store, run_id=run_id, agent=args.agent, seed=args.seed,
                                   env_id=f"task:{task.id}")
        objectives = args.objectives if args.objectives is not None else (list(task.objectives) or None)
        opt = optimum(task)
    else:
        from archgym.envids import EnvEntry
        from envs import DEFAULT_WORKLOADS, entry

        e = entry(args.env)
        if e.entry_point != EnvEntry.entry_point:
            evaluator = _env_evaluator(args, store, run_id)
        else:
            workload = args.workload or DEFAULT_WORKLOADS.get(e.simulator, "resnet18")
            evaluator = Evaluator.build(e.simulator, workload, args.preset, e.mapping, args.objective or "edp",
                                        fidelity=args.fidelity, store=store, run_id=run_id, env_id=args.env,
                                        agent=args.agent, seed=args.seed)
        objectives = args.objectives
    if store is not None:
        store.register_run(run_id, {"agent": args.agent, "seed": args.seed, "budget": args.budget,
                                    "objective": evaluator.objective.describe(), "task": args.task,
                                    "env_id": args.env, "workload": evaluator.workload.name})
    agent = make_agent(args.agent, evaluator.space, evaluator.objective, args.seed,
                       parse_env_kwargs(args.set), objectives=objectives)
    with Progress(args.budget, f"search {args.agent}") as bar:
        history = run_agent(agent, evaluator, args.budget, args.batch_size, callback=best_so_far(bar))
    summary: dict[str, Any] = {"agent": args.agent, "seed": args.seed, "run_id": run_id,
                               "objective": evaluator.objective.describe(), **history.summary()}
    if opt is not None and history.costs:
        from agents.bench import feasible_best_so_far

        best_feasible = feasible_best_so_far(history)[-1]     # +inf: no feasible design, so no regret
        summary["regret_pct"] = float(opt.regret(best_feasible) * 100) if math.isfinite(best_feasible) else None
        summary["optimal_cost"] = opt.cost
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        print(f"{args.agent} (seed {args.seed}): {history.evaluations} evaluations in {history.wall_time_s:.1f} s; "
              f"objective: {summary['objective']}")
        if history.costs:
            print(f"  best cost {summary['best_cost']:.4f}" + _regret_text(summary.get("regret_pct"), opt))
            print("  design: " + ", ".join(f"{k}={v}" for k, v in summary["best_design"].items()))
            print("  metrics: " + ", ".join(f"{k}={v:.4g}" for k, v in summary["best_metrics"].items()))
    if store is not None:
        store.close()
    return 0 if history.costs else 1


def _env_evaluator(args: argparse.Namespace, store: Any, run_id: str) -> Any:
    """The evaluator of an env with its own class (NASAIC, HW-NAS): built by the env itself, which
    knows its simulator and objective; family options that such an env does not take are refused."""
    import gymnasium as gym

    for flag, value in (("--workload", args.workload), ("--preset", args.preset)):
        if value is not None:
            raise ConfigError(f"{flag}: {args.env} builds its own networks and hardware; drop {flag}")
    if args.fidelity != "analytical":
        raise ConfigError.bad_value("--fidelity", args.fidelity, ["analytical"], where=args.env)
    kwargs: dict[str, Any] = {"store": store, "run_id": run_id, "env_id": args.env, "agent": args.agent}
    if args.objective is not None:
        kwargs["objective"] = args.objective
    env: Any = gym.make(args.env, **kwargs).unwrapped
    return env.evaluator


def _regret_text(regret_pct: float | None, opt: Any) -> str:
    """The regret clause of the summary line (regret is over feasible designs: none, no regret)."""
    if opt is None:
        return ""
    if regret_pct is None:
        return " (no feasible design found, so no regret against the exact optimum)"
    return f" (regret {regret_pct:.2f} % above the exact optimum, best feasible design)"
