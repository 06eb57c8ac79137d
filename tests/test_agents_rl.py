"""RL agents (SB3 PPO / MaskablePPO / DQN) on the env, charged through the ask/tell budget."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from agents.base import run
from agents.registry import make_agent
from archgym.errors import ConfigError
from archgym.evaluator import Evaluator
from archgym.metrics import Objective
from archgym.workload import get_workload

sys.path.insert(0, str(Path(__file__).parent))
from toy_simulator import ToySimulator

pytest.importorskip("stable_baselines3")
pytest.importorskip("sb3_contrib")


def _evaluator() -> Evaluator:
    sim, wl = ToySimulator(), get_workload("gemm:M=64,N=64,K=64")
    return Evaluator(sim, wl, sim.space(wl, mapping="shared"), Objective.parse("edp"))


@pytest.mark.parametrize("name,config", [("ppo", {"n_steps": 16, "minibatch_size": 8, "n_epochs": 1}),
                                         ("maskable-ppo", {"n_steps": 16, "minibatch_size": 8, "n_epochs": 1}),
                                         ("dqn", {"learning_starts": 10, "expected_evaluations": 5})])
def test_rl_agent_budget_counts_evaluations(name, config):
    ev = _evaluator()
    before = threading.active_count()
    agent = make_agent(name, ev.space, ev.objective, seed=0, config=config)
    history = run(agent, ev, budget=24)
    assert history.evaluations == ev.evaluations == 24
    assert agent._bridge.evaluations == 24  # every env evaluation went through the run's evaluator
    assert threading.active_count() == before  # the learner thread stopped
    assert all(ev.space.validate(d) == d for d in history.designs)


def test_rl_agent_needs_bind():
    ev = _evaluator()
    with pytest.raises(ConfigError, match="bind"):
        make_agent("ppo", ev.space, ev.objective).ask(1)
