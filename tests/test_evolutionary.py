"""GA / NSGA-II internals (agents/evolutionary.py): the array tournaments pick pymoo's winners, the
array mating proposes only designs new to the agent, and immigrants join pymoo's population."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from pymoo.algorithms.moo.nsga2 import binary_tournament
from pymoo.algorithms.soo.nonconvex.ga import comp_by_cv_and_fitness
from pymoo.core.population import Population

from agents.base import run
from agents.evolutionary import _by_cv_then_fitness, _by_dominance_then_crowding
from agents.registry import make_agent
from archgym.evaluator import Evaluator
from archgym.metrics import Objective
from archgym.workload import get_workload

sys.path.insert(0, str(Path(__file__).parent))
from toy_simulator import ToySimulator

warnings.filterwarnings("ignore")


def _population(n_obj: int, seed: int) -> Population:
    """Random individuals without ties: distinct objectives, violations and crowding distances."""
    rng = np.random.default_rng(seed)
    n = 12
    cv = np.where(rng.random(n) < 0.4, rng.permutation(n) + 1.0, 0.0)
    return Population.new("X", rng.random((n, 3)), "F", rng.random((n, n_obj)), "CV", cv[:, None],
                          "G", cv[:, None], "rank", rng.integers(0, 3, n), "crowding", rng.permutation(n) + 0.5)


def _every_pair(n: int) -> np.ndarray:
    return np.array([(a, b) for a in range(n) for b in range(n) if a != b])


def test_array_tournaments_pick_pymoos_winners():
    for seed in range(5):
        pop = _population(1, seed)
        P = _every_pair(len(pop))
        ours = _by_cv_then_fitness(pop, P, random_state=np.random.default_rng(0))
        assert np.array_equal(ours, comp_by_cv_and_fitness(pop, P, random_state=np.random.default_rng(0)))
        pop = _population(3, seed)
        algorithm = SimpleNamespace(tournament_type="comp_by_dom_and_crowding", random_state=np.random.default_rng(0))
        ours = _by_dominance_then_crowding(pop, P, random_state=np.random.default_rng(0))
        assert np.array_equal(ours, binary_tournament(pop, P, algorithm=algorithm))


def _agent_after(name: str, budget: int):
    sim, wl = ToySimulator(), get_workload("gemm:M=64,N=64,K=64")
    ev = Evaluator(sim, wl, sim.space(wl, mapping="shared"), Objective.parse("edp"))
    agent = make_agent(name, ev.space, ev.objective, seed=1)
    run(agent, ev, budget)
    return agent, ev


def test_offspring_are_new_to_the_agent_and_to_each_other():
    for name in ("ga", "nsga2"):
        agent, _ = _agent_after(name, 60)
        every = np.stack(np.meshgrid(*[np.arange(n) for n in agent.space.nvec], indexing="ij"), -1).reshape(
            -1, len(agent.space.nvec))[:, agent._free].astype(float)
        for key in agent._keys(every)[::2]:   # half the space known besides what the run evaluated
            agent._memory.setdefault(key, (np.zeros(1), 0.0))
        algorithm = agent._algorithm
        off = algorithm.mating.do(algorithm.problem, algorithm.pop, 20, random_state=algorithm.random_state,
                                  algorithm=algorithm)
        keys = agent._keys(off.get("X"))
        assert 0 < len(keys) == len(set(keys)) and not set(keys) & set(agent._memory)
        assert not set(keys) & set(agent._keys(algorithm.pop.get("X")))
        assert np.all(np.isin(off.get("X"), np.arange(max(agent.space.nvec))))


def test_immigrants_are_told_to_pymoo_and_designs_map_back_to_the_same_keys():
    agent, ev = _agent_after("ga", 40)
    designs = agent._immigrants(5)
    assert designs
    asked = [agent._keys(agent.space.to_indices(d)[agent._free][None, :].astype(float))[0] for d in designs]
    agent.tell([dict(d) for d in designs], ev.evaluate(designs))  # copies: keys mapped back from the designs
    assert all(k in agent._memory for k in asked)
    assert agent._keys(agent._algorithm.off.get("X")) == asked   # the generation pymoo was told
