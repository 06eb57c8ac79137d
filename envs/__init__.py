"""Gymnasium environments over archgym simulators.

Importing this package registers the ``archgym/`` ids (:data:`ENV_IDS`) with Gymnasium::

    import gymnasium as gym, envs
    env = gym.make("archgym/Systolic-v1", workload="gemm:M=64,N=64,K=64", objective="edp")
"""

from envs.design_env import DEFAULT_WORKLOADS, MODES, DesignEnv
from envs.registry import ENTRIES, ENV_IDS, entry, register_all

register_all()

__all__ = ["DEFAULT_WORKLOADS", "ENTRIES", "ENV_IDS", "MODES", "DesignEnv", "entry", "register_all"]
