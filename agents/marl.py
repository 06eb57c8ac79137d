"""Multi-agent RL (``marl-ppo``): one agent per sub-system, behind the same ask/tell budget.

The evaluator's design space is split into parameter groups (compute array, on-chip memory,
off-chip interface, mapping — :func:`envs.multiagent.default_groups`, or ``groups`` from the
YAML); each group is an agent of a PettingZoo :class:`~envs.multiagent.MultiAgentDesignEnv`, and
one PPO policy is shared across the agents (SuperSuit vectorisation, a one-hot agent indicator in
the observation), as in Krishnan et al., "Multi-Agent Reinforcement Learning for Microprocessor
Design Space Exploration" (2022). Every joint action is one design: one budget unit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import Field

from agents.rl import PPOAgent, PPOConfig


class MARLPPOConfig(PPOConfig):
    """PPO settings (per joint step: ``n_steps`` designs per rollout) plus ``groups``: parameter
    group → parameter names, partitioning the space (empty: the family's default grouping), and
    ``shaping``: group → {metric: weight}, per-group reward terms (``− weight · log10 metric``)."""

    groups: dict[str, list[str]] = Field(default_factory=dict)
    shaping: dict[str, dict[str, float]] = Field(default_factory=dict)


class MARLPPOAgent(PPOAgent):
    """Parameter-shared PPO over one agent per parameter group (see the module docstring)."""

    name = "marl-ppo"
    Config = MARLPPOConfig

    def _build_model(self) -> Any:
        from stable_baselines3 import PPO
        from stable_baselines3.common.utils import set_random_seed

        from envs.multiagent import MultiAgentDesignEnv, shared_policy_vec_env
        from envs.sb3_logging import quiet

        self.marl = MultiAgentDesignEnv(self.env, groups=self.hp.groups or None, shared_action_space=True,
                                        shaping=self.hp.shaping)
        vec = shared_policy_vec_env(self.marl)
        agents = len(self.marl.possible_agents)
        kwargs = self._algo_kwargs()
        # SB3 counts a rollout in agent-steps (n_steps per sub-env); its minibatch must divide it
        kwargs["batch_size"] = int(np.gcd(kwargs["batch_size"] * agents, kwargs["n_steps"] * agents))
        set_random_seed(self.seed)  # SuperSuit's vector env has no seed(): seed torch/numpy here
        self.marl.reset(seed=self.seed)
        return quiet(PPO("MlpPolicy", vec, verbose=0, device="cpu",
                         policy_kwargs={"net_arch": list(self.hp.net_arch)}, **kwargs))
