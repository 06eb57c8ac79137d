"""SAC on the continuous relaxation of a DRAM controller task: budget counted in evaluations, every
relaxed action maps to a design of the space."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from agents.base import run
from agents.registry import make_agent
from agents.sac import RelaxedActions
from agents.tasks import get_task


def test_relaxed_actions_cover_every_value_index() -> None:
    class ThreeParams(gym.Env):
        action_space = gym.spaces.MultiDiscrete([4, 3, 1])
        observation_space = gym.spaces.Box(0, 1, (1,))

    wrapper = RelaxedActions(ThreeParams())
    assert wrapper.action_space.shape == (3,)
    assert wrapper.action(np.array([-1.0, -1.0, -1.0])).tolist() == [0, 0, 0]
    assert wrapper.action(np.array([1.0, 1.0, 1.0])).tolist() == [3, 2, 0]
    assert wrapper.action(np.array([0.0, 0.1, 0.5])).tolist() == [2, 1, 0]


def test_sac_spends_exactly_its_budget_on_a_dram_task() -> None:
    ev = get_task("dram-random-both").evaluator()
    agent = make_agent("sac", ev.space, ev.objective, seed=0, config={"learning_starts": 4, "minibatch_size": 4})
    history = run(agent, ev, budget=12)
    assert history.evaluations == 12
    assert np.isfinite(history.summary()["best_cost"])
