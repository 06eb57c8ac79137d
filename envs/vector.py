"""``DesignVectorEnv``: ``num_envs`` design environments held as arrays, stepped with one batched
evaluation.

Every sub-environment's state (value indices, step counter, observed metrics, validity) lives in
``(num_envs, …)`` arrays. A step applies all actions with array operations, evaluates the designs
that are due with one :meth:`~archgym.evaluator.Evaluator.evaluate_indices` call (one
``evaluate_batch``; the sub-environments share one evaluator, so one run id and consecutive store
steps), and builds every observation at once: no per-sub-environment Python on the step path
(sequential-mode action masks excepted).

Dynamics are :class:`~envs.design_env.DesignEnv`'s (same rewards, observations and episode ends;
a malformed action — out of range, fractional, NaN — costs ``objective.invalid_cost`` and never
raises). Autoreset: Gymnasium's ``NextStep`` mode by default (the step after an episode ends
resets that sub-environment; its action is ignored, reward 0) or ``SameStep``
(``autoreset_mode="SameStep"``: the observation returned is already the reset one and the last
one is in ``info["final_obs"]``), which the SB3 adapter (:mod:`envs.sb3_vec`) uses.

``info`` follows Gymnasium's vector convention (a dict of arrays): ``cost``, ``valid``,
``evaluated``, ``indices`` (the designs as value indices, ``(num_envs, d)``; :meth:`design`
decodes one), ``metrics`` (name → ``(num_envs,)``, NaN where nothing was evaluated) and
``violations`` (an object array of lists).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from archgym.errors import ConfigError
from archgym.space import Design
from envs.design_env import DesignEnv, as_indices


class DesignVectorEnv(VectorEnv):
    """``num_envs`` :class:`DesignEnv` as arrays; other kwargs are ``DesignEnv``'s."""

    metadata: dict[str, Any] = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int = 1, autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP,
                 **kwargs: Any):
        if not isinstance(num_envs, (int, np.integer)) or isinstance(num_envs, bool) or num_envs < 1:
            raise ConfigError.bad_value("num_envs", num_envs, "an integer ≥ 1")
        modes = (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP)
        if autoreset_mode not in modes and autoreset_mode not in [m.value for m in modes]:
            raise ConfigError.bad_value("autoreset_mode", autoreset_mode, [m.value for m in modes])
        self.env = env = DesignEnv(**kwargs)  # the template: space, evaluator, objective, observations
        self.metadata = {**self.metadata, "autoreset_mode": AutoresetMode(autoreset_mode)}
        self.num_envs = n = int(num_envs)
        self.single_observation_space = env.observation_space
        self.single_action_space = env.action_space
        self.observation_space = batch_space(env.observation_space, n)
        self.action_space = batch_space(env.action_space, n)
        self.evaluator, self.space, self.objective = env.evaluator, env.space, env.objective
        self.sequential = env.mode == "sequential"
        self.nvec, self.max_n = env.nvec, env.max_n
        self.best: dict[str, Any] | None = None
        self._default = self.space.to_indices(self.space.default())
        self.indices = np.tile(self._default, (n, 1))
        self.t = np.zeros(n, dtype=np.int64)
        self._metrics = np.full((n, len(env.obs.metrics)), 0.5, dtype=np.float32)
        self._valid = np.ones(n, dtype=bool)
        self._autoreset = np.zeros(n, dtype=bool)

    # -- gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | list[int | None] | None = None,
              options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        first = (seed[0] if seed else None) if isinstance(seed, list) else seed
        if first is not None or self._np_random is None:
            self._np_random, self._np_random_seed = seeding.np_random(first)
        if first is not None:
            self.evaluator.seed = int(first)
        everyone = np.ones(self.num_envs, dtype=bool)
        self._reset_rows(everyone, (options or {}).get("design"))
        self._autoreset[:] = False
        return self._observe(), self._info(np.zeros(self.num_envs), ~everyone, np.ones(self.num_envs, bool), {},
                                           [[] for _ in range(self.num_envs)])

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        n, d = self.num_envs, len(self.space)
        active = ~self._autoreset
        if self.sequential:
            bad, violations = self._apply_sequential(actions, active)
            due = active & ~bad & (self.t == d)
        else:
            bad, violations = self._apply_one_shot(actions, active)
            due = active & ~bad
        evaluated = due | bad
        cost = np.where(bad, self.objective.invalid_cost, 0.0)
        valid = ~bad
        metrics: dict[str, np.ndarray] = {}
        if due.all():
            batch = self.evaluator.evaluate_indices(self.indices)
            cost = self.objective.cost_batch(batch.metrics, batch.valid)
            metrics, valid, violations = batch.metrics, batch.valid, batch.violations
            self._track_best(np.arange(n), cost, metrics, valid)
            self._metrics = self.env.obs.normalise_batch(metrics, n)
            self._valid = valid.copy()
        else:
            if due.any():
                batch = self.evaluator.evaluate_indices(self.indices[due])
                where = np.flatnonzero(due)
                cost[where] = self.objective.cost_batch(batch.metrics, batch.valid)
                valid[where] = batch.valid
                for k, v in batch.metrics.items():
                    metrics[k] = np.full(n, np.nan)
                    metrics[k][where] = v
                for i, found in zip(where, batch.violations):
                    violations[i] = found
                self._track_best(where, cost[where], batch.metrics, batch.valid)
            self._metrics[evaluated] = self.env.obs.normalise_batch(
                {k: v[evaluated] for k, v in metrics.items()}, int(evaluated.sum()))
            self._valid[evaluated] = valid[evaluated]
        terminated = np.zeros(n, dtype=bool)
        truncated = np.zeros(n, dtype=bool)
        if self.sequential:
            terminated = evaluated
        else:
            self.t[active] += 1
            truncated = active & (self.t >= self.env.episode_length)
        info = self._info(cost, evaluated, valid, metrics, violations)
        done = terminated | truncated
        if self.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP:
            self._reset_rows(self._autoreset)
            self._autoreset = done
            obs = self._observe()
        else:
            obs = self._observe()
            if done.any():
                info["final_obs"], info["_final_obs"] = _rows_of(obs, done), done
                self._reset_rows(done)
                obs = self._observe()
        return obs, np.where(evaluated, -cost, 0.0), terminated, truncated, info

    def action_masks(self) -> np.ndarray:
        """``(num_envs, ·)`` boolean masks of legal actions (see :meth:`DesignEnv.action_masks`)."""
        if not self.sequential:
            return np.tile(self.env.action_masks(), (self.num_envs, 1))
        return np.stack([self.env.sequential_mask(row, int(t)) for row, t in zip(self.indices, self.t)])

    def design(self, i: int) -> Design:
        """The current design of sub-environment ``i``."""
        return self.space.from_indices(self.indices[i])

    # -- state updates -----------------------------------------------------------------------
    def _reset_rows(self, rows: np.ndarray, start: Any = None) -> None:
        k = int(rows.sum())
        if not k:
            return
        if start is not None:
            self.indices[rows] = self.space.to_indices(self.space.complete(start))
        elif self.env.initial == "random":
            self.indices[rows] = self.space.sample_indices(k, self.np_random)
        else:
            self.indices[rows] = self._default
        self.t[rows] = 0
        self._metrics[rows] = 0.5
        self._valid[rows] = True

    def _apply_one_shot(self, actions: Any, active: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        """Write the actions of the active rows into ``indices``; rows with a malformed action
        (and the names of its bad dimensions) are returned instead of written."""
        n, d = self.num_envs, len(self.space)
        a = np.asarray(actions)
        if a.size != n * d:
            return active.copy(), [["action_shape"] if on else [] for on in active]
        idx, bad = as_indices(a.reshape(n, d), self.nvec)
        bad &= active[:, None]
        rows = np.asarray(bad.any(axis=1))
        write = active & ~rows
        self.indices[write] = idx[write]
        violations: list[Any] = [[] for _ in range(n)]
        for i in np.flatnonzero(rows):
            violations[i] = [f"action_out_of_range:{self.space.names[j]}" for j in np.flatnonzero(bad[i])]
        return rows, violations

    def _apply_sequential(self, actions: Any, active: np.ndarray) -> tuple[np.ndarray, list[Any]]:
        """Fix the next parameter of every active row (``DesignEnv``'s action → value rule)."""
        n, d = self.num_envs, len(self.space)
        a = np.asarray(actions)
        if a.size != n:
            bad = active.copy()
            a = np.zeros(n, dtype=np.int64)
        else:
            a, out = as_indices(a.reshape(n), np.full(n, self.max_n))
            bad = active & out
        go = active & ~bad
        j = self.t[go]
        self.indices[go, j] = a[go] * self.nvec[j] // self.max_n
        self.t[go] += 1
        violations: list[Any] = [[] for _ in range(n)]
        for i in np.flatnonzero(bad):
            violations[i] = [f"action_out_of_range:{self.space.names[min(int(self.t[i]), d - 1)]}"]
        self.t[bad] = d
        return bad, violations

    def _track_best(self, rows: np.ndarray, cost: np.ndarray, metrics: dict[str, np.ndarray],
                    valid: np.ndarray) -> None:
        if not valid.any():
            return
        k = int(np.argmin(np.where(valid, cost, np.inf)))
        if self.best is None or cost[k] < self.best["cost"]:
            self.best = {"cost": float(cost[k]), "design": self.design(int(rows[k])),
                         "metrics": {m: float(v[k]) for m, v in metrics.items()}}

    # -- outputs -----------------------------------------------------------------------------
    def _observe(self) -> Any:
        fixed = np.arange(len(self.space))[None, :] < self.t[:, None] if self.sequential else None
        return self.env.obs.assemble(self.indices, self._metrics, self._valid, fixed)

    def _info(self, cost: np.ndarray, evaluated: np.ndarray, valid: np.ndarray,
              metrics: dict[str, np.ndarray], violations: list[Any]) -> dict[str, Any]:
        every = np.ones(self.num_envs, dtype=bool)
        flags = np.fromiter(violations, dtype=object, count=self.num_envs)
        return {"cost": cost, "_cost": every, "valid": valid, "_valid": every, "evaluated": evaluated,
                "_evaluated": every, "indices": self.indices.copy(), "_indices": every,
                "metrics": metrics, "_metrics": evaluated, "violations": flags, "_violations": every}


def _rows_of(obs: Any, rows: np.ndarray) -> np.ndarray:
    """An object array holding each selected row's observation (Gymnasium's ``final_obs``)."""
    out = np.empty(len(rows), dtype=object)
    for i in np.flatnonzero(rows):
        out[i] = {k: v[i].copy() for k, v in obs.items()} if isinstance(obs, dict) else obs[i].copy()
    return out
