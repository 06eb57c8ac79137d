"""Soft actor-critic (stable-baselines3 SAC; Haarnoja et al., 2018) on a continuous relaxation of the
one-shot env: the action is a point of [−1, 1]^d, parameter i takes value index
``min(⌊(x_i + 1)/2 · n_i⌋, n_i − 1)`` of its n_i choices (the single-agent baseline of the MARL
paper, Krishnan et al., arXiv 2211.16385). Budget and threading as every SB3 agent (agents/rl.py)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from pydantic import Field

from agents.rl import RLConfig, _SB3Agent


class SACConfig(RLConfig):
    """SAC: replay ``buffer_size``, ``learning_starts`` (random designs first), ``minibatch_size``,
    ``tau`` (target smoothing), ``train_freq`` (env steps per update)."""

    gamma: float = Field(default=0.0, ge=0, le=1)
    buffer_size: int = Field(default=10_000, ge=100)
    learning_starts: int = Field(default=20, ge=0)
    minibatch_size: int = Field(default=64, ge=2)
    tau: float = Field(default=0.005, gt=0, le=1)
    train_freq: int = Field(default=1, ge=1)


class RelaxedActions(gym.ActionWrapper):
    """A ``MultiDiscrete`` env seen through a ``Box([-1, 1]^d)`` action."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self._n = np.asarray(env.action_space.nvec, dtype=np.int64)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(len(self._n),), dtype=np.float32)

    def action(self, action: np.ndarray) -> np.ndarray:
        frac = (np.clip(np.asarray(action, dtype=float), -1.0, 1.0) + 1.0) / 2.0
        return np.minimum((frac * self._n).astype(np.int64), self._n - 1)


class SACAgent(_SB3Agent):
    """stable-baselines3 SAC on the one-shot env through :class:`RelaxedActions`."""

    name = "sac"
    Config = SACConfig
    algo = ("stable_baselines3", "SAC")

    def _build_model(self) -> Any:
        self.env = RelaxedActions(self.env)
        return super()._build_model()

    def _algo_kwargs(self) -> dict[str, Any]:
        hp = self.hp
        return {"learning_rate": hp.learning_rate, "buffer_size": hp.buffer_size,
                "learning_starts": hp.learning_starts, "batch_size": hp.minibatch_size, "tau": hp.tau,
                "gamma": hp.gamma, "train_freq": hp.train_freq}
