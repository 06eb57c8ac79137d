"""The compiled analytical RDU model (:mod:`simulators.rdu.analytical_kernel`) gives every field of the
array path (:func:`simulators.rdu.analytical.evaluate_arrays`) to the bit, on random mappings and
hardware (every branch: SRAM overflow, weight tiling, activations in DDR, TP not dividing the sockets,
pipeline groups), and a row's numbers do not depend on the rows evaluated with it."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.rdu import analytical
from simulators.rdu.hardware import HW_PARAMS
from simulators.rdu.kernels import SYSTOLIC, KernelGraph, units_and_unit_cycles


def _random_inputs(kg: KernelGraph, n_rows: int, seed: int) -> tuple:
    """Random hardware columns (wide ranges: tiny to large SRAM and HBM, no HBM, 1–8 sockets) and random
    mappings (contiguous sections, or arbitrary section ids), as :func:`analytical.evaluate` takes them."""
    rng = np.random.default_rng(seed)
    n = len(kg)
    hw = {"n_pcu": rng.integers(8, 1100, n_rows), "n_pmu": rng.integers(8, 1100, n_rows),
          "lanes": rng.choice([8, 16, 32, 64], n_rows), "stages": rng.choice([4, 6, 8, 12], n_rows),
          "pmu_kib": rng.choice([16, 64, 256, 512], n_rows) / rng.choice([1, 64], n_rows),
          "clock_mhz": rng.uniform(500, 2000, n_rows), "hbm_gb": rng.choice([0.0, 1e-3, 64.0], n_rows),
          "hbm_bw_gbs": rng.choice([0.0, 1000.0, 2000.0], n_rows), "ddr_gb": rng.choice([1e-3, 1.5e3], n_rows),
          "ddr_bw_gbs": rng.uniform(50, 300, n_rows), "sockets": rng.choice([1, 2, 3, 8], n_rows),
          "link_gbs": rng.uniform(25, 400, n_rows)}
    assert set(hw) == set(HW_PARAMS)
    flags = rng.random((n_rows, n)) < rng.uniform(0.02, 0.6, (n_rows, 1))
    flags[:, 0] = False
    section = np.cumsum(flags, axis=1)
    shuffled = rng.random(n_rows) < 0.2                   # any section ids, not only contiguous runs
    section[shuffled] = rng.integers(0, n, (int(shuffled.sum()), n))
    pcu = rng.integers(1, 40, (n_rows, n))
    tile = rng.choice([1, 7, 64, 256, 4096], n_rows)
    depth = rng.integers(1, 5, n_rows)
    tp = rng.choice([1, 2, 4], n_rows)
    return hw, int(rng.choice([1, 2, 4])), float(rng.uniform(0, 5e-6)), section, pcu, tile, depth, tp


def _assert_same(a: analytical.Model, b: analytical.Model) -> None:
    for f in fields(analytical.Model):
        x, y = getattr(a, f.name), getattr(b, f.name)
        pairs = [(x[k], y[k]) for k in x] if isinstance(x, dict) else [(x, y)]
        assert (list(x) == list(y)) if isinstance(x, dict) else True, f.name
        for u, v in pairs:
            assert u.dtype == v.dtype and u.shape == v.shape, f.name
            assert np.array_equal(u, v, equal_nan=u.dtype.kind == "f"), f.name


@pytest.mark.parametrize("workload", ["resnet18", "bert-base:seq=128"])
def test_kernel_equals_array_path_on_random_inputs(workload):
    kg = get_simulator("rdu").kernel_graph(get_workload(workload))
    hw, wb, reconfig, *mapping = _random_inputs(kg, 400, 3)
    with np.errstate(all="ignore"):
        want = analytical.evaluate_arrays(kg, hw, wb, reconfig, *mapping)
    got = analytical.evaluate(kg, hw, wb, reconfig, *mapping)
    _assert_same(got, want)
    v = got.violations          # the random inputs reach every branch
    assert all(v[k].any() and not v[k].all() for k in v), {k: int(v[k].sum()) for k in v}
    assert got.act_in_hbm.any() and not got.act_in_hbm.all()
    assert (got.weight_tiling > 1).any() and (got.group > 0).any() and (got.t_p2p > 0).any()


def test_kernel_equals_array_path_on_mapper_candidates():
    sim = get_simulator("rdu")
    w = get_workload("resnet18")
    kg = sim.kernel_graph(w)
    designs = sim.space(w).sample(3, 4)
    cands = [sim._candidates(d, kg) for d in designs]
    parts = [c.arrays(range(len(c))) for c in cands]
    args = sim._inputs([d for d, c in zip(designs, cands) for _ in c], kg,
                       *(np.concatenate(column) for column in zip(*parts)))
    assert np.array_equal(args[4], np.stack([m.section for c in cands for m in c]))
    _assert_same(analytical.evaluate(*args), analytical.evaluate_arrays(*args))


def test_a_row_does_not_depend_on_its_batch():
    kg = get_simulator("rdu").kernel_graph(get_workload("resnet18"))
    hw, wb, reconfig, section, pcu, tile, depth, tp = _random_inputs(kg, 60, 5)
    whole = analytical.evaluate(kg, hw, wb, reconfig, section, pcu, tile, depth, tp)
    for i in (0, 17, 59):
        one = analytical.evaluate(kg, {k: v[i:i + 1] for k, v in hw.items()}, wb, reconfig, section[i:i + 1],
                                  pcu[i:i + 1], tile[i:i + 1], depth[i:i + 1], tp[i:i + 1])
        _assert_same(one, whole.take(np.array([i])))


def _numpy_work(kg: KernelGraph, rows: np.ndarray, tp: np.ndarray, lanes: np.ndarray,
                stages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The array formulas ``units_and_unit_cycles`` had before it was compiled (77125e9)."""
    m_eff = np.ceil(kg.m / tp).astype(np.int64)
    lane_groups = -(-m_eff // lanes)
    systolic = kg.kind == SYSTOLIC
    units = np.where(systolic, kg.outer * lane_groups * -(-rows // stages), lane_groups * rows)
    per_unit = np.where(systolic, kg.k, -(-kg.k // stages))
    return np.maximum(units, 1), np.maximum(per_unit, 1)


@pytest.mark.parametrize("workload", ["resnet18", "bert-base:seq=128"])
def test_unit_work_is_the_array_formula(workload):
    kg = get_simulator("rdu").kernel_graph(get_workload(workload))
    rng = np.random.default_rng(4)
    rows = rng.integers(1, 5000, (300, len(kg)))
    tp, lanes, stages = (rng.choice(v, (300, 1)) for v in ([1, 2, 3, 8], [8, 16, 32, 64], [1, 4, 6, 8]))
    got = units_and_unit_cycles(kg, rows, tp, lanes, stages)
    want = _numpy_work(kg, rows, tp, lanes, stages)
    assert all(g.dtype == w.dtype and np.array_equal(g, w) for g, w in zip(got, want))
    picked = rng.integers(0, len(kg), 50)
    sub = units_and_unit_cycles(kg, rows[0, picked], 2, 16, 4, picked)     # a kernel index picks kernels
    every = units_and_unit_cycles(kg, rows[0], 2, 16, 4)
    assert all(np.array_equal(s, e[picked]) for s, e in zip(sub, every))
