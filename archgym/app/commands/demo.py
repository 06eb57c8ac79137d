"""``archgym demo``: a small end-to-end exploration on the embedded defaults.

It searches a systolic-array design (array shape, SRAM sizes, dataflow) for ResNet-18 with a
genetic algorithm, minimising energy-delay product under an area budget, logs every evaluation to
a local SQLite run store, and prints the best design against the TPU-v1-like preset it started from.
The run id is a digest of the demo's settings, so rerunning it (``make demo`` twice) writes the same
rows again, which the store ignores: the report shows one run, not a duplicate.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from pathlib import Path

from archgym.app.limits import budget_arg, float_in, seed_arg
from archgym.app.progress import Progress, best_so_far
from archgym.errors import ConfigError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workload", default="resnet18", help="workload name or shorthand (default: resnet18)")
    p.add_argument("--agent", default="ga", help="search agent (default: ga)")
    p.add_argument("--budget", type=budget_arg, default=400, help="simulator evaluations (default: 400)")
    p.add_argument("--area-mm2", type=float_in(0.0, 1e9, open_low=True), default=100.0, help="area budget in mm² (default: 100)")
    p.add_argument("--seed", type=seed_arg, default=0)
    p.add_argument("--store", default="runs/demo.db", help="run store to log to (default: runs/demo.db)")


def run(args: argparse.Namespace) -> int:
    from agents.base import run as run_agent
    from agents.registry import make_agent
    from archgym.evaluator import Evaluator
    from archgym.metrics import Objective
    from archgym.store import RunStore

    if args.budget < 1:
        raise ConfigError.bad_value("--budget", args.budget, "an integer ≥ 1")
    if not args.area_mm2 > 0:
        raise ConfigError.bad_value("--area-mm2", args.area_mm2, "a positive number of mm²")
    Path(args.store).parent.mkdir(parents=True, exist_ok=True)
    objective = Objective("weighted_log", weights={"latency_s": 1.0, "energy_j": 1.0},
                          constraints={"area_mm2": args.area_mm2})
    settings = {"agent": args.agent, "seed": args.seed, "budget": args.budget, "workload": args.workload,
                "objective": objective.describe()}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]
    run_id = f"demo-{args.agent}-s{args.seed}-{digest}"
    with RunStore(args.store) as store:
        evaluator = Evaluator.build("systolic", args.workload, "tpu-v1", "auto", objective, fidelity="analytical",
                                    store=store, run_id=run_id, env_id="archgym/Systolic-v1",
                                    agent=args.agent, seed=args.seed)
        store.register_run(run_id, {"agent": args.agent, "seed": args.seed, "budget": args.budget,
                                    "objective": objective.describe(), "workload": evaluator.workload.name})
        baseline = evaluator.simulator.evaluate(evaluator.space.default(), evaluator.workload, "analytical")
        agent = make_agent(args.agent, evaluator.space, objective, args.seed)
        with Progress(args.budget, f"demo {args.agent}") as bar:
            history = run_agent(agent, evaluator, args.budget, callback=best_so_far(bar))
    design, result, cost = history.best
    wl = evaluator.workload
    print(f"archgym demo: {args.agent} searched {history.evaluations} systolic designs for {wl.name} "
          f"({wl.total_macs / 1e9:.2f} GMAC) in {history.wall_time_s:.1f} s")
    print(f"objective: {objective.describe()}")
    print("best design: " + ", ".join(f"{k}={v}" for k, v in design.items()))
    _compare(baseline.metrics, result.metrics)
    print(f"EDP improvement over the tpu-v1 preset: "
          f"{_edp(baseline.metrics) / _edp(result.metrics):.2f}×" if baseline.valid else "")
    print(f"every evaluation is logged in {args.store} (run {run_id}); next:")
    print(f"  archgym report --store {args.store} --out runs/demo-report")
    print(f"  archgym fit-proxy --store {args.store} --targets latency_s,energy_j --model gbm --out runs/demo-proxy")
    return 0 if math.isfinite(cost) else 1


def _edp(metrics: dict[str, float]) -> float:
    return metrics["latency_s"] * metrics["energy_j"]


def _compare(baseline: dict[str, float], best: dict[str, float]) -> None:
    print(f"  {'metric':<22}{'tpu-v1 preset':>16}{'best found':>16}")
    for name in ("latency_s", "energy_j", "area_mm2", "utilization", "peak_ops_per_s"):
        if name in baseline and name in best:
            print(f"  {name:<22}{baseline[name]:>16.4g}{best[name]:>16.4g}")
