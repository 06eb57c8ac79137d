"""``SB3VecEnv``: a :class:`~envs.vector.DesignVectorEnv` as a stable-baselines3 ``VecEnv``.

SB3 expects same-step autoreset (a finished sub-environment's observation is already the reset
one, the last one in ``infos[i]["terminal_observation"]``), ``dones = terminated | truncated``
and ``infos[i]["TimeLimit.truncated"]``; the adapter sets the vector env to Gymnasium's
``SameStep`` mode and translates. Each step is still one batched evaluation; the per-env info
dicts hold ``cost``, ``valid`` and ``evaluated`` (what archgym's training callback reads).
``env_method("action_masks")`` serves sb3-contrib's MaskablePPO; ``get_attr`` reads attributes
of the vector env (shared by every sub-environment).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env import VecEnv

from envs.vector import DesignVectorEnv


class SB3VecEnv(VecEnv):
    """SB3 view of a :class:`DesignVectorEnv` (switched to same-step autoreset)."""

    def __init__(self, venv: DesignVectorEnv):
        venv.metadata = {**venv.metadata, "autoreset_mode": AutoresetMode.SAME_STEP}
        self.venv = venv
        self._actions: np.ndarray | None = None
        self._seed: int | None = None
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)

    def reset(self) -> Any:
        obs, _ = self.venv.reset(seed=self._seed)
        self._seed = None
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> tuple[Any, np.ndarray, np.ndarray, list[dict[str, Any]]]:
        obs, rewards, terminated, truncated, info = self.venv.step(self._actions)
        dones = terminated | truncated
        infos = [{"cost": c, "valid": v, "evaluated": e} for c, v, e in
                 zip(info["cost"].tolist(), info["valid"].tolist(), info["evaluated"].tolist())]
        for i in np.flatnonzero(dones):
            infos[i]["terminal_observation"] = info["final_obs"][i]
            infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        return obs, rewards.astype(np.float32), dones, infos

    def seed(self, seed: int | None = None) -> Sequence[None | int]:
        self._seed = seed
        return [None if seed is None else seed + i for i in range(self.num_envs)]

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [getattr(self.venv, attr_name)] * len(self._indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        setattr(self.venv, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any
                   ) -> list[Any]:
        rows = self._indices(indices)
        if method_name == "action_masks":
            return list(self.venv.action_masks()[rows])
        result = getattr(self.venv, method_name)(*method_args, **method_kwargs)
        return [result] * len(rows)

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * len(self._indices(indices))

    def _indices(self, indices: None | int | Iterable[int]) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        return [indices] if isinstance(indices, int) else list(indices)
