"""The mapper's split over distinct sections (:func:`simulators.rdu.mapping.split_sets`) gives the units,
cycles per unit and balanced PCUs of splitting every cut on its own (:meth:`CutSet.work` and
:func:`split_cuts` over the joined cuts), for sets with different lanes, stages and PCU budgets, and
the floor terms from it (:func:`cycle_search.section_floor_terms`) those of every cut on its own."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.rdu import cycle_search
from simulators.rdu import mapping as mp
from simulators.rdu.simulator import _cut_set


@pytest.mark.parametrize("workload", ["resnet18", "bert-base:seq=128"])
def test_split_sets_equals_every_cut_split_on_its_own(workload):
    sim = get_simulator("rdu")
    w = get_workload(workload)
    kg = sim.kernel_graph(w)
    designs = sim.space(w).sample(4, 11)
    sets = [_cut_set(d, kg) for d in designs]
    lanes, stages, budgets = ([int(d[k]) for d in designs] for k in ("lanes", "stages", "n_pcu"))
    split = mp.split_sets(kg, sets, lanes, stages, budgets)
    got = (split.units[split.at], split.per_unit[split.at], split.pcu[split.at])
    cuts = mp.CutSet.joined(sets)
    sizes = [len(c.section) for c in sets]

    def column(values: list[int]) -> np.ndarray:
        return np.repeat(np.array(values, dtype=np.int64), sizes)[:, None]

    units, per_unit = cuts.work(kg, column(lanes), column(stages))
    pcu = mp.split_cuts(cuts, units, per_unit, column(budgets).ravel())
    for a, b in zip(got, (units, np.broadcast_to(per_unit, units.shape), pcu)):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    wb = int(designs[0]["word_bytes"])          # floor terms once per distinct section == per cut
    floors = cycle_search.section_floor_terms(kg, cuts, split, wb)
    want = cycle_search.cut_floor_terms(kg, cuts, units, per_unit, pcu, wb)
    assert floors.dtype == want.dtype and np.array_equal(floors, want) and (floors[0] > 0).all()
    table = sets[0].sections
    assert table.n < int((np.diff(sets[0].section, axis=1) != 0).sum()) + len(sets[0].section)  # fewer: shared
    assert (np.diff(table.sid) >= 0).all() and np.array_equal(table.kernel[table.at], np.broadcast_to(
        np.arange(len(kg)), table.at.shape))
