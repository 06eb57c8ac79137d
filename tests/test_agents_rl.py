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
from archgym.simulator import get_simulator
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
                                         ("dqn", {"learning_starts": 10, "expected_evaluations": 5}),
                                         ("marl-ppo", {"n_steps": 16, "minibatch_size": 8, "n_epochs": 1})])
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


def test_marl_agent_splits_the_space_into_group_agents_and_honours_yaml_groups():
    sim, wl = get_simulator("systolic"), get_workload("gemm:M=128,N=128,K=128")
    ev = Evaluator(sim, wl, sim.space(wl, "scalesim", "auto"), Objective.parse("edp"))
    config = {"n_steps": 16, "minibatch_size": 8, "n_epochs": 1}
    agent = make_agent("marl-ppo", ev.space, ev.objective, seed=0, config=config)
    history = run(agent, ev, budget=20)
    assert history.evaluations == ev.evaluations == 20
    assert set(agent.marl.possible_agents) >= {"compute", "on_chip_memory", "off_chip"}
    groups = {"array": ["rows", "cols", "dataflow"], "rest": [n for n in ev.space.names
                                                             if n not in ("rows", "cols", "dataflow")]}
    agent = make_agent("marl-ppo", ev.space, ev.objective, seed=0, config={**config, "groups": groups})
    run(agent, ev, budget=4)
    assert agent.marl.possible_agents == ["array", "rest"]
    bad = make_agent("marl-ppo", ev.space, ev.objective, seed=0, config={**config, "groups": {"a": ["rows"]}})
    with pytest.raises(ConfigError, match="partition"):
        run(bad, ev, budget=4)
