"""``DesignVectorEnv``: ``num_envs`` design environments stepped with one batched evaluation.

The sub-environments share one :class:`~archgym.evaluator.Evaluator` (one run id, consecutive
store steps), so the designs proposed in one vector step go through the simulator's
``evaluate_batch`` together. Autoreset follows Gymnasium's default *next-step* mode: the step
after a sub-environment ends resets it (its action is ignored, reward 0).
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space, concatenate, create_empty_array

from envs.design_env import DesignEnv


class DesignVectorEnv(VectorEnv):
    """A batch of :class:`DesignEnv` sharing one evaluator; same kwargs as ``DesignEnv``."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": [], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int = 1, **kwargs: Any):
        first = DesignEnv(**kwargs)
        self.envs = [first] + [_sibling(first) for _ in range(num_envs - 1)]
        self.num_envs = num_envs
        self.single_observation_space = first.observation_space
        self.single_action_space = first.action_space
        self.observation_space = batch_space(first.observation_space, num_envs)
        self.action_space = batch_space(first.action_space, num_envs)
        self.evaluator = first.evaluator
        self._autoreset = np.zeros(num_envs, dtype=bool)

    def reset(self, *, seed: int | list[int | None] | None = None,
              options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        seeds = seed if isinstance(seed, list) else [None if seed is None else seed + i
                                                     for i in range(self.num_envs)]
        if seed is not None:
            self._np_random_seed = seeds[0]
        obs, infos = [], {}
        for i, (env, s) in enumerate(zip(self.envs, seeds)):
            o, info = env.reset(seed=s, options=options)
            obs.append(o)
            infos = self._add_info(infos, info, i)
        self._autoreset[:] = False
        return self._stack(obs), infos

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        pending: list[Any] = [None] * self.num_envs
        for i, env in enumerate(self.envs):
            if not self._autoreset[i]:
                pending[i] = env.apply_action(actions[i])
        to_run = [i for i, p in enumerate(pending) if isinstance(p, dict)]
        for i, result in zip(to_run, self.evaluator.evaluate([pending[i] for i in to_run])):
            pending[i] = result
        obs, infos = [], {}
        rewards = np.zeros(self.num_envs)
        terminated = np.zeros(self.num_envs, dtype=bool)
        truncated = np.zeros(self.num_envs, dtype=bool)
        for i, env in enumerate(self.envs):
            if self._autoreset[i]:
                o, info = env.reset()
            else:
                o, rewards[i], terminated[i], truncated[i], info = env.conclude(pending[i])
            obs.append(o)
            infos = self._add_info(infos, info, i)
        self._autoreset = terminated | truncated
        return self._stack(obs), rewards, terminated, truncated, infos

    def action_masks(self) -> np.ndarray:
        """Stacked :meth:`DesignEnv.action_masks` of the sub-environments."""
        return np.stack([env.action_masks() for env in self.envs])

    def _stack(self, obs: list[Any]) -> Any:
        out = create_empty_array(self.single_observation_space, self.num_envs)
        return concatenate(self.single_observation_space, obs, out)


def _sibling(env: DesignEnv) -> DesignEnv:
    """A copy sharing the evaluator, space and mask model, with its own episode state."""
    twin = copy.copy(env)
    twin._np_random = None
    twin._indices = env._indices.copy()
    return twin
