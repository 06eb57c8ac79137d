"""The relaxed (torch) path of the loop-nest cost model and the DOSA-style gradient agent, on the
tiny co-optimisation task of tests/test_coopt.py (3 layers; rows and cols relaxed: 4 corner machines)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from agents.base import run
from agents.coopt_tasks import build, flat_task
from agents.formulations import flat
from agents.registry import make_agent
from archgym.errors import ConfigError
from simulators.loopnest import cost
from simulators.loopnest.mapping import LayerMappings
from simulators.loopnest.relaxed import nearest_levels, relaxed_loops
from simulators.loopnest.simulator import hardware_from_design, loop_layers
from tests.test_coopt import HARDWARE, TOPOLOGY

MACHINE = {"rows": 16, "cols": 8, "dataflow": "flex", "ifmap_kb": 512, "filter_kb": 64, "ofmap_kb": 256,
           "dram_bw": 32, "word_bytes": 1, "clock_mhz": 1000, "tech": "7nm"}


@pytest.fixture(scope="module")
def task(tmp_path_factory: pytest.TempPathFactory):
    path = Path(tmp_path_factory.mktemp("coopt-gradient")) / "tiny.csv"
    path.write_text(TOPOLOGY)
    return build("coopt-tiny-edp", str(path), "edp", {**HARDWARE, "filter_kb": [64]})


def _mappings(task, n: int = 40):
    """``n`` random encoded mappings of each layer and option, decoded (dims, facs, cap)."""
    layers = loop_layers(task.evaluator().workload)
    hw = hardware_from_design(MACHINE)
    rng = np.random.default_rng(0)
    for layer in layers:
        space = LayerMappings(layer, hw)
        for s in range(len(hw.spatial)):
            _, dims, facs, cap = space.enumerate(s)
            pick = rng.choice(len(dims), min(n, len(dims)), replace=False)
            yield layer, hw, space.spatial[s], dims[pick], facs[pick], cap[pick]


def test_torch_path_equals_numpy_path(task) -> None:
    for layer, hw, spatial, dims, facs, cap in _mappings(task):
        exact = cost.evaluate(layer, hw, spatial, dims, facs, cap=cap)
        relaxed = cost.evaluate(layer, hw, spatial, dims, torch.tensor(facs, dtype=torch.float64), cap=cap)
        for field in ("cycles", "energy_pj", "reads", "writes", "mem_cycles"):
            np.testing.assert_allclose(getattr(relaxed, field).numpy(), getattr(exact, field), rtol=1e-12)
        assert (relaxed.valid == exact.valid).all() and (relaxed.cuts == exact.cuts).all()


def test_relaxed_costs_have_finite_gradients(task) -> None:
    nonzero = 0
    for layer, hw, spatial, dims, facs, cap in _mappings(task, 10):
        f = torch.tensor(facs, dtype=torch.float64, requires_grad=True)
        c = cost.evaluate(layer, hw, spatial, dims, f, cap=cap)
        torch.log(c.energy_pj.sum() * c.cycles.sum()).backward()
        assert torch.isfinite(f.grad).all()
        nonzero += int((f.grad != 0).any())
    assert nonzero > 0


def test_relaxed_tiling_rounds_back_to_its_ladder_step(task) -> None:
    """u at a ladder step's exponent rebuilds that step's trip counts and rounds back to it."""
    layer = loop_layers(task.evaluator().workload)[0]
    space = LayerMappings(layer, hardware_from_design(MACHINE))
    t = space.temporal(0)
    levels = np.array([1, 2, 0, 1, 2, 0, 1, 2])
    inner = np.array([lad[lv] for lad, lv in zip(space.ladders(0), levels)], dtype=np.float64)
    u = np.where(t > 1, np.log(inner) / np.log(np.maximum(t, 2)), 0.0)
    _, facs = relaxed_loops(t[None], np.array([0]), np.array([0]), torch.tensor(u[None]))
    assert np.allclose(np.sort(facs.numpy()[0, :8]), np.sort(inner))
    assert (nearest_levels(space, 0, u)[t > 1] == np.array([lad.index(v) for lad, v in
                                                            zip(space.ladders(0), inner)])[t > 1]).all()


def test_agent_returns_legal_designs_and_charges_its_own_evaluations(task) -> None:
    ev = flat_task(task).evaluator()
    agent = make_agent("gradient", ev.space, ev.objective, seed=0, config={"round_every": 1})
    history = run(agent, ev, budget=3)
    assert history.evaluations == 3
    for d in history.designs:
        assert ev.space.validate(d) == d and not ev.space.violations(d)
    # a step evaluates 3 layers × 3 dataflows on 4 corner machines, then its rounding tries 72 orders
    # per layer (also when the rounded design is one already evaluated, which is not asked again)
    per_step = 3 * 3 * 4 + 72 * 3
    assert agent.inner_units == agent.gradient_steps * per_step
    trace = flat(task, "gradient", 1000, seed=0, config={"round_every": 1})
    steps = np.diff([0, *trace.steps])
    assert np.diff([0, *trace.spent]).tolist() == (steps * per_step + 3).tolist()
    assert trace.spent[-1] >= 1000 > trace.spent[-2]


def test_agent_beats_random_at_equal_samples(task) -> None:
    """DOSA's count (docs/coopt.md): each gradient step and each exact evaluation is one sample."""
    for seed in (0, 1):
        ev = flat_task(task).evaluator()
        agent = make_agent("gradient", ev.space, ev.objective, seed=seed, config={"round_every": 2})
        grad = run(agent, ev, 3)
        samples = grad.evaluations + agent.gradient_steps
        rand = run(make_agent("random", ev.space, ev.objective, seed=seed), flat_task(task).evaluator(), samples)
        assert min(grad.costs) < min(rand.costs)


def test_agent_needs_a_per_layer_space() -> None:
    from agents.tasks import TASKS

    ev = TASKS["coopt-gpt2decode-edp"].evaluator()
    agent = make_agent("gradient", ev.space, ev.objective)
    with pytest.raises(ConfigError, match="agent gradient: needs a loop-nest space with per-layer"):
        agent.bind(ev)
