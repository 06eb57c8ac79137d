"""The agent registry: names → classes, with hyperparameter defaults from ``configs/agents/NAME.yaml``.

Each YAML holds the agent's hyperparameters and, under ``sweep:``, the ranges that the
hyperparameter sweep draws from (see :mod:`agents.hpsweep`). Classes are imported lazily, so
``import agents`` does not import pymoo, BoTorch, torch or stable-baselines3.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agents.base import Agent
from archgym.config import read_yaml
from archgym.errors import ConfigError, UnknownNameError
from archgym.metrics import Objective
from archgym.space import DesignSpace

#: agent name → "module:Class"
AGENTS: dict[str, str] = {
    "random": "agents.random_search:RandomSearch",
    "ga": "agents.evolutionary:GeneticAlgorithm",
    "digamma": "agents.digamma:DiGammaGA",
    "gradient": "agents.gradient:GradientDescent",
    "nsga2": "agents.evolutionary:NSGA2Agent",
    "bo": "agents.bayesian:BayesianOptimization",
    "sa": "agents.annealing:SimulatedAnnealing",
    "ppo": "agents.rl:PPOAgent",
    "dqn": "agents.rl:DQNAgent",
    "maskable-ppo": "agents.rl:MaskablePPOAgent",
    "marl-ppo": "agents.marl:MARLPPOAgent",
    "sac": "agents.sac:SACAgent",
    "proxy-screen": "agents.screening:ProxyScreenAgent",
}

#: where the per-agent YAML files live (the repository's configs/agents/)
CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs" / "agents"
SWEEP_KEY = "sweep"


def agent_class(name: str) -> type[Agent]:
    if name not in AGENTS:
        raise UnknownNameError(f"agent: {name!r} is not known; allowed: {', '.join(AGENTS)}")
    module_name, _, cls_name = AGENTS[name].partition(":")
    return getattr(importlib.import_module(module_name), cls_name)


def _raw_config(name: str) -> dict[str, Any]:
    if name not in AGENTS:
        raise UnknownNameError(f"agent: {name!r} is not known; allowed: {', '.join(AGENTS)}")
    path = CONFIG_DIR / f"{name}.yaml"
    if not path.is_file():
        return {}
    data = read_yaml(path) or {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: (top level): expected a mapping of hyperparameters")
    return dict(data)


def load_agent_config(name: str) -> dict[str, Any]:
    """Default hyperparameters of ``name`` (its YAML without the ``sweep`` section), validated."""
    data = _raw_config(name)
    data.pop(SWEEP_KEY, None)
    cls = agent_class(name)
    from archgym.config import validate

    validate(cls.Config, data, str(CONFIG_DIR / f"{name}.yaml"))
    return data


def load_sweep_ranges(name: str) -> dict[str, Any]:
    """The ``sweep:`` section of ``configs/agents/NAME.yaml`` (hyperparameter → range)."""
    ranges = _raw_config(name).get(SWEEP_KEY) or {}
    if not isinstance(ranges, Mapping):
        raise ConfigError(f"{CONFIG_DIR / f'{name}.yaml'}: sweep: expected a mapping of hyperparameter ranges")
    return dict(ranges)


def make_agent(name: str, space: DesignSpace, objective: Objective | str | None, seed: int = 0,
               config: Mapping[str, Any] | None = None, objectives: Sequence[Any] | None = None) -> Agent:
    """Build agent ``name`` with its YAML defaults overridden by ``config`` (validated)."""
    cls = agent_class(name)
    params = {**load_agent_config(name), **dict(config or {})}
    params.pop(SWEEP_KEY, None)
    if objectives is not None:
        params["objectives"] = list(objectives)
    return cls(space, objective, seed, **params)
