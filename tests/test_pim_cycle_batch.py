"""PIM cycle level in batch: batch == loop of single evaluations (invalid designs included), the
command simulator's lower bound never exceeds a simulation, and skipping the jobs it proves run on
the host changes no result."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.pim import PRESETS, analytical, cycle, gemv

BIG_DECODE = "gpt2-decode:ctx=2048,batch=64"


def _designs(space: str, workload: str, n: int) -> list[dict]:
    sim = get_simulator("pim")
    w = get_workload(workload)
    designs = sim.space(w, "hbm-pim", space).sample(n, 3)
    if space == "shared":   # every operator forced onto PIM, then onto the host
        designs[0] = {**designs[0], "fc_place": "pim", "attn_place": "pim"}
        designs[1] = {**designs[1], "fc_place": "host", "attn_place": "host"}
    return designs


@pytest.mark.parametrize("space,workload", [("auto", "resnet18"), ("shared", "resnet18"),
                                            ("shared", BIG_DECODE)])
def test_cycle_batch_equals_singles(space, workload):
    sim = get_simulator("pim")
    w = get_workload(workload)
    designs = _designs(space, workload, 20)
    batch = sim.evaluate_batch(designs, w, "cycle")
    if workload == BIG_DECODE:   # the KV cache does not fit a few channels: invalid designs too
        assert batch.valid.any() and not batch.valid.all()
    for i, d in enumerate(designs):
        one = sim.evaluate(d, w, "cycle")
        assert one.valid == bool(batch.valid[i]) and one.violations == batch.violations[i]
        assert one.metrics == {k: float(v[i]) for k, v in batch.metrics.items()}


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("workload", ["resnet18", "gpt2-decode:ctx=128"])
def test_lower_bound_never_exceeds_the_simulation(preset, workload):
    sim = get_simulator("pim")
    w = get_workload(workload)
    designs = sim.space(w, preset).sample(4, 11)
    cols = {k: np.array([d[k] for d in designs]) for k in designs[0]}
    hw = gemv.Hardware.from_columns(PRESETS[preset], {k: v.reshape(-1, 1) for k, v in cols.items()})
    jobs = gemv.Jobs.of(list(analytical.Plan.of(w).job_list))
    zeros = np.zeros((len(designs), len(jobs)))
    best = gemv.best_pim_jobs(hw, jobs, zeros, zeros)
    simulated = cycle.simulate_jobs(hw, jobs, best).pim_ns
    bound = cycle.lower_bound_ns(hw, jobs, best)
    assert np.all(bound <= simulated)
    assert np.all(bound > 0) and np.median(bound / simulated) > 0.3   # tight enough to decide placements


@pytest.mark.parametrize("space,workload", [("auto", "resnet18"), ("shared", "gpt2-decode:ctx=128")])
def test_skipping_host_jobs_changes_nothing(space, workload, monkeypatch):
    sim = get_simulator("pim")
    w = get_workload(workload)
    designs = _designs(space, workload, 12)
    skipped = sim.evaluate_batch(designs, w, "cycle")
    cols = {k: np.array([d[k] for d in designs]) for k in designs[0]}
    acts = analytical.evaluate(PRESETS["hbm-pim"], cols, len(designs), w, "cycle").costs.job.choice["acts"]
    assert np.isnan(acts).any()   # some jobs were not simulated
    rows = sim.evaluate(designs[2], w, "cycle").layers
    monkeypatch.setattr(cycle, "lower_bound_ns", lambda hw, jobs, best: np.full(best.pim_ns.shape, -np.inf))
    everything = sim.evaluate_batch(designs, w, "cycle")
    assert sim.evaluate(designs[2], w, "cycle").layers == rows
    for k, v in everything.metrics.items():
        assert np.array_equal(v, skipped.metrics[k]), k
