"""PIM cycle level in batch: batch == loop of single evaluations (invalid designs included), the
command simulator's lower bound never exceeds a simulation, skipping the jobs it proves run on
the host changes no result, and the compiled simulations give the numbers of 98c6e14 (before
they ran as one call over local scalars)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from numba import njit

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
@pytest.mark.parametrize("workload,mapping", [("resnet18", "auto"), ("gpt2-decode:ctx=128", "auto"),
                                              ("gpt2-decode", "pinned")])
def test_lower_bound_never_exceeds_the_simulation(preset, workload, mapping):
    """Auto: the mapper's choices; pinned: random split-K and row blocks (short rows, long
    accumulator moves that hide refreshes)."""
    sim = get_simulator("pim")
    w = get_workload(workload)
    designs = sim.space(w, preset).sample(4 if mapping == "auto" else 40, 11)
    cols = {k: np.array([d[k] for d in designs]) for k in designs[0]}
    hw = gemv.Hardware.from_columns(PRESETS[preset], {k: v.reshape(-1, 1) for k, v in cols.items()})
    jobs = gemv.Jobs.of(list(analytical.Plan.of(w).job_list))
    shape = (len(designs), len(jobs))
    rng = np.random.default_rng(0)
    s, m = ((np.zeros(shape), np.zeros(shape)) if mapping == "auto" else
            (rng.choice(gemv.SPLIT_K, shape).astype(float), rng.choice(gemv.TILE_ROWS, shape).astype(float)))
    best = gemv.best_pim_jobs(hw, jobs, s, m)
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
    monkeypatch.setattr(cycle, "lower_bound_ns", lambda hw, jobs, best, lay=None: np.full(best.pim_ns.shape, -np.inf))
    everything = sim.evaluate_batch(designs, w, "cycle")
    assert sim.evaluate(designs[2], w, "cycle").layers == rows
    for k, v in everything.metrics.items():
        assert np.array_equal(v, skipped.metrics[k]), k


def _simulated(workload: str, preset: str, n: int) -> tuple[np.ndarray, ...]:
    """Every job of ``n`` sampled designs simulated: PIM ns, ACTs, refreshes, re-opens."""
    sim = get_simulator("pim")
    w = get_workload(workload)
    designs = sim.space(w, preset).sample(n, 11)
    cols = {k: np.array([d[k] for d in designs]) for k in designs[0]}
    hw = gemv.Hardware.from_columns(PRESETS[preset], {k: v.reshape(-1, 1) for k, v in cols.items()})
    jobs = gemv.Jobs.of(list(analytical.Plan.of(w).job_list))
    zeros = np.zeros((len(designs), len(jobs)))
    c = cycle.simulate_jobs(hw, jobs, gemv.best_pim_jobs(hw, jobs, zeros, zeros))
    return c.pim_ns, c.choice["acts"], c.choice["refreshes"], c.choice["reopens"]


#: sha256 (first 16 hex digits) of ``_simulated``'s arrays as computed at 98c6e14 (each set mixes
#: all-bank and per-bank ACT designs)
FROZEN = [("gpt2-decode:ctx=128", "hbm-pim", 6, "d9968def9d37e181"),
          ("gpt2-decode:ctx=128", "gddr6-aim", 6, "5f1e4aa4931ca5ff"),
          ("gpt2-decode:ctx=128", "lpddr5x-pim", 6, "1568186c1e0bb885"),
          ("gpt2-decode:ctx=128", "hbm3-attacc", 6, "65efe30e146c300c"),
          ("gpt2-decode:ctx=128", "ddr4-pim", 6, "15d3bc85a060ebad"),
          ("llama7b-decode:ctx=256", "hbm-pim", 6, "a70a0cecd51a486e"),
          ("llama7b-decode:ctx=256", "gddr6-aim", 6, "a77267247cd15964"),
          ("llama7b-decode:ctx=256", "lpddr5x-pim", 6, "d7a6819d47bdf742"),
          ("llama7b-decode:ctx=256", "hbm3-attacc", 6, "ae32eb885babb58d"),
          ("llama7b-decode:ctx=256", "ddr4-pim", 6, "42cccec0c45c5f34"),
          ("resnet18", "hbm-pim", 4, "17e4c53b58c7f965"),
          ("resnet18", "ddr4-pim", 4, "16eab9d7b871e230")]


@pytest.mark.parametrize("workload,preset,n,expected", FROZEN)
def test_simulations_are_those_of_98c6e14(workload, preset, n, expected):
    arrays = _simulated(workload, preset, n)
    assert np.any(arrays[2] > 0) and np.any(arrays[3] > 0)      # refreshes and re-opened rows exercised
    h = hashlib.sha256()
    for a in arrays:
        h.update(np.ascontiguousarray(a, dtype=float).tobytes())
    assert h.hexdigest()[:16] == expected


def test_per_bank_act_shortcut_assumes_nonnegative_trrd():
    """``_activate`` takes ``max(last + tRRD, start)`` as ``last + tRRD`` (``last ≥ start``)."""
    assert all(cfg.timing.tRRD_S >= 0 for cfg in PRESETS.values())


def test_fits_margin_proves_the_floor_division():
    """A burst taken whole (``span ≥ steps·step·FITS``) is one the compiled floor division fits too;
    without the margin some products just below ``span`` would not (checked alongside)."""
    floordiv = njit(lambda a, b: a // b)
    rng = np.random.default_rng(0)
    steps = rng.integers(1, 10**6, 5000)
    step = rng.uniform(0.5, 60.0, 5000)
    span = steps * step * (1 + rng.integers(-4, 40, 5000) * 2.0**-53)   # a few ulps around the product
    fits = span >= steps * step * cycle.FITS
    assert fits.sum() > 1000 and all(floordiv(a, b) >= k for a, b, k in zip(span[fits], step[fits], steps[fits]))
    loose = (span >= steps * step) & ~fits
    assert any(floordiv(a, b) < k for a, b, k in zip(span[loose], step[loose], steps[loose]))
