"""Multi-agent design: a PettingZoo ``ParallelEnv`` over any one-shot :class:`DesignEnv`.

The design space is partitioned into named groups of parameters, one agent per group (by
default: ``compute`` array, ``on_chip_memory``, ``off_chip`` memory and ``mapping``, derived
from parameter names; pass ``groups=`` to override). Each step every agent chooses the values of
its own parameters; the joint design is evaluated once and every agent receives the same reward,
observation (the design env's flat observation) and ``info``. Optional per-group ``shaping``
(``{group: {metric: weight}}``) subtracts ``weight · log10(metric)`` from that group's reward, so
e.g. the memory agent also feels energy; invalid designs get the shared penalty only.

With ``shared_action_space=True`` every agent gets the same ``MultiDiscrete([max_n] * max_len)``
action space (action ``a`` of a parameter with ``n`` values picks index ``a·n // max_n``; extra
dimensions are ignored), so one policy can be shared across agents — what
:func:`train_marl_ppo` does with SuperSuit and stable-baselines3.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from archgym.errors import ConfigError
from envs.design_env import DesignEnv
from envs.sb3_logging import quiet

#: group → keywords of parameter names (checked in this order; "mapping" is decided first)
GROUP_KEYWORDS: dict[str, tuple[str, ...]] = {
    "off_chip": ("dram", "hbm", "ddr", "gddr", "off_chip", "bw", "link", "channel", "bank", "socket"),
    "on_chip_memory": ("sram", "buf", "_kb", "kib", "mib", "mem", "bram", "uram", "pmu", "scratch", "cache",
                       "fifo", "regs"),
}


def default_groups(env: DesignEnv) -> dict[str, list[str]]:
    """Partition ``env.space`` by parameter name: mapping parameters are those not in the
    simulator's hardware-only (``auto``) space; hardware parameters by :data:`GROUP_KEYWORDS`."""
    hardware = set(env.simulator.space(env.workload, env.preset, "auto").names)
    groups: dict[str, list[str]] = {"compute": [], "on_chip_memory": [], "off_chip": [], "mapping": []}
    for name in env.space.names:
        if name not in hardware:
            groups["mapping"].append(name)
            continue
        low = name.lower()
        group = next((g for g, words in GROUP_KEYWORDS.items() if any(w in low for w in words)), "compute")
        groups[group].append(name)
    return {g: names for g, names in groups.items() if names}


class MultiAgentDesignEnv(ParallelEnv):
    """One agent per parameter group of a one-shot :class:`DesignEnv`; shared evaluation and reward."""

    metadata: ClassVar[dict[str, Any]] = {"name": "archgym_multiagent_v0", "render_modes": []}

    def __init__(self, env: DesignEnv | str, groups: Mapping[str, Sequence[str]] | None = None,
                 shared_action_space: bool = False,
                 shaping: Mapping[str, Mapping[str, float]] | None = None, **env_kwargs: Any):
        base = gym.make(env, **env_kwargs).unwrapped if isinstance(env, str) else env
        if not isinstance(base, DesignEnv) or base.mode != "one-shot":
            raise ConfigError("multiagent: needs a one-shot DesignEnv (mode='one-shot')")
        self.base = base
        self.render_mode = None
        self.groups = {g: list(n) for g, n in (groups or default_groups(base)).items()}
        names = base.space.names
        listed = [n for members in self.groups.values() for n in members]
        if sorted(listed) != sorted(names):
            missing = sorted(set(names) - set(listed)) or sorted(set(listed) - set(names))
            raise ConfigError(f"multiagent groups: must partition the space's parameters; check {missing[:5]}")
        self._positions = {g: np.array([names.index(n) for n in m]) for g, m in self.groups.items()}
        self.shaping = {g: dict(w) for g, w in (shaping or {}).items()}
        unknown = sorted(set(self.shaping) - set(self.groups))
        if unknown:
            raise ConfigError.bad_value("multiagent shaping group", unknown[0], list(self.groups))
        self.possible_agents = list(self.groups)
        self.agents: list[str] = []
        self.shared_action_space = shared_action_space
        self._max_n = int(base.nvec.max())
        self._max_len = max(len(m) for m in self.groups.values())

    @functools.cache  # noqa: B019 - PettingZoo wants the same object every call
    def observation_space(self, agent: str) -> spaces.Space:
        return self.base.observation_space

    @functools.cache  # noqa: B019
    def action_space(self, agent: str) -> spaces.Space:
        if self.shared_action_space:
            return spaces.MultiDiscrete(np.full(self._max_len, self._max_n))
        return spaces.MultiDiscrete(self.base.nvec[self._positions[agent]])

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        obs, info = self.base.reset(seed=seed, options=options)
        for agent in self.possible_agents:
            self.action_space(agent).seed(None if seed is None else seed + len(agent))
        self.agents = list(self.possible_agents)
        return {a: obs for a in self.agents}, {a: dict(info) for a in self.agents}

    def step(self, actions: Mapping[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        joint = self.base._indices.copy()
        for agent in self.agents:
            if agent in actions:
                pos = self._positions[agent]
                a = np.asarray(actions[agent]).reshape(-1)
                if self.shared_action_space:
                    a = a[:len(pos)] * self.base.nvec[pos] // self._max_n
                joint[pos] = a
        obs, reward, terminated, truncated, info = self.base.step(joint)
        agents = list(self.agents)
        if terminated or truncated:
            self.agents = []
        return ({a: obs for a in agents}, {a: self._shaped(a, float(reward), info) for a in agents},
                {a: bool(terminated) for a in agents}, {a: bool(truncated) for a in agents},
                {a: dict(info) for a in agents})

    def _shaped(self, agent: str, reward: float, info: Mapping[str, Any]) -> float:
        """The shared reward minus ``agent``'s shaping terms (valid designs with the metrics only)."""
        terms = self.shaping.get(agent)
        if not terms or not info.get("valid"):
            return reward
        metrics = info.get("metrics", {})
        return reward - sum(w * float(np.log10(metrics[m])) for m, w in terms.items()
                            if metrics.get(m, 0) > 0)

    def state(self) -> np.ndarray:
        return np.asarray(self.base._observation())

    def close(self) -> None:
        self.base.close()


def shared_policy_vec_env(marl: MultiAgentDesignEnv) -> Any:
    """An SB3 ``VecEnv`` with one sub-env per group agent of ``marl`` (SuperSuit), for one policy
    shared across agents: each agent sees the shared observation plus a one-hot agent indicator.

    Built directly rather than with ``concat_vec_envs_v1``, which pickles a copy of the env (the
    copy would not share this env's evaluator, counters or run store)."""
    import supersuit as ss
    from supersuit.vector import ConcatVecEnv
    from supersuit.vector.sb3_vector_wrapper import SB3VecEnvWrapper

    if not marl.shared_action_space:
        raise ConfigError("multiagent: a shared policy needs shared_action_space=True")
    markov = ss.pettingzoo_env_to_vec_env_v1(ss.agent_indicator_v0(marl))
    return SB3VecEnvWrapper(ConcatVecEnv([lambda: markov], markov.observation_space, markov.action_space))


def train_marl_ppo(env_id: str, steps: int, seed: int = 0, groups: Mapping[str, Sequence[str]] | None = None,
                   logdir: str | None = None, **env_kwargs: Any) -> tuple[Any, MultiAgentDesignEnv]:
    """Parameter-shared PPO (SuperSuit + stable-baselines3) over the group agents of ``env_id``.

    Returns the trained model and the multi-agent env (its ``base.best`` is the best design
    found; ``base.evaluator`` counts the evaluations). ``agents.marl`` is the same learner
    behind the ask/tell budget protocol (``--agent marl-ppo``).
    """
    from stable_baselines3 import PPO
    from stable_baselines3.common.utils import set_random_seed

    marl = MultiAgentDesignEnv(env_id, groups=groups, shared_action_space=True, **env_kwargs)
    vec = shared_policy_vec_env(marl)
    n_agents = len(marl.possible_agents)
    n_steps = max(16, min(512, steps // (4 * n_agents) // 16 * 16))
    # SuperSuit's vector env has no seed(): seed torch/numpy here (the design env itself is deterministic)
    set_random_seed(seed)
    marl.reset(seed=seed)
    model = PPO("MlpPolicy", vec, n_steps=n_steps, batch_size=int(np.gcd(64, n_steps * n_agents)),
                tensorboard_log=logdir, verbose=0)
    if logdir is None:
        quiet(model)
    model.learn(total_timesteps=steps)
    return model, marl
