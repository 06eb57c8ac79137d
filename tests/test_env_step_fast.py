"""``DesignEnv.step``'s lean bookkeeping (values read straight from the batch, the observation written
into a preallocated row) gives exactly what the env's documented dynamics give when every step goes
the public per-design way: ``Evaluator.evaluate_indices`` → ``result_rows`` → ``Objective.cost_batch``
and ``ObservationBuilder._squash`` of one-element arrays → ``ObservationBuilder.assemble`` (the array
ways, which the env's float ways must equal bit for bit). Observations, rewards, episode ends, ``info``,
``best`` and the store rows are compared bit for bit over seeded runs that mix legal and malformed actions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from archgym.evaluator import Evaluator, result_rows
from archgym.metrics import BatchResult, Result
from archgym.store import RunStore
from envs.design_env import DesignEnv, as_indices

sys.path.insert(0, str(Path(__file__).parent))
from exact_compare import assert_same
from toy_simulator import ToySimulator

GEMM = "gemm:M=64,N=64,K=64"
AREA_BOUND = {"kind": "minimize", "metric": "latency_s", "constraints": {"area_mm2": 5.0}}
SCENARIOS = [                       # family, workload, extra DesignEnv kwargs
    ("systolic", GEMM, {}),
    ("systolic", GEMM, {"obs_type": "dict", "objective": AREA_BOUND}),
    ("pim", "gemv:M=1024,K=1024", {"initial": "random"}),
    ("fpga", None, {}),
    ("toy", "gemm:M=64,N=64,K=1024", {}),  # constraint violations; buffers too small: invalid
    ("nan-toy", GEMM, {}),
]


class NanToy(ToySimulator):
    """The toy simulator reporting one metric as NaN (not computed) on slow clocks."""

    def evaluate_batch(self, designs: Any, workload: Any, fidelity: str = "analytical") -> BatchResult:
        batch = super().evaluate_batch(designs, workload, fidelity)
        slow = np.asarray(designs["clock_mhz"], dtype=float) < 800
        batch.metrics["utilization"] = np.where(slow, np.nan, batch.metrics["utilization"])
        return batch


class Reference:
    """DesignEnv's documented dynamics, one design at a time through the public evaluate path."""

    def __init__(self, env: DesignEnv, store: RunStore):
        self.env = env
        self.evaluator = Evaluator(env.simulator, env.workload, env.space, env.objective,
                                   env.evaluator.fidelity, store, "reference")
        self.best: dict[str, Any] | None = None

    def reset(self, indices: np.ndarray, seed: int | None) -> tuple[Any, dict[str, Any]]:
        if seed is not None:
            self.evaluator.seed = seed
        self.indices, self.t, self.last = indices.copy(), 0, Result({}, True)
        return self._obs(), self._blank_info()

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        env, names = self.env, self.env.space.names
        a = np.asarray(action).reshape(-1)
        if env.mode == "one-shot":
            idx, out = as_indices(a, env.nvec) if a.shape == env.nvec.shape else (None, None)
            bad = ["action_shape"] if out is None else [f"action_out_of_range:{names[j]}"
                                                        for j in np.flatnonzero(out)]
            if not bad:
                self.indices = idx
        else:
            idx, out = as_indices(a, np.array([env.max_n])) if a.shape == (1,) else (a, np.array([True]))
            bad = [f"action_out_of_range:{names[min(self.t, len(names) - 1)]}"] if out.any() else []
            if bad:
                self.t = len(names)
            else:
                self.indices[self.t] = int(idx[0]) * int(env.nvec[self.t]) // env.max_n
                self.t += 1
                if self.t < len(names):
                    return self._obs(), 0.0, False, False, self._blank_info()
        result = Result.invalid(bad) if bad else \
            result_rows(self.evaluator.evaluate_indices(self.indices[None]))[0]
        cost = env.objective.invalid_cost if bad else float(env.objective.cost_batch(   # the array way
            {k: np.array([v], dtype=float) for k, v in result.metrics.items()}, np.array([result.valid]))[0])
        self.last = result
        design = self._design()
        if result.valid and (self.best is None or cost < self.best["cost"]):
            self.best = {"cost": cost, "design": design, "metrics": dict(result.metrics)}
        info = {"design": design, "metrics": dict(result.metrics), "valid": result.valid,
                "violations": list(result.violations), "cost": cost,
                "predicted": bool(result.info.get("predicted", False)), "evaluated": True}
        if env.mode == "sequential":
            return self._obs(), -cost, True, False, info
        self.t += 1
        return self._obs(), -cost, False, self.t >= env.episode_length, info

    def _blank_info(self) -> dict[str, Any]:
        return {"design": self._design(), "metrics": {}, "valid": True, "violations": [], "cost": 0.0,
                "predicted": False, "evaluated": False}

    def _design(self) -> dict[str, Any]:
        return self.env.space.from_indices(self.indices)

    def _obs(self) -> Any:
        """``ObservationBuilder.assemble`` of one design, its metrics squashed the array way."""
        obs, metrics, d = self.env.obs, self.last.metrics, len(self.env.space)
        raw = np.array([[metrics.get(m, np.nan) for m in obs.metrics]], dtype=float)
        observed = obs._squash(raw) if metrics else np.full((1, len(obs.metrics)), 0.5, dtype=np.float32)
        fixed = (np.arange(d) < self.t)[None, :] if self.env.mode == "sequential" else None
        out = obs.assemble(self.indices[None, :], observed, np.array([self.last.valid]), fixed)
        return {k: v[0] for k, v in out.items()} if isinstance(out, dict) else out[0]


def _actions(env: DesignEnv, rng: np.random.Generator, n: int) -> list[Any]:
    """Mostly legal actions as agents send them, with every kind of malformed one mixed in."""
    out: list[Any] = []
    for kind in rng.integers(0, 12 if env.mode == "one-shot" else 40, size=n):  # sequential: 1 in 20 bad
        a = env.action_space.sample()
        if env.mode == "sequential":
            out.append({0: float(a), 1: env.max_n + int(kind), 2: np.array([a]), 3: -1}.get(int(kind), a))
            continue
        b = np.array(a)
        if kind == 1:
            b = b.astype(float)
            b[0] += 0.5                                 # fractional
        elif kind == 2:
            b[-1] = env.nvec[-1]                        # one past the end
        elif kind == 3:
            b[0] = -1
        out.append({0: a.astype(float), 1: b, 2: b, 3: b, 4: a[:-1], 5: a.tolist(), 6: a[None, :],
                    7: a.astype(np.uint8), 8: a.astype(np.int32)}.get(int(kind), a))
    return out


def _run(env: DesignEnv, actions: list[Any], seed: int, reference: Reference | None = None) -> list[Any]:
    """Every output of a seeded run (reset outputs included), kept until the end (so an observation
    that a later step overwrote would show)."""
    obs, info = env.reset(seed=seed)
    out: list[Any] = [(obs, info)] if reference is None else [reference.reset(env._indices, seed)]
    for a in actions:
        step = env.step(a) if reference is None else reference.step(a)
        out.append(step)
        if step[2] or step[3]:
            obs, info = env.reset()
            out.append((obs, info) if reference is None else reference.reset(env._indices, None))
    return out


def _rows(store: RunStore, run_id: str) -> list[tuple[Any, ...]]:
    return [(r.step, r.design, r.metrics, r.valid, r.violations, r.seed, r.predicted, r.simulator, r.fidelity,
             r.workload, r.model_version) for r in store.records(run_id)]


@pytest.mark.parametrize("mode", ["one-shot", "sequential"])
@pytest.mark.parametrize("family, workload, kwargs", SCENARIOS,
                         ids=[f"{s[0]}-{i}" for i, s in enumerate(SCENARIOS)])
def test_step_matches_the_public_evaluate_path(tmp_path, family, workload, kwargs, mode):
    store = RunStore(tmp_path / "runs.db")
    sim = {"toy": ToySimulator(), "nan-toy": NanToy()}.get(family, family)
    env = DesignEnv(sim, workload, mode=mode, episode_length=None if mode == "sequential" else 7,
                    store=store, run_id="env", **kwargs)
    env.action_space.seed(5)
    actions = _actions(env, np.random.default_rng(5), 60)
    got = _run(env, actions, seed=5)
    twin = DesignEnv(sim, workload, mode=mode, episode_length=None if mode == "sequential" else 7, **kwargs)
    reference = Reference(twin, store)
    want = _run(twin, actions, seed=5, reference=reference)  # twin: reset draws the same initial designs
    assert_same(got, want, f"{family} {mode}")
    assert_same(env.best, reference.best, "best")
    assert env.evaluator.evaluations == reference.evaluator.evaluations > 0
    assert_same(_rows(store, "env"), _rows(store, "reference"), "store rows")


def test_observations_are_fresh_arrays():
    env = DesignEnv(ToySimulator(), GEMM)
    first, _ = env.reset(seed=0)
    second, *_ = env.step(env.action_space.sample())
    assert first is not second and not np.shares_memory(first, second)
