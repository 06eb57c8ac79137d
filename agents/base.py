"""The agent contract (ask / tell over a :class:`~archgym.space.DesignSpace`) and the one loop that
runs any agent on an equal evaluation budget.

An agent proposes designs with ``ask(n)`` and learns from their results with ``tell``; it never
evaluates anything itself. :func:`run` owns the evaluator, so every agent — random search, a GA,
BoTorch or an SB3 policy — is charged the same way: one simulator evaluation per design asked.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from archgym.config import StrictModel, validate
from archgym.errors import ConfigError
from archgym.metrics import Objective, Result
from archgym.space import Design, DesignSpace


class NoHyperparams(StrictModel):
    """Hyperparameters of an agent that has none."""


class Agent(ABC):
    """Base class of every search agent.

    Subclasses set ``name``, a pydantic ``Config`` (their hyperparameters, validated here with
    one-line errors) and implement :meth:`ask` and :meth:`tell`. ``objectives`` (a hyperparameter
    every agent accepts) lists several objectives for multi-objective agents; single-objective
    agents use ``objective``.
    """

    name: ClassVar[str] = ""
    Config: ClassVar[type[StrictModel]] = NoHyperparams
    #: designs per ask that suit the agent (``run``'s ``batch_size`` when the caller gives none)
    preferred_batch: int = 1

    def __init__(self, space: DesignSpace, objective: Objective | str | None, seed: int = 0,
                 objectives: Sequence[Any] | None = None, **hyperparams: Any):
        self.space = space
        self.objective = Objective.parse(objective)
        self.objectives = [Objective.parse(o) for o in objectives] if objectives else [self.objective]
        self.seed = int(seed)
        self.rng = np.random.default_rng(self.seed)
        self.hp = validate(self.Config, hyperparams, f"agent {self.name}")
        self.preferred_batch = int(getattr(self.hp, "batch_size", 1) or 1)

    # -- the contract -----------------------------------------------------------------------
    @abstractmethod
    def ask(self, n: int) -> list[Design]:
        """Propose up to ``n`` designs (at least one unless the agent is exhausted)."""

    @abstractmethod
    def tell(self, designs: Sequence[Design], results: Sequence[Result]) -> None:
        """Learn from the results of designs returned by :meth:`ask` (same order)."""

    def bind(self, evaluator: Any) -> None:
        """Called by :func:`run` before the first ask with the evaluator that will be used
        (agents that need the simulator or workload, such as RL on the env, read it here)."""

    def close(self) -> None:
        """Release resources (threads, models) once the budget is spent."""

    # -- helpers for subclasses -------------------------------------------------------------
    def costs(self, results: Sequence[Result]) -> np.ndarray:
        """Scalar cost (lower is better) of each result under ``objective``."""
        return np.array([self.objective.cost(r) for r in results], dtype=float)

    def cost_matrix(self, results: Sequence[Result]) -> np.ndarray:
        """``(n, k)`` costs under each of ``objectives`` (multi-objective agents)."""
        return np.array([[o.cost(r) for o in self.objectives] for r in results], dtype=float).reshape(
            len(results), len(self.objectives))

    def feasible(self, indices: np.ndarray) -> np.ndarray:
        """Boolean mask: rows of an ``(n, d)`` index matrix that satisfy the space constraints."""
        indices = np.atleast_2d(indices)
        if not self.space.constraints or len(indices) == 0:
            return np.ones(len(indices), dtype=bool)
        bad = self.space.violations_batch(self.space.indices_to_columns(indices))
        return ~np.any(np.stack(list(bad.values())), axis=0)

    def sample_feasible(self, n: int, tries: int = 50) -> np.ndarray:
        """``n`` random index rows that satisfy the space constraints (fewer if they are rare)."""
        out: list[np.ndarray] = []
        have = 0
        for _ in range(tries):
            idx = self.space.sample_indices(max(2 * (n - have), 16), self.rng)
            idx = idx[self.feasible(idx)][: n - have]
            out.append(idx)
            have += len(idx)
            if have >= n:
                break
        if have == 0:  # no feasible point found: fall back to unconstrained samples
            return self.space.sample_indices(n, self.rng)
        return np.concatenate(out)

    def designs(self, indices: np.ndarray) -> list[Design]:
        return [self.space.from_indices(row) for row in np.atleast_2d(indices)]


@dataclass
class History:
    """Everything one run saw: designs, results and costs in evaluation order, plus timing."""

    designs: list[Design] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    wall_time_s: float = 0.0
    agent_time_s: float = 0.0

    @property
    def evaluations(self) -> int:
        return len(self.designs)

    def extend(self, designs: Sequence[Design], results: Sequence[Result], costs: Sequence[float]) -> None:
        self.designs.extend(designs)
        self.results.extend(results)
        self.costs.extend(float(c) for c in costs)

    @property
    def best_so_far(self) -> np.ndarray:
        """Best cost after each evaluation (the anytime curve)."""
        return np.minimum.accumulate(np.asarray(self.costs, dtype=float)) if self.costs else np.array([])

    @property
    def best_index(self) -> int:
        return int(np.argmin(self.costs))

    @property
    def best(self) -> tuple[Design, Result, float]:
        if not self.costs:
            raise ConfigError("history: no evaluations yet")
        i = self.best_index
        return self.designs[i], self.results[i], self.costs[i]

    def metric_matrix(self, metrics: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(n, k)`` values of ``metrics`` and the mask of valid rows that have all of them."""
        values = np.array([[r.metrics.get(m, np.nan) for m in metrics] for r in self.results], dtype=float)
        values = values.reshape(len(self.results), len(metrics))
        ok = np.array([r.valid and not r.violations for r in self.results], dtype=bool) & np.all(
            np.isfinite(values), axis=1)
        return values, ok

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"evaluations": self.evaluations, "wall_time_s": self.wall_time_s,
                               "agent_time_s": self.agent_time_s}
        if self.costs:
            design, result, cost = self.best
            out.update(best_cost=cost, best_design=design, best_metrics=result.metrics)
        return out


def run(agent: Agent, evaluator: Any, budget: int, batch_size: int | None = None,
        callback: Any = None) -> History:
    """Let ``agent`` search with ``evaluator`` for ``budget`` simulator evaluations.

    ``batch_size`` designs are asked per round (default: the agent's preferred batch); the last
    round asks only for what is left, so exactly ``budget`` evaluations are made unless the agent
    runs out of designs. Costs are those of ``evaluator.objective``. ``callback(history)`` runs
    after each round (progress bars, early stops returning True).
    """
    if budget < 1:
        raise ConfigError.bad_value("budget", budget, "an integer ≥ 1")
    batch = int(batch_size or agent.preferred_batch or 1)
    if batch < 1:
        raise ConfigError.bad_value("batch_size", batch_size, "an integer ≥ 1")
    objective: Objective = getattr(evaluator, "objective", None) or agent.objective
    history = History()
    start = time.perf_counter()
    sim_time = 0.0
    try:
        agent.bind(evaluator)
        while history.evaluations < budget:
            designs = agent.ask(min(batch, budget - history.evaluations))[: budget - history.evaluations]
            if not designs:
                break
            t0 = time.perf_counter()
            results = evaluator.evaluate(designs)
            sim_time += time.perf_counter() - t0
            agent.tell(designs, results)
            history.extend(designs, results, [objective.cost(r) for r in results])
            if callback is not None and callback(history):
                break
    finally:
        agent.close()
        history.wall_time_s = time.perf_counter() - start
        history.agent_time_s = history.wall_time_s - sim_time
    return history
