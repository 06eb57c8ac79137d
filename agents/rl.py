"""Reinforcement-learning agents: stable-baselines3 PPO and DQN, sb3-contrib MaskablePPO, trained
on the ``envs`` Gymnasium environment but charged through the same ask/tell budget as every agent.

SB3 drives its own loop (``model.learn``), so the agent inverts control: ``learn`` runs in a
worker thread on a :class:`~envs.design_env.DesignEnv` whose evaluator is a *bridge*. When the
policy acts, the env hands the design to the bridge, which passes it out through :meth:`ask` and
waits; :func:`agents.base.run` evaluates it with the real evaluator and :meth:`tell` passes the
result back, so the env computes its reward and the policy keeps learning. One env step that
evaluates a design = one budget unit. :meth:`close` stops the worker when the budget is spent.

Formulations: PPO and MaskablePPO use the one-shot env (a ``MultiDiscrete`` action is a whole
design, ArchGym's formulation; MaskablePPO also masks values that no completion can make
feasible). DQN needs a ``Discrete`` action, so it uses the sequential env (one parameter per step,
ConfuciuX's formulation); its evaluations are the episodes' last steps.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from agents.base import Agent
from archgym.config import StrictModel
from archgym.errors import ConfigError
from archgym.evaluator import Evaluated
from archgym.metrics import BatchResult, Result
from archgym.simulator import Simulator
from archgym.space import Design, DesignSpace
from archgym.workload import Workload


class _Stop(BaseException):
    """Raised inside the learner thread to end ``learn`` (a BaseException: SB3 must not catch it)."""


class FixedSpaceSimulator(Simulator):
    """A simulator seen through a given design space (the evaluator's, possibly restricted), so
    the env's action space is exactly the space the budget protocol searches."""

    def __init__(self, base: Simulator, space: DesignSpace):
        self.base, self._space = base, space
        self.name, self.fidelities, self.default_preset = base.name, base.fidelities, base.default_preset

    def presets(self) -> dict[str, Any]:
        return self.base.presets()

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        return self._space

    def evaluate(self, design: Mapping[str, Any], workload: Workload, fidelity: str = "analytical") -> Result:
        return self.base.evaluate(design, workload, fidelity)

    def evaluate_batch(self, designs: Any, workload: Workload, fidelity: str = "analytical") -> Any:
        return self.base.evaluate_batch(designs, workload, fidelity)


class _Bridge:
    """Stands in for the env's evaluator: hands designs out, waits for their results."""

    def __init__(self, evaluator: Any):
        self.objective, self.fidelity, self.space = evaluator.objective, evaluator.fidelity, evaluator.space
        self.run_id, self.seed, self.evaluations = getattr(evaluator, "run_id", ""), None, 0
        self.outbox: queue.Queue = queue.Queue()
        self.inbox: queue.Queue = queue.Queue()

    def evaluate(self, designs: Sequence[Design]) -> list[Result]:
        self.outbox.put(("designs", list(designs)))
        results = self.inbox.get()
        if results is None:
            raise _Stop
        self.evaluations += len(designs)
        return results

    def evaluate_indices(self, indices: np.ndarray) -> BatchResult:
        """The env's batched path (:meth:`Evaluator.evaluate_indices`), through :meth:`evaluate`."""
        results = self.evaluate([self.space.from_indices(row) for row in np.atleast_2d(indices)])
        return BatchResult.from_results(results, dict(results[0].info) if results else {})

    def evaluate_one(self, indices: Sequence[int]) -> Evaluated:
        """The env's one-design path (:meth:`Evaluator.evaluate_one`): :meth:`evaluate_indices`' row 0."""
        return Evaluated.of(self.space.from_indices(indices),
                            self.evaluate_indices(np.array([indices], dtype=np.int64)).row(0))


class RLConfig(StrictModel):
    """Shared RL settings: ``episode_length`` (one-shot designs per episode), ``net_arch`` (hidden
    layers of policy and value nets), ``gamma``, ``learning_rate``, ``torch_threads``."""

    episode_length: int = Field(default=16, ge=1, le=1_000_000)
    net_arch: list[int] = Field(default_factory=lambda: [64, 64])
    gamma: float = Field(default=0.9, ge=0, le=1)
    learning_rate: float = Field(default=3e-4, gt=0)
    torch_threads: int = Field(default=1, ge=1, le=256)
    batch_size: int = Field(default=1, ge=1, le=1)


class PPOConfig(RLConfig):
    """PPO (Schulman et al., 2017): ``n_steps`` per rollout, ``minibatch_size``, ``n_epochs``,
    ``gae_lambda``, ``clip_range``, ``ent_coef`` (entropy bonus: exploration)."""

    n_steps: int = Field(default=256, ge=2, le=1_000_000)
    minibatch_size: int = Field(default=64, ge=2, le=1_000_000)
    n_epochs: int = Field(default=10, ge=1, le=10_000)
    gae_lambda: float = Field(default=0.95, ge=0, le=1)
    clip_range: float = Field(default=0.2, gt=0)
    ent_coef: float = Field(default=0.01, ge=0)


class DQNConfig(RLConfig):
    """DQN (Mnih et al., 2015): replay ``buffer_size``, ``learning_starts``, ε-greedy schedule
    (``exploration_fraction``, ``exploration_final_eps``), ``train_freq``,
    ``target_update_interval``, ``minibatch_size``. Counted in env steps (d per design)."""

    gamma: float = Field(default=0.99, ge=0, le=1)
    buffer_size: int = Field(default=50_000, ge=100)
    learning_starts: int = Field(default=200, ge=0)
    exploration_fraction: float = Field(default=0.3, gt=0, le=1)
    exploration_final_eps: float = Field(default=0.05, ge=0, le=1)
    train_freq: int = Field(default=4, ge=1)
    target_update_interval: int = Field(default=500, ge=1)
    minibatch_size: int = Field(default=64, ge=2, le=1_000_000)
    expected_evaluations: int = Field(default=1000, ge=1)


class _SB3Agent(Agent):
    """Runs an SB3 algorithm on a DesignEnv in a worker thread (see the module docstring)."""

    algo: ClassVar[tuple[str, str]] = ("", "")
    mode: ClassVar[str] = "one-shot"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env: Any = None
        self.model: Any = None
        self._bridge: _Bridge | None = None
        self._thread: threading.Thread | None = None

    def bind(self, evaluator: Any) -> None:
        import torch

        from envs.design_env import DesignEnv

        torch.set_num_threads(self.hp.torch_threads)
        sim = FixedSpaceSimulator(evaluator.simulator, evaluator.space)
        length = self.hp.episode_length if self.mode == "one-shot" else None
        self.env = DesignEnv(sim, evaluator.workload, self.objective, fidelity=evaluator.fidelity,
                             mode=self.mode, episode_length=length)
        self._bridge = _Bridge(evaluator)
        self.env.evaluator = self._bridge
        self.model = self._build_model()

    def _build_model(self) -> Any:
        import importlib

        from envs.sb3_logging import quiet

        module, cls = self.algo
        algorithm = getattr(importlib.import_module(module), cls)
        return quiet(algorithm("MlpPolicy", self.env, seed=self.seed, verbose=0, device="cpu",
                               policy_kwargs={"net_arch": list(self.hp.net_arch)}, **self._algo_kwargs()))

    def _algo_kwargs(self) -> dict[str, Any]:
        raise NotImplementedError

    def _learn(self) -> None:
        try:
            self.model.learn(total_timesteps=1 << 40)
        except _Stop:
            pass
        except Exception as exc:  # noqa: BLE001 - handed to the caller of ask()
            self._bridge.outbox.put(("error", exc))
            return
        self._bridge.outbox.put(("done", None))

    def ask(self, n: int) -> list[Design]:
        if self._bridge is None:
            raise ConfigError(f"agent {self.name}: an RL agent needs bind(evaluator) first (agents.run does it)")
        if self._thread is None:
            self._thread = threading.Thread(target=self._learn, name=f"{self.name}-learn", daemon=True)
            self._thread.start()
        kind, payload = self._bridge.outbox.get()
        if kind == "error":
            raise payload
        return payload if kind == "designs" else []

    def tell(self, designs: Sequence[Design], results: Sequence[Result]) -> None:
        self._bridge.inbox.put(list(results))

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._bridge.inbox.put(None)
            self._thread.join(timeout=30)
        self._thread = None


class PPOAgent(_SB3Agent):
    """stable-baselines3 PPO on the one-shot env (MultiDiscrete action = a whole design)."""

    name = "ppo"
    Config = PPOConfig
    algo = ("stable_baselines3", "PPO")

    def _algo_kwargs(self) -> dict[str, Any]:
        hp = self.hp
        return {"learning_rate": hp.learning_rate, "n_steps": hp.n_steps, "batch_size": hp.minibatch_size,
                "n_epochs": hp.n_epochs, "gamma": hp.gamma, "gae_lambda": hp.gae_lambda,
                "clip_range": hp.clip_range, "ent_coef": hp.ent_coef}


class MaskablePPOAgent(PPOAgent):
    """sb3-contrib MaskablePPO on the one-shot env, using the env's ``action_masks()``."""

    name = "maskable-ppo"
    algo = ("sb3_contrib", "MaskablePPO")


class DQNAgent(_SB3Agent):
    """stable-baselines3 DQN on the sequential env (Discrete action: one parameter per step).

    ε decays over ``exploration_fraction`` of ``expected_evaluations`` designs (SB3 schedules
    against the ``total_timesteps`` passed to ``learn``)."""

    name = "dqn"
    Config = DQNConfig
    algo = ("stable_baselines3", "DQN")
    mode = "sequential"

    def _algo_kwargs(self) -> dict[str, Any]:
        hp = self.hp
        return {"learning_rate": hp.learning_rate, "buffer_size": hp.buffer_size,
                "learning_starts": hp.learning_starts, "batch_size": hp.minibatch_size, "gamma": hp.gamma,
                "exploration_fraction": hp.exploration_fraction,
                "exploration_final_eps": hp.exploration_final_eps, "train_freq": hp.train_freq,
                "target_update_interval": hp.target_update_interval}

    def _learn(self) -> None:
        steps = self.hp.expected_evaluations * len(self.space)
        try:
            self.model.learn(total_timesteps=steps)
            final = self.hp.exploration_final_eps
            self.model.exploration_schedule = lambda _progress: final  # past the schedule: ε stays final
            while True:
                self.model.learn(total_timesteps=steps, reset_num_timesteps=False)
        except _Stop:
            pass
        except Exception as exc:  # noqa: BLE001
            self._bridge.outbox.put(("error", exc))
            return
        self._bridge.outbox.put(("done", None))
