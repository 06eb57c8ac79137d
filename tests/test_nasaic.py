"""NASAIC co-exploration: the problem's simulator, its envs, the exact optimum, the registered ids and tasks.

A small problem (two templates, one PE count, one buffer) keeps the tables quick; its accuracy
source is the network's MAC count scaled into [0.5, 0.9] (a stand-in with the right shape of
trade-off: bigger networks are slower and more accurate), so these tests check the search and
the bookkeeping, not the shipped accuracy tables.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs
from agents.nasaic_tasks import best_accuracy_nets, exact_optimum, pareto_archs
from agents.tasks import TASKS
from archgym.errors import ConfigError
from archgym.evaluator import Evaluator
from envs import nasaic

TINY = nasaic.Problem("tiny", "cell", ("digits", "digits-rot"), 2, (1.6e-6, 1.6e-6), 1.6e-6, 0.3,
                      templates=("os", "ws"), pes=(16,), buffer_kb=(16.0,), bw_share=(0.25, 0.5, 0.75))


def macs_accuracy(space: str, task: str, keys, split: str) -> np.ndarray:
    from nas.space import get_space

    sp = get_space(space)
    macs = np.array([sum(op.macs for op in sp.workload(sp.parse(k)).layers) for k in keys], dtype=float)
    shift = 0.0 if task == "digits" else 0.05
    return 0.5 + 0.4 * (macs / macs.max()) - shift * (split == "test")


@pytest.fixture(scope="module")
def sim():
    return nasaic.NASAICSimulator(TINY, macs_accuracy)


@pytest.fixture
def tiny_env(monkeypatch):
    monkeypatch.setattr(nasaic, "table_accuracy", macs_accuracy)
    nasaic._simulator.cache_clear()
    yield nasaic.NASAICEnv(problem=TINY)
    nasaic._simulator.cache_clear()


def test_space_and_metrics(sim):
    space = sim.space()
    assert len(space) == 2 * 3 + 2 * 4 + 2 and space.size == 125 ** 2 * (2 * 3) ** 2 * 4
    designs = space.sample(64, 0)
    batch = sim.evaluate_batch(designs)
    for i, d in enumerate(designs[:8]):
        one = sim.evaluate(d)
        assert one.metrics == pytest.approx(batch.row(i).metrics)
    m = batch.metrics
    assert np.all(m["accuracy_mean"] == (m["digits.accuracy"] + m["digits-rot.accuracy"]) / 2)
    assert np.all(m["latency_s"] == np.maximum(m["digits.latency_s"], m["digits-rot.latency_s"]))
    shared = np.array([d["digits.slot"] == d["digits-rot.slot"] for d in designs])
    assert np.all(m["digits.latency_s"][shared] == m["digits-rot.latency_s"][shared])
    with pytest.raises(ConfigError, match="slot0.template"):
        sim.evaluate_batch({**space.indices_to_columns(np.zeros((1, len(space)), dtype=int)),
                            "slot0.template": np.array(["rs"], dtype=object)})


def test_specs_and_budgets_are_named(sim):
    ev = Evaluator(sim, sim.placeholder(), sim.space(), TINY.objective())
    big = {**sim.space().default(), **{f"{t}.{c}": "conv3x3" for t in TINY.tasks for c in ("edge01", "edge02", "edge12")},
           "digits.slot": 0, "digits-rot.slot": 0}
    r = ev.evaluate([big])[0]
    assert r.valid and "digits.latency_s<=1.6e-06" in r.violations
    over = {**big, "slot0.bw_share": 0.75, "slot1.bw_share": 0.5}
    assert ev.evaluate([over])[0].violations == ["bandwidth_shares"]


def test_pareto_archs_keeps_exactly_the_non_dominated():
    lat = np.array([1.0, 2.0, 1.0, 3.0, 1.0])
    energy = np.array([1.0, 1.0, 2.0, 0.5, 1.0])
    acc = np.array([0.5, 0.9, 0.5, 0.6, 0.5])
    valid = np.array([True, True, True, True, True])
    assert pareto_archs(lat, energy, acc, valid).tolist() == [0, 1, 3]
    valid[1] = False
    assert pareto_archs(lat, energy, acc, valid).tolist() == [0, 3]


#: brute-forceable problems: two tasks on one configuration (sharing and assignment), one task on
#: two slots of six configurations (templates, bandwidth shares)
BRUTE = (nasaic.Problem("brute2", "cell", ("digits", "digits-rot"), 2, (1.6e-6, 1.6e-6), 1.6e-6, 0.3,
                        templates=("os",), pes=(16,), buffer_kb=(16.0,), bw_share=(0.5,)),
         nasaic.Problem("brute1", "cell", ("digits",), 2, (1.2e-6,), 0.8e-6, 0.2,
                        templates=("os", "ws"), pes=(16,), buffer_kb=(16.0,), bw_share=(0.25, 0.5, 0.75)))


@pytest.mark.parametrize("problem", BRUTE, ids=lambda p: p.name)
def test_exact_optimum_equals_brute_force(problem):
    """Pareto-pruned enumeration == every design of the space through evaluate_batch, for the joint
    space and for the hardware of fixed networks (the successive formulation's second step)."""
    sim = nasaic.NASAICSimulator(problem, macs_accuracy)
    objective = problem.objective()
    space = sim.space()
    idx = np.array(list(np.ndindex(*space.nvec)))
    cols = space.indices_to_columns(idx)
    ok = ~np.any(np.stack(list(space.violations_batch(cols).values())), axis=0)
    batch = sim.evaluate_batch({k: v[ok] for k, v in cols.items()})
    costs = objective.cost_batch(batch.metrics, batch.valid)
    opt = exact_optimum(sim, objective)
    assert opt.cost == pytest.approx(float(costs.min()), abs=1e-12)
    assert objective.cost(sim.evaluate(opt.design)) == pytest.approx(opt.cost, abs=1e-12)
    nets = best_accuracy_nets(sim)
    succ = exact_optimum(sim, objective, nets)
    mine = np.all([batch.metrics[f"{t}.accuracy"] == sim.accuracy["valid"][i, n]
                   for i, (t, n) in enumerate(zip(problem.tasks, nets))], axis=0)
    assert succ.cost == pytest.approx(float(costs[mine].min()), abs=1e-12) and succ.cost >= opt.cost
    assert [sim.archs[n].key.split(":")[1].split("|") for n in nets] == [
        [succ.design[f"{t}.{c}"] for c in ("edge01", "edge02", "edge12")] for t in problem.tasks]


def test_env_reports_spec_violations_as_invalid(tiny_env):
    check_env(tiny_env, skip_render_check=True)
    tiny_env.reset(seed=0)
    space = tiny_env.space
    big = {**space.default(), **{f"{t}.{c}": "conv3x3" for t in TINY.tasks for c in ("edge01", "edge02", "edge12")},
           "digits.slot": 0, "digits-rot.slot": 0}
    _, reward, _, _, info = tiny_env.step(space.to_indices(big))
    assert info["valid"] is False and any(v.startswith("digits.latency_s") for v in info["violations"])
    assert reward == pytest.approx(-info["cost"]) and np.isfinite(reward)


def test_registered_ids_and_tasks():
    for env_id, cls in (("archgym/NASAIC-v0", "NASAICEnv"), ("archgym/HWNAS-v0", "HWNASEnv")):
        assert env_id in envs.ENV_IDS and gym.registry[env_id].entry_point == f"envs.nasaic:{cls}"
    with pytest.raises(ConfigError, match="simulator/mapping"):
        nasaic.NASAICEnv(problem=TINY, mapping="per-layer")
    task = TASKS["nasaic-cell-digits2"]
    assert task.constraints == nasaic.PROBLEMS["nasaic"].specs and task.objective == "max:accuracy_mean"
    assert "hwnas-cell-digits" in TASKS
