"""The RDU mapper's compiled loops (issue 17): metrics and chosen mappings frozen at commit
77125e9 (before :func:`.mapping.greedy_cuts` / :func:`.mapping.balanced_pcus` were compiled), and
every compiled function of the mapper against its plain-Python form (``fn.py_func``) on random inputs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.rdu import cycle_search, simulator
from simulators.rdu import mapping as mp

#: ResNet-18 designs: four of ``space.sample(4, 2024)``, one with a small SRAM on two sockets
#: (several sections), one that cannot hold the network (no valid candidate); columns in order
COLUMNS = ("n_pcu", "n_pmu", "lanes", "stages", "pmu_kib", "clock_mhz", "hbm_gb", "hbm_bw_gbs", "ddr_gb",
           "ddr_bw_gbs", "sockets", "link_gbs", "word_bytes", "process_nm", "reconfig_us")
DESIGNS = [dict(zip(COLUMNS, row)) for row in (
    (520, 1560, 16, 4, 256, 1200, 128, 3200, 1536, 200, 1, 100, 2, 5, 1.0),
    (2080, 260, 16, 4, 1024, 1200, 0, 800, 768, 200, 8, 200, 2, 5, 1.0),
    (2080, 260, 32, 6, 1024, 800, 0, 1600, 768, 200, 4, 200, 2, 5, 1.0),
    (1040, 1040, 32, 4, 256, 800, 128, 1600, 1536, 100, 4, 200, 2, 5, 1.0),
    (520, 260, 16, 4, 256, 1200, 128, 3200, 1536, 200, 2, 100, 2, 5, 1.0),
    (2080, 260, 16, 4, 1024, 1200, 0, 800, 0.001, 200, 8, 200, 2, 5, 1.0),
)]

#: (valid, metrics, (tile_rows, tp, kernels per section, PCUs per kernel)) of DESIGNS at 77125e9, analytical
ANALYTICAL = [
    (True, {"latency_s": 8.325848666666666e-05, "energy_j": 0.0018917627532800002,
            "throughput_inf_per_s": 12010.787608998899, "sram_bytes": 39365968.0, "dram_bytes":
            23660880.0, "n_sections": 1.0},
     (12544, 1, [31],
      [32, 1, 31, 31, 1, 31, 31, 1, 16, 31, 2, 1, 31, 31, 1, 16, 32, 2, 1, 32, 32, 1, 17, 35, 2, 1, 35,
       35, 1, 1, 1])),
    (True, {"latency_s": 4.928100666666666e-05, "energy_j": 0.00546299424768,
            "throughput_inf_per_s": 20291.793281820137, "sram_bytes": 39365968.0, "dram_bytes":
            25768272.0, "n_sections": 1.0},
     (12544, 8, [31],
      [102, 9, 98, 98, 1, 98, 98, 1, 25, 49, 3, 1, 49, 49, 1, 25, 49, 3, 1, 49, 49, 1, 26, 52, 3, 1, 52,
       52, 1, 1, 1])),
    (True, {"latency_s": 7.578038e-05, "energy_j": 0.00519726215168, "throughput_inf_per_s":
            13196.027784500422, "sram_bytes": 39365968.0, "dram_bytes": 24564048.0, "n_sections":
            1.0},
     (12544, 4, [31],
      [68, 6, 66, 66, 1, 66, 66, 1, 17, 33, 2, 1, 33, 33, 1, 17, 33, 2, 1, 33, 33, 1, 18, 36, 2, 1, 36,
       36, 1, 1, 1])),
    (True, {"latency_s": 5.0234009999999994e-05, "energy_j": 0.00197249393024,
            "throughput_inf_per_s": 19906.832044664563, "sram_bytes": 39365968.0, "dram_bytes":
            24564048.0, "n_sections": 1.0},
     (12544, 4, [31],
      [93, 8, 98, 98, 1, 98, 98, 1, 25, 49, 3, 1, 49, 49, 1, 25, 49, 3, 1, 49, 49, 1, 26, 52, 3, 1, 52,
       52, 1, 1, 1])),
    (True, {"latency_s": 5.5608826666666666e-05, "energy_j": 0.0019186731455999998,
            "throughput_inf_per_s": 17982.756694261006, "sram_bytes": 39365968.0, "dram_bytes":
            23961936.0, "n_sections": 1.0},
     (12544, 2, [31],
      [31, 2, 31, 31, 1, 31, 31, 1, 16, 31, 2, 1, 31, 31, 1, 16, 31, 2, 1, 31, 31, 1, 16, 35, 2, 1, 35,
       35, 1, 1, 1])),
    (False, {"latency_s": 0.00100097794, "energy_j": 0.007816870256640001, "throughput_inf_per_s":
             4896.610037698021, "sram_bytes": 262601680.0, "dram_bytes": 39365968.0, "n_sections":
             31.0},
     (16, 1, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
      [16, 16, 16, 16, 64, 16, 16, 64, 32, 32, 32, 128, 32, 32, 128, 64, 64, 64, 256, 64, 64, 256, 128,
       128, 128, 416, 128, 128, 416, 416, 63])),
]

#: (valid, metrics, (tile_rows, tp, kernels per section, PCUs per kernel)) of DESIGNS at 77125e9, cycle
CYCLE = [
    (True, {"latency_s": 8.209043833333333e-05, "energy_j": 0.0020228987328000003,
            "throughput_inf_per_s": 12181.686689738917, "sram_bytes": 39365968.0, "dram_bytes":
            28226896.0, "n_sections": 8.0},
     (12544, 1, [2, 4, 5, 7, 5, 3, 1, 4],
      [502, 11, 166, 166, 2, 166, 196, 2, 98, 196, 11, 1, 131, 131, 1, 66, 131, 8, 1, 196, 196, 1, 104,
       416, 24, 1, 416, 416, 1, 1, 7])),
    (True, {"latency_s": 5.381634999999999e-05, "energy_j": 0.00546299424768,
            "throughput_inf_per_s": 18581.713549878434, "sram_bytes": 39365968.0, "dram_bytes":
            25768272.0, "n_sections": 1.0},
     (12544, 8, [31],
      [102, 9, 98, 98, 1, 98, 98, 1, 25, 49, 3, 1, 49, 49, 1, 25, 49, 3, 1, 49, 49, 1, 26, 52, 3, 1, 52,
       52, 1, 1, 1])),
    (True, {"latency_s": 8.197249999999999e-05, "energy_j": 0.00519726215168,
            "throughput_inf_per_s": 12199.213150751779, "sram_bytes": 39365968.0, "dram_bytes":
            24564048.0, "n_sections": 1.0},
     (12544, 4, [31],
      [68, 6, 66, 66, 1, 66, 66, 1, 17, 33, 2, 1, 33, 33, 1, 17, 33, 2, 1, 33, 33, 1, 18, 36, 2, 1, 36,
       36, 1, 1, 1])),
    (True, {"latency_s": 5.5658072499999996e-05, "energy_j": 0.00197249393024,
            "throughput_inf_per_s": 17966.84568981436, "sram_bytes": 39365968.0, "dram_bytes":
            24564048.0, "n_sections": 1.0},
     (12544, 4, [31],
      [93, 8, 98, 98, 1, 98, 98, 1, 25, 49, 3, 1, 49, 49, 1, 25, 49, 3, 1, 49, 49, 1, 26, 52, 3, 1, 52,
       52, 1, 1, 1])),
    (True, {"latency_s": 6.165723198717948e-05, "energy_j": 0.00198036103552,
            "throughput_inf_per_s": 16218.69759265113, "sram_bytes": 62791504.0, "dram_bytes":
            25065808.0, "n_sections": 4.0},
     (1024, 2, [16, 7, 4, 4],
      [44, 2, 41, 41, 1, 41, 41, 1, 22, 64, 3, 1, 64, 64, 1, 32, 131, 8, 1, 131, 131, 1, 70, 208, 12, 1,
       208, 208, 1, 1, 4])),
    (False, {"latency_s": 0.0009763875015384609, "energy_j": 0.007816870256640001,
             "throughput_inf_per_s": 4910.371962640309, "sram_bytes": 262601680.0, "dram_bytes":
             39365968.0, "n_sections": 31.0},
     (16, 1, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
      [16, 16, 16, 16, 64, 16, 16, 64, 32, 32, 32, 128, 32, 32, 128, 64, 64, 64, 256, 64, 64, 256, 128,
       128, 128, 416, 128, 128, 416, 416, 63])),
]


@pytest.mark.parametrize("fidelity, frozen", [("analytical", ANALYTICAL), ("cycle", CYCLE)])
def test_metrics_and_mappings_as_at_77125e9(fidelity: str, frozen: list[Any]) -> None:
    sim = get_simulator("rdu")
    wl = get_workload("resnet18")
    for d, (valid, metrics, mapping) in zip(DESIGNS, frozen):
        r = sim.evaluate(d, wl, fidelity)
        m = r.info["mapping"]
        got = (m["tile_rows"], m["tp"], [len(s["kernels"]) for s in m["sections"]],
               [p for s in m["sections"] for p in s["pcu"]])
        assert (r.valid, {k: r.metrics[k] for k in metrics}, got) == (valid, metrics, mapping)


def _random_graph(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-kernel output-tile and own bytes, and producers (a DAG in topological order, some
    kernels with several producers or none) as :func:`.mapping._preds` offsets and indices."""
    t_out = rng.uniform(0.0, 4e5, n) * (rng.random(n) < 0.9)
    own = t_out * 2.0 + rng.uniform(0.0, 3e6, n)
    preds = [sorted(set(rng.integers(0, i, rng.integers(0, 3)).tolist())) if i else [] for i in range(n)]
    ptr = np.cumsum([0] + [len(p) for p in preds]).astype(np.int64)
    return t_out, own, ptr, np.array([p for ps in preds for p in ps], dtype=np.int64)


def test_greedy_ladder_equals_its_python_form() -> None:
    rng = np.random.default_rng(0)
    for _ in range(40):
        n = int(rng.integers(1, 40))
        graph = _random_graph(rng, n)
        budgets = 2.0 ** (np.arange(int(rng.integers(1, 30))) / 2 + 16)
        limit, depth = int(rng.integers(1, n + 2)), int(rng.integers(1, 5))
        fast = mp._greedy_ladder(*graph, budgets, limit, depth)
        assert np.array_equal(fast, mp._greedy_ladder.py_func(*graph, budgets, limit, depth))
        steps = np.diff(fast, axis=1)
        assert np.all(fast[:, 0] == 0) and np.all((steps == 0) | (steps == 1))
        assert all(np.bincount(c).max() <= limit for c in fast)


def _bisect_all(units: np.ndarray, per_unit: np.ndarray, section: np.ndarray, budget: np.ndarray) -> np.ndarray:
    """The balanced split as at 77125e9: one binary search over ``[max per_unit, max units·per_unit]``
    for all sections at once (the oracle of :func:`.mapping._balanced`'s narrower bounds)."""
    n_sec = int(section.max()) + 1
    size = np.bincount(section, minlength=n_sec)
    lo, hi = np.zeros(n_sec, dtype=np.int64), np.zeros(n_sec, dtype=np.int64)
    np.maximum.at(lo, section, per_unit)
    np.maximum.at(hi, section, units * per_unit)
    lo = np.where(size > budget, hi, lo)
    while (active := lo < hi).any():
        mid = (lo + hi) // 2
        need = np.bincount(section, weights=-(-units // (mid[section] // per_unit)), minlength=n_sec)
        hi = np.where(active & (need <= budget), mid, hi)
        lo = np.where(active & (need > budget), mid + 1, lo)
    return np.where(size[section] > budget[section], 1, -(-units // (lo[section] // per_unit)))


def test_balanced_equals_its_python_form_and_the_full_bisection() -> None:
    rng = np.random.default_rng(1)
    for trial in range(60):
        n = int(rng.integers(1, 60))
        section = np.sort(rng.integers(0, max(n // (1 + trial % 4), 1), n)).astype(np.int64)
        n_sec = int(section.max()) + 1
        units = rng.integers(1, [5, 5000][trial % 2], n).astype(np.int64)
        per_unit = rng.integers(1, 3000, n).astype(np.int64)
        budget = rng.integers(1, 80, n_sec).astype(np.int64)
        fast = mp._balanced(units, per_unit, section, budget)
        assert np.array_equal(fast, mp._balanced.py_func(units, per_unit, section, budget))
        assert np.array_equal(fast, _bisect_all(units, per_unit, section, budget))
        feasible = np.bincount(section, minlength=n_sec) <= budget
        used = np.bincount(section, weights=fast, minlength=n_sec)
        assert np.all(used[feasible] <= budget[feasible]) and np.all(fast[~feasible[section]] == 1)


def test_step_bounds_bracket_the_least_step() -> None:
    rng = np.random.default_rng(2)
    for _ in range(200):
        n = int(rng.integers(1, 8))
        units, per_unit = rng.integers(1, 300, n), rng.integers(1, 50, n)
        budget = int(rng.integers(n, 40))
        ks = np.arange(n)
        least = next(t for t in range(1, int((units * per_unit).max()) + 1)
                     if t >= per_unit.max() and (-(-units // (t // per_unit))).sum() <= budget)
        lo, hi = mp._step_bounds.py_func(units, per_unit, ks, budget)
        assert lo <= least <= hi


@pytest.mark.parametrize("how", ["no floors", "one probe"])
def test_analytical_pruning_changes_nothing(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """The analytical mapper's choice with every candidate modelled (floors 0), or with one probe
    (second passes everywhere), is the pruned one."""
    sim = get_simulator("rdu")
    wl = get_workload("resnet18")
    designs = [*DESIGNS, *sim.space(wl).sample(10, 3)]
    pruned = sim.evaluate_batch(designs, wl)
    if how == "no floors":
        monkeypatch.setattr(cycle_search, "floors", lambda terms, d: np.zeros(terms.shape[1]))
    else:
        monkeypatch.setattr(simulator, "ANALYTICAL_PROBE", 1)
    every = sim.evaluate_batch(designs, wl)
    assert every.violations == pruned.violations and list(every.valid) == list(pruned.valid)
    for k, v in pruned.metrics.items():
        assert np.array_equal(v, every.metrics[k], equal_nan=True), k
