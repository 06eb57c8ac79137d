"""Gymnasium environments over archgym simulators.

The ``archgym/`` ids (:data:`ENV_IDS`) are registered with Gymnasium by ``import archgym``
(which importing this package implies)::

    import gymnasium as gym, archgym
    env = gym.make("archgym/Systolic-v1", workload="gemm:M=64,N=64,K=64", objective="edp")
"""

from envs.design_env import DEFAULT_WORKLOADS, MODES, DesignEnv
from envs.registry import ENTRIES, ENV_IDS, entry, register_all

__all__ = ["DEFAULT_WORKLOADS", "ENTRIES", "ENV_IDS", "MODES", "DesignEnv", "entry", "register_all"]
