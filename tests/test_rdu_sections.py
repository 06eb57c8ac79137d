"""The mapper's split over distinct sections (:func:`simulators.rdu.mapping.split_sets`) gives the units,
cycles per unit and balanced PCUs of splitting every cut on its own (:meth:`CutSet.work` and
:func:`split_cuts` over the joined cuts), for sets with different lanes, stages and PCU budgets."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
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
    got = mp.split_sets(kg, sets, lanes, stages, budgets)
    cuts = mp.CutSet.joined(sets)
    sizes = [len(c.section) for c in sets]

    def column(values: list[int]) -> np.ndarray:
        return np.repeat(np.array(values, dtype=np.int64), sizes)[:, None]

    units, per_unit = cuts.work(kg, column(lanes), column(stages))
    pcu = mp.split_cuts(cuts, units, per_unit, column(budgets).ravel())
    for a, b in zip(got, (units, np.broadcast_to(per_unit, units.shape), pcu)):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    table = sets[0].sections
    assert table.n < int((np.diff(sets[0].section, axis=1) != 0).sum()) + len(sets[0].section)  # fewer: shared
    assert (np.diff(table.sid) >= 0).all() and np.array_equal(table.kernel[table.at], np.broadcast_to(
        np.arange(len(kg)), table.at.shape))
