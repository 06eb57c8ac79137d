"""Simulated annealing over value indices: a neighbour changes one parameter by one step
(ordered parameters) or to another choice (categorical ones); Metropolis acceptance on the cost
with a geometric temperature schedule (Kirkpatrick et al., Science 1983)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from pydantic import Field

from agents.base import Agent
from archgym.config import StrictModel
from archgym.metrics import Result
from archgym.space import Design


class AnnealingConfig(StrictModel):
    """``t0``: initial temperature in cost units (log10 of the metric); ``cooling``: factor per
    evaluation; ``max_step``: largest index jump of an ordered parameter; ``restart_after``:
    evaluations without improvement before restarting from the best design; ``batch_size``:
    neighbours proposed per ask (the best one competes in the Metropolis test)."""

    t0: float = Field(default=0.3, gt=0)
    cooling: float = Field(default=0.99, gt=0, le=1)
    t_min: float = Field(default=1e-3, gt=0)
    max_step: int = Field(default=2, ge=1, le=1_000_000)
    restart_after: int = Field(default=100, ge=1, le=1_000_000_000)
    batch_size: int = Field(default=1, ge=1, le=100_000)


class SimulatedAnnealing(Agent):
    """Simulated annealing with one-parameter moves and restarts from the incumbent."""

    name = "sa"
    Config = AnnealingConfig

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.temperature = self.hp.t0
        self.current: np.ndarray | None = None
        self.current_cost = np.inf
        self.best: np.ndarray | None = None
        self.best_cost = np.inf
        self.stale = 0
        self._movable = np.flatnonzero(self.space.nvec > 1)
        self._categorical = np.array([p.kind == "categorical" for p in self.space.params])

    def ask(self, n: int) -> list[Design]:
        if self.current is None:
            return self.designs(self.sample_feasible(n))
        out = [self._neighbour(self.current) for _ in range(n)]
        return self.designs(np.array(out))

    def _neighbour(self, x: np.ndarray) -> np.ndarray:
        for _ in range(50):
            y = x.copy()
            j = int(self.rng.choice(self._movable)) if len(self._movable) else 0
            size = int(self.space.nvec[j])
            if self._categorical[j]:
                y[j] = (y[j] + self.rng.integers(1, size)) % size
            else:
                step = int(self.rng.integers(1, self.hp.max_step + 1)) * int(self.rng.choice((-1, 1)))
                y[j] = int(np.clip(y[j] + step, 0, size - 1))
            if (y != x).any() and self.feasible(y[None])[0]:
                return y
        return y

    def tell(self, designs: Sequence[Design], results: Sequence[Result]) -> None:
        costs = self.costs(results)
        idx = np.array([self.space.to_indices(d) for d in designs])
        i = int(np.argmin(costs))
        cost, cand = float(costs[i]), idx[i]
        if cost < self.best_cost:
            self.best, self.best_cost, self.stale = cand.copy(), cost, 0
        else:
            self.stale += len(designs)
        if self.current is None or cost <= self.current_cost or \
                self.rng.random() < np.exp(-(cost - self.current_cost) / max(self.temperature, 1e-12)):
            self.current, self.current_cost = cand.copy(), cost
        self.temperature = max(self.temperature * self.hp.cooling ** len(designs), self.hp.t_min)
        if self.stale >= self.hp.restart_after and self.best is not None:
            self.current, self.current_cost, self.stale = self.best.copy(), self.best_cost, 0
            self.temperature = self.hp.t0 / 2
