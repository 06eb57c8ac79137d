"""RDU cycle level in batch: batch == loop of single evaluations (invalid designs included), the
pruning floor never exceeds the cycle-level lower bound, and pruning changes no result."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.rdu import cycle, cycle_search, section_table, simulator
from simulators.rdu import mapping as mp
from simulators.rdu.space import pcu_grid


def _designs(workload: str, n: int) -> list[dict[str, Any]]:
    """``n`` random auto-mapped designs; the first cannot hold the network (no valid candidate)."""
    designs = get_simulator("rdu").space(get_workload(workload)).sample(n, 5)
    designs[0] = {**designs[0], "hbm_gb": 0, "ddr_gb": 0.001}
    return designs


@pytest.mark.parametrize("workload", ["resnet18", "bert-base:seq=128"])
def test_cycle_batch_equals_singles(workload):
    sim = get_simulator("rdu")
    w = get_workload(workload)
    designs = _designs(workload, 20 if workload == "resnet18" else 6)
    batch = sim.evaluate_batch(designs, w, "cycle")
    assert not batch.valid[0] and batch.valid[1:].all()
    for i, d in enumerate(designs):
        one = sim.evaluate(d, w, "cycle")
        assert one.valid == bool(batch.valid[i]) and sorted(one.violations) == sorted(batch.violations[i])
        assert one.metrics == {k: float(v[i]) for k, v in batch.metrics.items()}


def test_floor_never_exceeds_the_lower_bound():
    """The floor of every candidate is at most its cycle-level lower bound less the pipeline
    transfers (so it never exceeds a simulation, nor opens fewer cuts to smaller PCU budgets)."""
    sim = get_simulator("rdu")
    w = get_workload("resnet18")
    kg = sim.kernel_graph(w)
    for d in sim.space(w).sample(6, 9):
        cands = sim._candidates(d, kg)
        model = sim._mapped_model([d] * len(cands), kg, cands)
        reach = cycle.lower_bound(model, kg) - model.t_p2p
        floor = cycle_search.floors(cycle_search.floor_terms(kg, d, cands), d)
        assert np.all(floor <= reach) and np.median(floor / reach) > 0.25


def test_pruning_changes_nothing(monkeypatch):
    sim = get_simulator("rdu")
    w = get_workload("resnet18")
    designs = _designs("resnet18", 10)
    kg = sim.kernel_graph(w)
    pruned = sim.evaluate_batch(designs, w, "cycle")
    cands = [sim._candidates(d, kg) for d in designs]
    rows = simulator._candidate_rows(designs, kg)[1]
    kept = cycle_search.prune(designs, kg, cands, sim._floor_terms_many(designs, kg),
                              partial(sim._scored, designs, simulator._hardware(designs), kg, rows), {})
    assert sum(map(len, kept)) < sum(len(sim._candidates(d, kg)) for d in designs) / 2
    monkeypatch.setattr(cycle_search, "_floors_of", lambda terms, hw, owner: np.zeros(terms.shape[1]))
    everything = sim.evaluate_batch(designs, w, "cycle")
    for k, v in everything.metrics.items():
        assert np.array_equal(v, pruned.metrics[k], equal_nan=True), k


def test_chunked_batch_is_the_same(monkeypatch):
    sim = get_simulator("rdu")
    w = get_workload("resnet18")
    designs = _designs("resnet18", 8)
    whole = sim.evaluate_batch(designs, w, "cycle")
    monkeypatch.setattr(simulator, "CYCLE_CHUNK", 3)
    chunked = sim.evaluate_batch(designs, w, "cycle")
    assert chunked.violations == whole.violations and list(chunked.valid) == list(whole.valid)
    for k, v in whole.metrics.items():
        assert np.array_equal(v, chunked.metrics[k], equal_nan=True), k


def test_split_floor_never_exceeds_the_lower_bound_of_a_valid_split():
    """The bound on a smaller PCU budget's split, taken before splitting, against the split made."""
    sim = get_simulator("rdu")
    w = get_workload("resnet18")
    kg = sim.kernel_graph(w)
    checked = 0
    for d in sim.space(w).sample(6, 9):
        budgets = [b for b in pcu_grid() if b < int(d["n_pcu"])]
        cuts = [(m.section, m.tile, m.tp) for m in sim._candidates(d, kg)[::10] for _ in budgets]
        per = [b for _ in sim._candidates(d, kg)[::10] for b in budgets]
        if not per:
            continue
        model = sim._mapped_model([d] * len(per), kg, mp.balanced_many(kg, d, cuts, 2, per))
        ok = ~np.stack(list(model.violations.values())).any(axis=0)
        reach = cycle.lower_bound(model, kg) - model.t_p2p
        terms = cycle_search.split_floor_terms(kg, mp.CutSet.of(kg, cuts), int(d["lanes"]), int(d["stages"]),
                                               int(d["word_bytes"]))
        terms[0] /= np.array(per)
        floor = cycle_search.floors(terms, d)
        assert np.all(floor[ok] <= reach[ok])
        checked += int(ok.sum())
    assert checked > 50


def test_candidate_rows_gather_each_designs_own_candidates():
    """One gather over a batch's candidate rows gives each design's own candidate arrays, cuts and views,
    whatever designs the picks come from and in whatever order."""
    sim = get_simulator("rdu")
    w = get_workload("resnet18")
    designs = _designs("resnet18", 6)
    kg = sim.kernel_graph(w)
    built, rows = simulator._candidate_rows([designs[0], *designs, designs[2]], kg)
    rng = np.random.default_rng(4)
    picked = [rng.permutation(len(b.cands))[:rng.integers(0, 9)].tolist() for b in built]
    flat, owner = rows.flat(picked)
    assert owner.tolist() == [i for i, js in enumerate(picked) for _ in js]
    got = rows.arrays(flat)
    want = [np.concatenate(c) for c in zip(*(b.cands.arrays(js) for b, js in zip(built, picked) if js))]
    for g, x in zip(got, want):
        assert g.tolist() == x.tolist()
    assert got[3].dtype == float and got[0].flags.c_contiguous and got[1].flags.c_contiguous
    assert rows.tiles(flat).tolist() == want[2].tolist()
    cuts, slot, entry = rows.cut_set(flat)
    for field, part in (("section", cuts.section), ("n_tile", cuts.n_tile), ("rows", cuts.rows), ("tile", cuts.tile),
                        ("tp", cuts.tp)):
        assert part.tolist() == np.concatenate([getattr(b.cands.cuts, field)[js] for b, js in zip(built, picked)
                                                if js]).tolist(), field
    for part, field in ((slot, "slot"), (entry, "entry")):
        assert part.tolist() == np.concatenate([getattr(b.view, field)[js] for b, js in zip(built, picked)
                                                if js]).tolist(), field


@pytest.mark.parametrize("workload", ["resnet18", "bert-base:seq=128"])
def test_split_bound_never_exceeds_the_lower_bound_of_the_split(workload):
    """The bound on a smaller PCU budget's split from the section table's chains and its own budget's model
    row, against the split made and modelled on its own."""
    sim = get_simulator("rdu")
    w = get_workload(workload)
    kg = sim.kernel_graph(w)
    table = section_table.table(kg)
    ratios = []
    for d in sim.space(w).sample(6, 9):
        built = simulator._built_key(d, kg)
        rows = np.arange(0, len(built.cands), 7)
        budgets = [b for b in pcu_grid() if b < int(d["n_pcu"])]
        if not budgets:
            continue
        own = sim._mapped_model([d] * rows.size, kg, [built.cands[int(r)] for r in rows])
        for b in budgets:
            split = np.full(rows.size, table.split_id(int(d["lanes"]), int(d["stages"]), b))
            table.chains(built.view.slot[rows], split)
            got = cycle_search.split_bounds(table.slot_chains(built.view.slot[rows], split),
                                            np.full(rows.size, float(d["clock_mhz"])), own, np.arange(rows.size))
            cuts = [(built.cands[int(r)].section, built.cands[int(r)].tile, built.cands[int(r)].tp) for r in rows]
            model = sim._mapped_model([d] * rows.size, kg, mp.balanced_many(kg, d, cuts, 2, [b] * rows.size))
            reach = cycle.lower_bound(model, kg) - model.t_p2p
            assert np.all(got <= reach)
            ratios.extend((got / reach).tolist())
    assert len(ratios) > 30 and np.median(ratios) > 0.9


def test_cycle_metrics_of_a_batch_equal_one_design_at_a_time():
    """cycle.metrics over a batch's rows, against its formulas for one design in Python floats (bincount of
    the used slots' times per pipeline group)."""
    sim = get_simulator("rdu")
    w = get_workload("resnet18")
    kg = sim.kernel_graph(w)
    designs = _designs("resnet18", 8)[1:]
    _, model, known = sim._mappings(designs, kg, "cycle")
    times = np.stack([t if t is not None else cycle.section_times(model, i, (kg.edge_src, kg.edge_dst))
                      for i, t in enumerate(known)])
    got = cycle.metrics(model, times, kg.total_flops)
    for d, t in enumerate(times):
        clock = model.clock_hz[d]
        latency = float(t.sum() + model.t_p2p[d])
        groups = np.bincount(model.group[d][model.used[d]], weights=t[model.used[d]])
        compute_s = float(model.metrics["compute_cycles"][d]) / clock
        want = {k: float(v[d]) for k, v in model.metrics.items()}
        want.update(latency_s=latency, cycles=latency * clock, stall_cycles=max(latency - compute_s, 0.0) * clock,
                    throughput_ops_per_s=kg.total_flops / latency,
                    utilization=kg.total_flops / (latency * want["peak_ops_per_s"]),
                    throughput_inf_per_s=1.0 / max(float(groups.max()), 1e-30))
        assert list(got) == list(want)
        assert all(float(got[k][d]) == v for k, v in want.items()), d


def test_lowest_floors_of_many_designs_are_each_designs_stable_argsort():
    """The probes of all designs at once: each design's first ``k`` of ``np.argsort(kind="stable")``, with
    ties, NaN floors and designs without candidates."""
    rng = np.random.default_rng(0)
    odd = np.array([np.nan, np.inf, 0.0, -0.0])
    for _ in range(600):
        sizes = rng.integers(0, 12, rng.integers(1, 6)).tolist()
        floors = [np.round(rng.random(n) * 4) / 4 for n in sizes]
        for f in floors:
            if f.size and rng.random() < 0.5:
                f[rng.integers(f.size, size=rng.integers(1, 4))] = rng.choice(odd)
        start = np.cumsum([0, *sizes[:-1]]).astype(np.int64)
        k = int(rng.integers(1, 5))
        got = cycle_search.lowest(np.concatenate(floors), start, k)
        assert got == [np.argsort(f, kind="stable")[:k].tolist() for f in floors]

