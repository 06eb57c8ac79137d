"""The benchmark protocol: every agent × task × seed on an equal evaluation budget, scored as
regret against the exact optimum, summarised as median and IQR across seeds.

Reported per task and agent: regret (%) at the checkpoint budgets, the anytime median/IQR regret
curve, the fraction of runs that have found a feasible design, wall time, evaluations to reach 5 % regret (``null`` for a run that never did; the
median over seeds is ``null`` when fewer than half did), and for multi-objective tasks the
hypervolume ratio of the found Pareto set to the exact front. Regret is over feasible designs only
(valid, within the task's metric budgets): a run without one yet has no regret (``null``; +∞ in the
medians, as for a missed target), never the objective's penalty cost. Runs execute in worker processes
(``workers``); each worker evaluates designs with the task's own evaluator, so no state is shared.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from agents.tasks import Optimum, Task, get_task, optimum

CHECKPOINTS = (25, 50, 100, 200, 500, 1000, 2000, 5000)
REGRET_TARGET = 0.05
#: stands in for +∞ regret in quantiles (no finite regret comes near it; 10^(cost gap) overflows first)
_INFINITE = 1e300
#: agents that optimise a task's several objectives jointly when it has them
MULTI_OBJECTIVE_AGENTS = ("nsga2", "bo")


def run_one(task_id: str, agent: str, seed: int, budget: int, config: Mapping[str, Any] | None = None,
            batch_size: int | None = None) -> dict[str, Any]:
    """One run (picklable arguments, for worker processes): the best-so-far cost curve and, for
    multi-objective tasks, the log10 objective metrics of the valid designs it found."""
    import warnings

    warnings.filterwarnings("ignore")
    from agents.base import run
    from agents.pareto import log_metrics, metric_names, pareto_front
    from agents.registry import make_agent

    task = get_task(task_id)
    evaluator = task.evaluator(agent=agent, seed=seed)
    objectives = list(task.objectives) if task.objectives and agent in MULTI_OBJECTIVE_AGENTS else None
    searcher = make_agent(agent, evaluator.space, evaluator.objective, seed, config, objectives=objectives)
    history = run(searcher, evaluator, budget, batch_size)
    out: dict[str, Any] = {"task": task_id, "agent": agent, "seed": seed, "config": dict(config or {}),
                           "evaluations": history.evaluations, "wall_time_s": history.wall_time_s,
                           "agent_time_s": history.agent_time_s, "curve": history.best_so_far.tolist(),
                           "feasible_curve": feasible_best_so_far(history).tolist(),
                           "best_design": history.best[0] if history.costs else None}
    if task.objectives:
        values, ok = history.metric_matrix(metric_names(task.objectives))
        out["front"] = pareto_front(log_metrics(values[ok])).tolist()
    return out


def _worker(args: tuple[Any, ...]) -> dict[str, Any]:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    return run_one(*args)


def execute(jobs: Sequence[tuple[Any, ...]], workers: int = 1,
            progress: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run ``(task, agent, seed, budget, config, batch)`` jobs, in ``workers`` processes if > 1."""
    return _map(_worker, jobs, workers, progress)


def optima(tasks: Sequence[Task], workers: int = 1) -> dict[str, Optimum]:
    """Each task's exact optimum, enumerated in ``workers`` processes if > 1 (a third of a default bench)."""
    return dict(zip([t.id for t in tasks], _map(optimum, [t.id for t in tasks], workers)))


def _map(fn: Callable[[Any], Any], items: Sequence[Any], workers: int,
         progress: Callable[[Any], None] | None = None) -> list[Any]:
    """``[fn(x) for x in items]``, in ``workers`` spawned processes if > 1 (results in order)."""
    if workers <= 1:
        return _collect(map(fn, items), progress)
    import multiprocessing

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        return _collect(pool.map(fn, items), progress)


def _collect(results: Iterable[Any], progress: Callable[[Any], None] | None) -> list[Any]:
    out = []
    for result in results:
        out.append(result)
        if progress:
            progress(result)
    return out


def feasible_best_so_far(history: Any) -> np.ndarray:
    """Best cost over the feasible designs (valid, no violation) after each evaluation; +∞ before
    the first (the penalised ``best_so_far`` mixes in infeasible designs' penalty costs)."""
    ok = np.array([r.valid and not r.violations for r in history.results], dtype=bool)
    costs = np.where(ok, np.asarray(history.costs, dtype=float), np.inf)
    return np.minimum.accumulate(costs) if len(costs) else costs


# -- scoring ---------------------------------------------------------------------------------------
def evals_to(regret: np.ndarray, target: float = REGRET_TARGET) -> int | None:
    hit = np.flatnonzero(regret <= target + 1e-12)
    return int(hit[0]) + 1 if len(hit) else None


def hv_ratio(front: Sequence[Sequence[float]], opt: Optimum) -> float | None:
    from agents.pareto import hypervolume, normaliser

    if opt.front is None or len(opt.front) == 0:
        return None
    ideal, nadir = normaliser(opt.front)
    exact = hypervolume(opt.front, ideal, nadir)
    return hypervolume(np.asarray(front, dtype=float).reshape(-1, opt.front.shape[1]), ideal, nadir) / exact


def _stats(values: Sequence[float]) -> dict[str, float | None]:
    """Median and quartiles; one that touches +∞ (a run without a feasible design) is ``None``."""
    v = np.minimum(np.asarray(values, dtype=float), _INFINITE)   # +∞ → a finite stand-in, interpolable
    q25, med, q75 = np.percentile(v, [25, 50, 75])
    return {k: (float(x) if x < _INFINITE * 1e-3 else None) for k, x in (("median", med), ("q25", q25), ("q75", q75))}


def _median_evals(hits: Sequence[int | None]) -> int | None:
    """Median evaluations to the target, counting a miss as +∞ (null when the median misses)."""
    v = np.array([np.inf if h is None else h for h in hits], dtype=float)
    med = float(np.median(v))
    return None if not np.isfinite(med) else round(med)


def _first_finite(regret: np.ndarray) -> int | None:
    """Evaluations until the run's first feasible design (``None``: it found none)."""
    hit = np.flatnonzero(np.isfinite(regret))
    return int(hit[0]) + 1 if len(hit) else None


def score(runs: Sequence[dict[str, Any]], opt: Optimum, checkpoints: Sequence[int]) -> dict[str, Any]:
    """Summarise the runs of one agent on one task (median/IQR across seeds)."""
    curves = [opt.regret(np.asarray(r["feasible_curve"], dtype=float)) for r in runs]
    budget = min(len(c) for c in curves)
    pct = np.array([c[:budget] for c in curves]) * 100.0
    at = {str(b): _stats(pct[:, b - 1]) for b in checkpoints if b <= budget}
    at[str(budget)] = _stats(pct[:, budget - 1])
    grid = np.unique(np.round(np.geomspace(1, budget, min(budget, 60))).astype(int))
    quartiles = [_stats(pct[:, g - 1]) for g in grid]
    hits = [evals_to(c) for c in curves]
    out: dict[str, Any] = {
        "regret_pct": at,
        "final_regret_pct": at[str(budget)],
        "feasible_runs": {"final": int(np.isfinite(pct[:, budget - 1]).sum()), "seeds": len(runs),
                          "first_feasible_eval": [_first_finite(c) for c in curves]},
        "evals_to_5pct": {"median": _median_evals(hits), "reached": sum(h is not None for h in hits),
                          "seeds": len(hits)},
        "wall_time_s": _stats([r["wall_time_s"] for r in runs]),
        "agent_time_s": _stats([r["agent_time_s"] for r in runs]),
        "curve": {"evals": grid.tolist(), **{k: [q[k] for q in quartiles] for k in ("median", "q25", "q75")},
                  "feasible_fraction": np.isfinite(pct[:, grid - 1]).mean(axis=0).tolist()},
        "runs": [{"seed": r["seed"],
                  "final_regret_pct": float(c[budget - 1] * 100) if np.isfinite(c[budget - 1]) else None,
                  "evals_to_5pct": h, "wall_time_s": r["wall_time_s"], "best_design": r.get("best_design"),
                  # the objective's cost of best_design, penalties of infeasible designs included
                  "best_penalised_cost": float(np.min(r["curve"]))}
                 for r, c, h in zip(runs, curves, hits)],
    }
    if opt.front is not None and "front" in runs[0]:
        ratios = [hv_ratio(r["front"], opt) for r in runs]
        out["hv_ratio"] = _stats([x for x in ratios if x is not None])
        out["front"] = runs[0]["front"]
    return out


def bench(tasks: Sequence[str], agents: Sequence[str], seeds: int, budget: int | None = None,
          budgets: Mapping[str, int] | None = None, configs: Mapping[str, Mapping[str, Any]] | None = None,
          workers: int = 1, checkpoints: Sequence[int] = CHECKPOINTS,
          progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run and score ``agents`` on ``tasks`` with seeds 0..seeds-1. ``budget`` applies to every
    agent (default: each task's budget); ``budgets`` overrides it per agent (e.g. PPO's env steps)."""
    start = time.perf_counter()
    task_objs: list[Task] = [get_task(t) for t in tasks]
    best = optima(task_objs, workers)
    jobs = []
    for t in task_objs:
        for a in agents:
            n = int((budgets or {}).get(a, budget or t.budget))
            jobs += [(t.id, a, s, n, dict((configs or {}).get(a, {})), None) for s in range(seeds)]
    runs = execute(jobs, workers, progress)
    report: dict[str, Any] = {"meta": {"seeds": seeds, "budget": budget, "budgets": dict(budgets or {}),
                                       "agents": list(agents), "checkpoints": list(checkpoints),
                                       "regret": "100·(10^(cost − optimal cost) − 1): % above the optimum "
                                                 "of the objective metric, over feasible designs only "
                                                 "(null: no feasible design yet)",
                                       "workers": workers, "cpu_count": os.cpu_count()},
                              "tasks": {}}
    for t in task_objs:
        opt = best[t.id]
        entry: dict[str, Any] = {**t.describe(), "optimum": {
            "cost": opt.cost, "design": opt.design, "metrics": opt.metrics, "feasible": opt.feasible,
            "enumeration_s": opt.seconds}, "agents": {}}
        if opt.front is not None:
            entry["exact_front"] = opt.front.tolist()
        for a in agents:
            mine = [r for r in runs if r["task"] == t.id and r["agent"] == a]
            entry["agents"][a] = score(mine, opt, checkpoints)
        report["tasks"][t.id] = entry
    report["meta"]["total_wall_s"] = time.perf_counter() - start
    return report


def write_json(report: Mapping[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, default=_json_default))
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def markdown(report: Mapping[str, Any],
             target: Callable[[str, Mapping[str, Any], Mapping[str, Any]], str] | None = None) -> str:
    """A table per task: median [IQR] regret % at each checkpoint, runs with a feasible design, evals
    to 5 %, wall time, and with ``target`` a "target met?" cell per agent (``target(agent, its entry,
    every agent's entry)``). Regret is over feasible designs; "—" where it touches a run without one."""
    lines = []
    for tid, entry in report["tasks"].items():
        agents = entry["agents"]
        cps = sorted({int(b) for a in agents.values() for b in a["regret_pct"]})
        intro = (f"{entry['doc']} — space {entry['space_size']} designs, "
                 f"optimum found by enumeration in {entry['optimum']['enumeration_s']:.1f} s.")
        lines += [f"### {tid}", "", intro, "", REGRET_NOTE, ""]
        head = ("| agent | " + " | ".join(f"regret % @{b}" for b in cps)
                + " | feasible runs | evals to 5 % | wall s |")
        if "exact_front" in entry:
            head += " HV ratio |"
        if target is not None:
            head += " target met? |"
        lines += [head, "|" + "---|" * (head.count("|") - 1)]
        for name, a in agents.items():
            cells = []
            for b in cps:
                s = a["regret_pct"].get(str(b))
                cells.append(f"{_pct(s['median'])} [{_pct(s['q25'])}, {_pct(s['q75'])}]" if s else "")
            e = a["evals_to_5pct"]
            hit = f"{e['median']}" if e["median"] is not None else "—"
            f = a.get("feasible_runs")
            feasible = f"{f['final']}/{f['seeds']}" if f else "?"
            row = f"| {name} | " + " | ".join(cells) + f" | {feasible} | {hit} ({e['reached']}/{e['seeds']}) | " \
                  f"{a['wall_time_s']['median']:.1f} |"
            if "hv_ratio" in a:
                row += f" {a['hv_ratio']['median']:.3f} |"
            if target is not None:
                row += f" {target(name, a, agents)} |"
            lines.append(row)
        lines.append("")
    return "\n".join(lines)


#: the line under every task's heading in :func:`markdown`
REGRET_NOTE = ("Regret in % above the exact optimum, median [IQR] over seeds, over feasible designs only; "
               "— where a quantile falls on a run with no feasible design yet. Feasible runs: runs with a "
               "feasible design at the final budget.")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
