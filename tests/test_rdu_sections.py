"""The mapper's splits over the distinct sections of a kernel graph (:class:`simulators.rdu.section_table.SectionTable`)
give the balanced PCUs and floor terms of splitting every cut on its own (:meth:`CutSet.work`,
:func:`split_cuts`, :func:`cycle_search.cut_floor_terms`), for cut sets and designs with different
lanes, stages, PCU budgets, sockets and SRAM, whichever of them came first."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.rdu import cut_table, cycle_search
from simulators.rdu import mapping as mp
from simulators.rdu.kernels import lower
from simulators.rdu.section_table import SectionTable
from simulators.rdu.simulator import _cut_rows


@pytest.mark.parametrize("workload", ["resnet18", "bert-base:seq=128"])
def test_section_table_equals_every_cut_split_on_its_own(workload):
    sim = get_simulator("rdu")
    w = get_workload(workload)
    kg = sim.kernel_graph(w)
    designs = sim.space(w).sample(6, 11)
    designs += [{**d, "lanes": designs[0]["lanes"], "stages": designs[0]["stages"], "n_pcu": designs[0]["n_pcu"]}
                for d in designs[1:3]]          # same split parameters, other cut sets: sections reused
    designs += [{**d, "lanes": designs[0]["lanes"], "stages": designs[0]["stages"], "n_pcu": p}
                for d in designs[:4:3] for p in (max(1, designs[0]["n_pcu"] // 2), 2 * designs[0]["n_pcu"])]
    designs += [{**designs[0], "stages": designs[0]["stages"] + 2}]   # other budgets, then other stages: work reused
    table = SectionTable(lower(w))              # its own graph: nothing computed before
    for d in designs:
        cuts, view, _ = _cut_rows(d, kg)
        wb = int(d["word_bytes"])
        own = table.view(cuts, wb)
        k = table.split_id(int(d["lanes"]), int(d["stages"]), int(d["n_pcu"]))
        got_chain = table.chains(own.slot, np.full(len(own.slot), k))
        got_pcu = table.pcu(own.entry, k)
        assert np.array_equal(table.pcu(own.entry[::-1], np.full(len(own.entry), k)), got_pcu[::-1])
        units, per_unit = cuts.work(kg, int(d["lanes"]), int(d["stages"]))
        pcu = mp.split_cuts(cuts, units, per_unit, np.full(len(cuts.section), int(d["n_pcu"])))
        want = cycle_search.cut_floor_terms(kg, cuts, units, per_unit, pcu, wb)
        assert got_pcu.dtype == pcu.dtype and np.array_equal(got_pcu, pcu)
        assert got_chain.dtype == want.dtype and np.array_equal(got_chain, want[0]) and (got_chain > 0).all()
        assert np.array_equal(view.n_sections, want[1]) and np.array_equal(view.weights, want[2])
    runs = int((np.diff(cuts.section, axis=1) != 0).sum()) + len(cuts.section)
    own = table.view(cuts, int(designs[-1]["word_bytes"]))
    assert len(np.unique(own.slot[own.slot >= 0])) < runs / 2                  # sections shared by cuts
    assert np.array_equal(own.entry, table.view(cuts, int(designs[-1]["word_bytes"])).entry)   # the same again


def test_section_table_computes_a_section_once_per_split_parameters():
    w = get_workload("resnet18")
    sim = get_simulator("rdu")
    kg = sim.kernel_graph(w)
    small, big = ({**sim.design_for(w, "sn40l"), "n_pmu": n} for n in (260, 1040))
    table = SectionTable(lower(w))
    views = [table.view(_cut_rows(d, kg)[0], int(d["word_bytes"])) for d in (small, big)]
    used = [set(v.slot[v.slot >= 0].tolist()) for v in views]
    assert used[0] <= used[1]                                              # a bigger SRAM keeps its cuts
    k = table.split_id(32, 6, 1040)
    table.chains(views[1].slot, np.full(len(views[1].slot), k))
    done = table._done.copy()
    table.chains(views[0].slot, np.full(len(views[0].slot), k))
    assert np.array_equal(table._done, done) and done.sum() == len(used[1])   # nothing left to do


def test_cut_table_chains_are_the_section_tables():
    """A cut's chain sum is kept per split and read back (:meth:`CutTable.chains`): equal to the section
    table's, whichever cut set and split came first (a sum kept for another split would differ)."""
    w = get_workload("resnet18")
    sim = get_simulator("rdu")
    kg = sim.kernel_graph(w)
    d = sim.space(w).sample(1, 3)[0]
    designs = [{**d, "n_pcu": p, "pmu_kib": m} for p in (d["n_pcu"], 2 * d["n_pcu"]) for m in (d["pmu_kib"], 1)]
    for e in designs + designs[::-1]:
        cuts, view, ids = _cut_rows(e, kg)
        _, got = cut_table.table(kg, int(e["word_bytes"])).chains(ids, view, int(e["lanes"]), int(e["stages"]),
                                                                   int(e["n_pcu"]))
        fresh = SectionTable(lower(w))
        fresh_view = fresh.view(cuts, int(e["word_bytes"]))
        want = fresh.chains(fresh_view.slot, np.full(len(ids), fresh.split_id(int(e["lanes"]), int(e["stages"]),
                                                                                int(e["n_pcu"]))))
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
