"""One auto-mapped RDU design at the analytical fidelity (:mod:`simulators.rdu.single`) chooses the
mapper's candidate with the mapper's model row, to the bit; the floor it orders by is at most every
valid candidate's latency; designs it does not take go the mapper's way; cut sets from the cut table
are those built one by one (:mod:`simulators.rdu.cut_table`)."""

from __future__ import annotations

import re
from dataclasses import fields

import numpy as np
import pytest

from archgym.errors import ConfigError
from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.rdu import cut_table, cycle_search, section_table, single
from simulators.rdu import mapping as mp
from simulators.rdu import simulator as rs
from simulators.rdu.analytical import Model

WORKLOADS = [("resnet18", None, 60), ("bert-base:seq=128", None, 12), ("llama7b-decode:layers=1", "sn40l-node", 12)]


def _bytes(model: Model) -> dict[str, bytes]:
    """Every field of a one-row model as dtype and bytes."""
    out = {}
    for f in fields(model):
        val = getattr(model, f.name)
        for k, v in (val.items() if isinstance(val, dict) else [("", val)]):
            out[f"{f.name}.{k}"] = str(v.dtype).encode() + np.ascontiguousarray(v).tobytes()
    return out


def _designs(workload: str, preset: str | None, n: int) -> tuple[rs.RDUSimulator, object, list[dict]]:
    sim = rs.RDUSimulator()
    wl = get_workload(workload)
    designs = sim.space(wl, preset).sample(n, 5)
    for i, d in enumerate(designs[::4]):        # small SRAM and no HBM: invalid candidates, DDR activations
        d.update(pmu_kib=1, n_pmu=8) if i % 2 else d.update(hbm_gb=0)
    return sim, wl, designs


@pytest.mark.parametrize("workload,preset,n", WORKLOADS)
def test_single_is_the_mappers_choice(workload, preset, n):
    sim, wl, designs = _designs(workload, preset, n)
    kg = sim.kernel_graph(wl)
    invalid = 0
    for d in designs:
        picked = single.choose(rs._built_key(d, kg), d, rs._hardware([d]), kg)
        assert picked is not None
        (want_map, row), = sim._analytical_choice([d], kg)[0]
        want = sim._analytical_choice([d], kg)[1].take(np.array([row]))
        assert picked[0].key() == want_map.key() and picked[0].depth == want_map.depth
        assert _bytes(single.model(*picked)) == _bytes(want)
        invalid += bool(np.stack(list(want.violations.values())).any())
    assert invalid > 0


@pytest.mark.parametrize("workload,preset,n", WORKLOADS[:2])
def test_floor_is_at_most_every_valid_latency(workload, preset, n):
    sim, wl, designs = _designs(workload, preset, n // 3)
    kg = sim.kernel_graph(wl)
    for d in designs:
        built, rows = rs._candidate_rows([d], kg)
        everyone = [list(range(len(built[0].cands)))]
        _, score = sim._scored([d], rs._hardware([d]), kg, rows, everyone)
        floors = cycle_search.design_floors([d], [built[0].terms])[0]
        valid = np.isfinite(score)
        assert (floors[valid] <= score[valid]).all()


def test_designs_it_does_not_take_go_the_mappers_way(monkeypatch):
    sim = get_simulator("rdu")
    wl = get_workload("resnet18")
    d = sim.space(wl).sample(1, 9)[0]
    assert rs._plain(d)
    for change in ({"n_pcu": np.int64(d["n_pcu"])}, {"clock_mhz": np.float64(d["clock_mhz"])}, {"lanes": "32"}):
        assert not rs._plain({**d, **change})
    for name, value in (("clock_mhz", 0), ("link_gbs", float("inf")), ("ddr_bw_gbs", 0.0), ("n_pcu", -1)):
        with pytest.raises(ConfigError, match=rf"^rdu design: {name}: {re.escape(repr(value))} is not allowed; "):
            sim.evaluate({**d, name: value}, wl)     # the bounds' error: out-of-range values never reach _plain
    picked = []                                      # single.choose's answers: None sends the design the mapper's way
    choose = single.choose
    monkeypatch.setattr(single, "choose", lambda *a: picked.append(choose(*a)) or picked[-1])
    zeros = {"hbm_gb": 0, "hbm_bw_gbs": 0, "ddr_gb": 0, "reconfig_us": 0.0}
    for change in ({**zeros, "ddr_gb": d["ddr_gb"]}, *({k: v} for k, v in zeros.items())):
        zero = {**d, **change}
        one = sim.evaluate(zero, wl)                 # the one-design path, with the mapper's numbers
        assert picked.pop() is not None and not picked
        assert one.metrics == {k: float(v[0]) for k, v in sim.evaluate_batch([zero, zero], wl).metrics.items()}
    as_numpy = {k: np.int64(v) if type(v) is int else v for k, v in d.items()}
    one, batch = sim.evaluate(as_numpy, wl), sim.evaluate_batch([d, d], wl)
    assert one.metrics == {k: float(v[0]) for k, v in batch.metrics.items()}
    assert one.metrics == sim.evaluate(d, wl).metrics


def test_one_design_result_is_the_mappers():
    """The one-design path's result (metrics and violations read straight from the kernel's outputs as
    Python floats and bools, info and layers) equals the mapper's path's (numpy scalars make a design
    take it), valid and invalid designs alike."""
    sim, wl, designs = _designs("resnet18", None, 16)
    invalid = 0
    for d in designs:
        one = sim.evaluate(d, wl)
        mapped = sim.evaluate({k: np.int64(v) if type(v) is int else v for k, v in d.items()}, wl)
        assert all(type(v) is float for v in one.metrics.values())
        assert [(k, v.hex()) for k, v in one.metrics.items()] == [(k, v.hex()) for k, v in mapped.metrics.items()]
        assert (one.valid, one.violations, one.info, one.layers) == (mapped.valid, mapped.violations, mapped.info,
                                                                     mapped.layers)
        assert sim.evaluate_row(d, wl) == (one.metrics, one.violations)
        invalid += not one.valid
    assert 0 < invalid < len(designs)


def test_nan_floor_returns_nothing():
    sim = get_simulator("rdu")
    wl = get_workload("resnet18")
    kg = sim.kernel_graph(wl)
    d = sim.space(wl).sample(1, 4)[0]
    built = rs._built_key(d, kg)
    terms = built.terms.copy()
    terms[0, 3] = np.nan
    assert single.choose(built._replace(terms=terms), d, rs._hardware([d]), kg) is None


def _cut_set_alone(d: dict, kg) -> tuple[mp.CutSet, section_table.CutView]:
    """A cut set built on its own: each ladder's distinct cuts, in order, then their view."""
    sram, sockets, wb = mp.sram_bytes(d), int(d["sockets"]), int(d["word_bytes"])
    top = mp.ladder_top(sram)
    cuts = {(c.tobytes(), tile, tp): (c, tile, tp)
            for tile in mp.tile_candidates(kg) for tp in sorted({1, sockets})
            for limit in (mp.section_limit(kg, d, m) for m in (None, 8))
            for c in mp.ladder_cuts(kg, top, limit, wb, tile, 2, tp)[0]}
    cut_set = mp.CutSet.of(kg, list(cuts.values()))
    return cut_set, section_table.table(kg).view(cut_set, wb)


@pytest.mark.parametrize("workload", ["resnet18", "bert-base:seq=128"])
def test_cut_table_gives_the_cut_sets_built_alone(workload):
    sim = rs.RDUSimulator()
    kg = sim.kernel_graph(get_workload(workload))
    designs = sim.space(get_workload(workload)).sample(40, 2)
    designs[1].update(n_pcu=4)                  # a section-length cap below 8
    tops = set()
    for d in designs:                           # big and small SRAM in turn: ladders grown and cut short
        cuts, view, ids = rs._cut_rows(d, kg)
        got, want = (cuts, view), _cut_set_alone(d, kg)
        tops.add(mp.ladder_top(mp.sram_bytes(d)))
        every_cut, every_view = cut_table.table(kg, int(d["word_bytes"])).rows()     # the ids' rows
        for a, b in (*zip(got, want), (every_cut.take(ids), cuts), (every_view.entry[ids], view.entry),
                     (every_view.slot[ids], view.slot)):
            if isinstance(a, np.ndarray):
                assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
                continue
            for f in fields(a):
                x, y = getattr(a, f.name), getattr(b, f.name)
                assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes(), f.name
    assert len(tops) > 3


def test_a_shorter_ladder_is_the_first_cuts_of_a_longer():
    kg = rs.RDUSimulator().kernel_graph(get_workload("resnet18"))
    long, first = mp.ladder_cuts(kg, 60, 31, 2, 64, 2, 1)
    assert (np.diff(first) > 0).all() and len(long) > 5
    for top in range(int(first[0]) - 2, 61):
        short, _ = mp.ladder_cuts(kg, top, 31, 2, 64, 2, 1)
        n = int((first <= max(top, first[0])).sum())
        assert [c.tobytes() for c in short] == [c.tobytes() for c in long[:n]]
