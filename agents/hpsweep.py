"""Hyperparameter sweeps: measure the "hyperparameter lottery" (ArchGym, ISCA 2023 — the choice of
hyperparameters, more than the choice of algorithm, decides most comparisons).

``configs/agents/NAME.yaml`` lists, under ``sweep:``, a range per hyperparameter: a list (choose
one), or ``{low, high, log}`` (uniform, or log-uniform; integers when both bounds are integers).
:func:`sweep` draws ``trials`` configurations (trial 0 is the YAML default), runs each on the tasks
× seeds with the benchmark protocol, and reports per configuration the median regret, plus the
spread across configurations: best, median and worst configuration, and the default's rank.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from agents.bench import execute, optima
from agents.registry import agent_class, load_agent_config, load_sweep_ranges
from agents.tasks import get_task
from archgym.config import validate
from archgym.errors import ConfigError


def draw(ranges: Mapping[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    """One configuration from ``ranges`` (see the module docstring)."""
    out: dict[str, Any] = {}
    for key, spec in ranges.items():
        if isinstance(spec, list):
            if not spec:
                raise ConfigError(f"sweep.{key}: an empty list of values")
            out[key] = spec[rng.integers(len(spec))]
        elif isinstance(spec, Mapping) and {"low", "high"} <= set(spec):
            lo, hi, log = spec["low"], spec["high"], bool(spec.get("log", False))
            if not lo < hi or (log and lo <= 0):
                raise ConfigError(f"sweep.{key}: need low < high (and low > 0 with log), got {dict(spec)}")
            u = rng.random()
            value = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))) if log else lo + u * (hi - lo)
            out[key] = round(value) if isinstance(lo, int) and isinstance(hi, int) else float(value)
        else:
            raise ConfigError(f"sweep.{key}: expected a list of values or {{low, high, log}}, got {spec!r}")
    return out


def sample_configs(agent: str, trials: int, seed: int = 0) -> list[dict[str, Any]]:
    """``trials`` full configurations of ``agent``: the default first, then random draws."""
    default = load_agent_config(agent)
    ranges = load_sweep_ranges(agent)
    if not ranges and trials > 1:
        raise ConfigError(f"configs/agents/{agent}.yaml: sweep: no hyperparameter ranges to sweep")
    rng = np.random.default_rng(seed)
    cls = agent_class(agent)
    out = [default]
    while len(out) < trials:
        config = {**default, **draw(ranges, rng)}
        validate(cls.Config, config, f"configs/agents/{agent}.yaml sweep")
        out.append(config)
    return out


def sweep(agent: str, tasks: Sequence[str], trials: int, seeds: int, budget: int | None = None,
          workers: int = 1, seed: int = 0,
          progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Run ``trials`` configurations of ``agent`` on ``tasks`` × ``seeds``; score the lottery."""
    configs = sample_configs(agent, trials, seed)
    task_objs = [get_task(t) for t in tasks]
    best = optima(task_objs, workers)
    jobs = [(t.id, agent, s, int(budget or t.budget), c, None)
            for c in configs for t in task_objs for s in range(seeds)]
    runs = execute(jobs, workers, progress)
    per_trial, scores = [], []
    for i, config in enumerate(configs):
        row: dict[str, Any] = {"trial": i, "config": config, "tasks": {}}
        medians = []
        for t in task_objs:
            mine = runs[(i * len(task_objs) + task_objs.index(t)) * seeds:][:seeds]
            # over feasible designs: +inf for a run that found none (never its penalty cost)
            regrets = [float(best[t.id].regret(min(r["feasible_curve"])) * 100) for r in mine]
            medians.append(float(np.median(regrets)))
            row["tasks"][t.id] = {"median_regret_pct": _finite(medians[-1]),
                                  "regrets_pct": [_finite(x) for x in regrets]}
        scores.append(float(np.mean(medians)))
        row["mean_median_regret_pct"] = _finite(scores[-1])
        per_trial.append(row)
    order = np.argsort(scores)
    summary = {"best_trial": int(order[0]), "best_pct": _finite(scores[order[0]]),
               "median_pct": _finite(float(np.median(scores))), "worst_pct": _finite(scores[order[-1]]),
               "default_pct": _finite(scores[0]), "default_rank": int(np.flatnonzero(order == 0)[0]) + 1,
               "spread_ratio": _finite(scores[order[-1]] / max(scores[order[0]], 1e-9))}
    return {"agent": agent, "tasks": list(tasks), "trials": trials, "seeds": seeds, "budget": budget,
            "per_trial": per_trial, "summary": summary}


def _finite(value: float) -> float | None:
    """``value``, or ``None`` (JSON ``null``) where it is +∞: regret with no feasible design."""
    return float(value) if np.isfinite(value) else None
