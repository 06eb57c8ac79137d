"""Three formulations of hardware × mapping co-optimisation, charged on one budget scale.

The budget unit is the **layer-mapping evaluation**: one cost-model evaluation of one layer under
one mapping. A design evaluated with its mappings as knobs costs one per layer; a machine
evaluated in ``mapping="auto"`` costs every mapping the simulator's exhaustive per-layer search
tried (the ``candidates`` of its layer rows). A design evaluated again in the same run costs
nothing (the simulator memoises it, and the agents remember it).

``successive``  hardware first under the default mapping heuristic
                (:mod:`simulators.loopnest.heuristics`), every machine of the space in turn, then
                the exhaustive mapping search on the best one;
``nested``      an agent over the machines, the exhaustive mapping search inside each evaluation;
``flat``        an agent over the machine and every layer's mapping knobs at once (DiGamma, DOSA).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from agents.base import Agent, History, run
from agents.coopt_tasks import flat_task
from agents.registry import make_agent
from agents.tasks import Task
from archgym.errors import ConfigError
from archgym.metrics import Result
from archgym.workload import Workload
from simulators.loopnest.heuristics import heuristic_design
from simulators.loopnest.simulator import loop_layers

FORMULATIONS = ("successive", "nested", "flat")


class Ledger:
    """Layer mappings a run has paid for: one per layer for a design whose mappings are knobs; in
    auto mode the exhaustive search's ``candidates`` once per (machine, layer shape) — the
    simulator memoises the search on exactly that key, so a repeated shape or machine is free."""

    def __init__(self, workload: Workload):
        self.shapes = [replace(layer, name="") for layer in loop_layers(workload)]
        self.paid: set[tuple[Any, ...]] = set()

    def charge(self, design: Mapping[str, Any], result: Result) -> int:
        knobs = sum(1 for k in design if k.endswith(".order_in"))
        if knobs:
            return knobs
        if not result.layers:
            if not result.valid:
                return 0   # rejected by the space constraints: nothing was simulated
            raise ConfigError("ledger: an auto-mode result without layer rows (a batched evaluation "
                              "drops them); evaluate machines one at a time")
        if len(result.layers) != len(self.shapes):
            raise ConfigError(f"ledger: {len(result.layers)} layer rows for a {len(self.shapes)}-layer workload")
        machine = tuple(sorted((k, str(v)) for k, v in design.items()))
        total = 0
        for shape, row in zip(self.shapes, result.layers):
            if (machine, shape) not in self.paid:
                self.paid.add((machine, shape))
                total += int(row["candidates"])
        return total


@dataclass
class Trace:
    """One run: the cost of each evaluation and the budget spent after it (layer-mapping units)."""

    formulation: str
    agent: str
    seed: int
    spent: list[int] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    designs: list[dict[str, Any]] = field(default_factory=list)
    wall_time_s: float = 0.0
    #: gradient steps taken by the time of each evaluation (the gradient agent; DOSA's sample count)
    steps: list[int] = field(default_factory=list)

    def add(self, design: Mapping[str, Any], cost: float, cost_units: int) -> None:
        self.spent.append((self.spent[-1] if self.spent else 0) + cost_units)
        self.costs.append(float(cost))
        self.designs.append(dict(design))

    def best_at(self, budget: float) -> float:
        """The best cost among the evaluations paid for within ``budget`` (∞ before the first)."""
        spent = np.asarray(self.spent)
        costs = np.asarray(self.costs, dtype=float)[spent <= budget]
        return float(costs.min()) if len(costs) else float("inf")

    def best_design(self, budget: float) -> dict[str, Any] | None:
        ok = [i for i, s in enumerate(self.spent) if s <= budget]
        return self.designs[min(ok, key=lambda i: self.costs[i])] if ok else None


class _Meter:
    """``run`` callback: charges each design through the ledger, plus the layer mappings an agent
    evaluated itself since the last charge (its ``inner_units``: the gradient agent's relaxed
    steps and order tries), to the first design of the round; stops once ``budget`` is spent."""

    def __init__(self, trace: Trace, ledger: Ledger, budget: int, searcher: Agent):
        self.trace, self.ledger, self.budget, self.searcher = trace, ledger, budget, searcher
        self.done = self.relaxed = 0

    def __call__(self, history: History) -> bool:
        relaxed = int(getattr(self.searcher, "inner_units", 0))
        for d, r, c in zip(history.designs[self.done:], history.results[self.done:], history.costs[self.done:]):
            self.trace.add(d, c, self.ledger.charge(d, r) + relaxed - self.relaxed)
            self.trace.steps.append(int(getattr(self.searcher, "gradient_steps", 0)))
            self.relaxed = relaxed
        self.done = history.evaluations
        return bool(self.trace.spent) and self.trace.spent[-1] >= self.budget


def _agent_search(task: Task, formulation: str, agent: str, budget: int, seed: int,
                  config: Mapping[str, Any] | None, batch_size: int | None) -> Trace:
    evaluator = task.evaluator(agent=f"{formulation}-{agent}", seed=seed)
    searcher = make_agent(agent, evaluator.space, evaluator.objective, seed, config)
    trace = Trace(formulation, agent, seed)
    start = time.perf_counter()
    run(searcher, evaluator, budget, batch_size, callback=_Meter(trace, Ledger(evaluator.workload), budget, searcher))
    trace.wall_time_s = time.perf_counter() - start
    return trace


def nested(task: Task, agent: str, budget: int, seed: int = 0,
           config: Mapping[str, Any] | None = None) -> Trace:
    """``agent`` over the task's machines, each evaluated with its exhaustive mapping search."""
    return _agent_search(task, "nested", agent, budget, seed, config, batch_size=1)


def flat(task: Task, agent: str, budget: int, seed: int = 0,
         config: Mapping[str, Any] | None = None) -> Trace:
    """``agent`` over machine × every layer's mapping knobs (one unit per layer per design)."""
    return _agent_search(flat_task(task), "flat", agent, budget, seed, config, batch_size=None)


def successive(task: Task, budget: int, seed: int = 0) -> Trace:
    """Every feasible machine under the heuristic mapping, then the exhaustive mapping search on
    the best of them (ties: the first in space order). Deterministic: ``seed`` is only recorded.
    Every step records the machine (stage 1 rates it under its heuristic mapping)."""
    space = task.space()
    flat_eval = flat_task(task).evaluator(agent="successive-heuristic", seed=seed)
    layers = [p.name[: -len(".order_in")] for p in flat_eval.space.params if p.name.endswith(".order_in")]
    trace = Trace("successive", "heuristic+exhaustive", seed)
    ledger = Ledger(flat_eval.workload)
    start = time.perf_counter()
    best: tuple[float, dict[str, Any]] | None = None
    for hw in space.enumerate():
        if space.violations(hw):
            continue
        if trace.spent and trace.spent[-1] >= budget:
            break
        design = heuristic_design(hw, layers)
        result = flat_eval.evaluate([design])[0]
        cost = flat_eval.objective.cost(result)
        trace.add(hw, cost, ledger.charge(design, result))   # recorded as the machine it rates
        if best is None or cost < best[0]:
            best = (cost, hw)
    if best is None:
        raise ConfigError(f"task {task.id}: no feasible machine for the successive formulation")
    if trace.spent[-1] < budget:
        evaluator = task.evaluator(agent="successive-mapping", seed=seed)
        result = evaluator.evaluate([best[1]])[0]
        trace.add(best[1], evaluator.objective.cost(result), ledger.charge(best[1], result))
    trace.wall_time_s = time.perf_counter() - start
    return trace
