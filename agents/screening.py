"""Proxy-in-the-loop search: screen many candidates with a proxy, simulate only the best.

:class:`ProxyScreenAgent` (registry name ``proxy-screen``) follows the ask/tell contract of
:class:`agents.base.Agent`. Each ``ask(n)``:

1. refits a random-forest proxy (features of :mod:`cost_models.features`, log10 targets = the
   objective's metrics) on every real evaluation told so far (active learning: the designs it
   picks become training data);
2. draws ``pool`` candidates: uniform feasible samples mixed with mutations of the best designs
   found, plus, with a base agent (``base: sa``, ``ga`` …), the base agent's ``pool`` proposals —
   it is told the proxy's predictions for them, so the base agent searches the proxy;
3. scores them by the objective's cost on the predicted metrics, optimistically
   (``mean − kappa · spread`` over the forest's trees), and returns the ``n`` best unseen ones.

The first ``warmup`` designs are uniform random samples (the proxy needs data). Call
:meth:`bind` (``agents.base.run`` does) so the proxy sees the workload; without it the
features use a one-GEMM placeholder workload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from agents.base import Agent
from archgym.config import StrictModel
from archgym.metrics import Result
from archgym.space import Design
from archgym.workload import Workload, get_workload
from cost_models.features import FeatureSpec
from cost_models.models import RandomForest


class ProxyScreenConfig(StrictModel):
    """``base``: candidate generator (``random`` or an agent name); ``pool``: candidates screened
    per ask; ``warmup``: random designs before the proxy is used; ``kappa``: optimism (spread
    weight); ``mutate_frac``: share of the random pool made of mutations of the best designs;
    ``n_estimators``: trees of the proxy forest; ``feature_set``: ``roofline`` or ``basic``;
    ``batch_size``: designs per ask."""

    base: str = "random"
    pool: int = 2000
    warmup: int = 8
    kappa: float = 0.2
    mutate_frac: float = 0.8
    n_estimators: int = 60
    feature_set: Literal["roofline", "basic"] = "roofline"
    batch_size: int = 8


class ProxyScreenAgent(Agent):
    """Active-learning screening: a proxy forest chooses which designs are worth simulating."""

    name = "proxy-screen"
    Config = ProxyScreenConfig

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workload: Workload = get_workload("gemm:M=64,N=64,K=64")
        self.spec = FeatureSpec.from_space(self.space, self.workload, self.hp.feature_set)
        self.targets = list(dict.fromkeys(self.objective.metrics_used))
        self._x: list[np.ndarray] = []
        self._y: list[np.ndarray] = []
        self._real: dict[tuple[int, ...], Result] = {}
        self._best: list[tuple[float, np.ndarray]] = []
        self.base: Agent | None = None
        if self.hp.base != "random":
            from agents.registry import make_agent

            self.base = make_agent(self.hp.base, self.space, self.objective, self.seed)
        self.proxy: RandomForest | None = None
        self._last_mean_log = np.zeros((0, len(self.targets)))
        self.screened = 0

    def bind(self, evaluator: Any) -> None:
        wl = getattr(evaluator, "workload", None)
        if isinstance(wl, Workload):
            self.workload = wl
            self.spec = FeatureSpec.from_space(self.space, wl, self.hp.feature_set)
        if self.base is not None:
            self.base.bind(evaluator)

    # -- ask --------------------------------------------------------------------------------
    def ask(self, n: int) -> list[Design]:
        if len(self._y) < self.hp.warmup:
            return self.designs(self._unseen(self.sample_feasible(max(n, 1)))[:n])
        self._refit()
        if self.base is not None:
            return self._ask_base(n)
        cands = self._random_pool()
        if len(cands) == 0:
            return self.designs(self._unseen(self.sample_feasible(n))[:n])
        return self.designs(cands[self._rank(cands)[:n]])

    def _rank(self, idx: np.ndarray) -> np.ndarray:
        """Candidate order, best first, by the optimistic predicted cost."""
        mean_cost, spread = self._predict_cost(idx)
        self.screened += len(idx)
        return np.argsort(mean_cost - self.hp.kappa * spread, kind="stable")

    def _ask_base(self, n: int) -> list[Design]:
        """The base agent proposes ``pool`` designs, screened together with the random pool; it is
        told, for every proposal, the real result (already simulated), the proxy's prediction, or
        invalidity (constraint violated)."""
        designs = self.base.ask(self.hp.pool)
        if not designs:
            return self.designs(self._unseen(self.sample_feasible(n))[:n])
        idx = np.array([self.space.to_indices(d) for d in designs]).reshape(-1, len(self.space))
        feasible = self.feasible(idx)
        keys = [tuple(int(v) for v in row) for row in idx]
        told: list[Result] = [self._real.get(k) or Result.invalid(["constraint"]) for k in keys]
        fresh = np.flatnonzero(feasible & np.array([k not in self._real for k in keys]))
        pool = self._random_pool()
        cands = np.concatenate([idx[fresh], pool]) if len(fresh) else pool
        if len(cands) == 0:
            self.base.tell(designs, told)
            return self.designs(self._unseen(self.sample_feasible(n))[:n])
        order = self._rank(cands)
        for i, mean_log in zip(fresh, self._last_mean_log[:len(fresh)]):
            told[i] = Result({m: float(10.0 ** mean_log[j]) for j, m in enumerate(self.targets)}, True, [], [],
                             {"predicted": True})
        self.base.tell(designs, told)
        picked = list(dict.fromkeys(tuple(int(v) for v in cands[i]) for i in order))[:n]
        return self.designs(np.array(picked))

    def _random_pool(self) -> np.ndarray:
        n_mut = int(self.hp.mutate_frac * self.hp.pool) if self._best else 0
        parts = [self.sample_feasible(self.hp.pool - n_mut)]
        if n_mut:
            parts.append(self._mutations(n_mut))
        idx = np.unique(np.concatenate(parts), axis=0)
        return idx[self._unseen_mask(idx) & self.feasible(idx)]

    def _mutations(self, n: int) -> np.ndarray:
        """Copies of the best designs with one or two parameters moved to a random value."""
        elite = np.array([row for _, row in sorted(self._best, key=lambda t: t[0])[:8]])
        parents = elite[self.rng.integers(0, len(elite), n)]
        nvec = self.space.nvec
        out = parents.copy()
        for _ in range(2):
            j = self.rng.integers(0, len(nvec), n)
            move = self.rng.random(n) < 0.7
            out[move, j[move]] = self.rng.integers(0, nvec[j[move]])
        return out

    def _unseen_mask(self, idx: np.ndarray) -> np.ndarray:
        return np.array([tuple(int(v) for v in row) not in self._real for row in idx], dtype=bool)

    def _unseen(self, idx: np.ndarray) -> np.ndarray:
        return idx[self._unseen_mask(idx)] if len(idx) else idx

    # -- proxy ------------------------------------------------------------------------------
    def _features(self, idx: np.ndarray) -> np.ndarray:
        return self.spec.transform(self.space.indices_to_columns(idx), self.workload)

    def _refit(self) -> None:
        x, y = np.array(self._x), np.array(self._y)
        self.proxy = RandomForest(n_estimators=self.hp.n_estimators, max_features=0.7).fit(x, y, seed=self.seed)

    def _predict_cost(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and spread over the forest's trees of the objective's cost of each candidate."""
        per_tree = self.proxy.trees.leaf_values(self._features(idx))      # (trees, n, targets)
        t, n, _ = per_tree.shape
        metrics = {m: 10.0 ** per_tree[:, :, j].reshape(-1) for j, m in enumerate(self.targets)}
        cost = self.objective.cost_batch(metrics, np.ones(t * n, dtype=bool)).reshape(t, n)
        self._last_mean_log = per_tree.mean(axis=0)
        return cost.mean(axis=0), cost.std(axis=0)

    # -- tell -------------------------------------------------------------------------------
    def tell(self, designs: Sequence[Design], results: Sequence[Result]) -> None:
        if not designs:
            return
        idx = np.array([self.space.to_indices(d) for d in designs]).reshape(-1, len(self.space))
        feats = self._features(idx)
        for row, f, r in zip(idx, feats, results):
            key = tuple(int(v) for v in row)
            self._real[key] = r
            vals = [r.metrics.get(m, np.nan) for m in self.targets]
            if r.valid and all(v is not None and np.isfinite(v) and v > 0 for v in vals):
                self._x.append(f)
                self._y.append(np.log10(np.array(vals, dtype=float)))
                self._best.append((self.objective.cost(r), row))
