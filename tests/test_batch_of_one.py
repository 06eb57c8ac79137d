"""A batch of one (an env step's columns of one entry, or a list of one dict) takes the single-design
way in :meth:`Family.evaluate_batch`; its values must be exactly the general batch path's row
(:meth:`Family._run`), for every family and fidelity, valid designs and invalid ones."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.common.family import Designs, Family, _only_design

CASES = [("systolic", "resnet18", "analytical"), ("systolic", "resnet18", "cycle"),
         ("pim", "gpt2-decode", "analytical"), ("pim", "resnet18", "cycle"),
         ("fpga", "resnet18", "analytical"), ("fpga", "mobilenetv2", "cycle"),
         ("rdu", "resnet18", "analytical")]


def _same(got: Any, want: Any) -> None:
    assert list(got.metrics) == list(want.metrics)
    for name in want.metrics:
        g, w = np.asarray(got.metrics[name]), np.asarray(want.metrics[name])
        assert g.shape == w.shape == (1,) and g.dtype == w.dtype == np.float64, name
        assert g.tobytes() == w.tobytes(), (name, g, w)
    np.testing.assert_array_equal(got.valid, want.valid)
    assert [list(v) for v in got.violations] == [list(v) for v in want.violations]


@pytest.mark.parametrize("family,workload,fidelity", CASES)
def test_a_batch_of_one_is_the_general_paths_row(family: str, workload: str, fidelity: str) -> None:
    sim = get_simulator(family)
    assert isinstance(sim, Family)
    wl = get_workload(workload)
    space = sim.space(wl)
    indices = space.sample_indices(12, np.random.default_rng(3))
    for row in indices:
        cols = space.indices_to_columns(row[None, :])
        assert _only_design(cols) is not None
        want = sim._run(Designs(sim.name, cols), wl, fidelity)
        _same(sim.evaluate_batch(cols, wl, fidelity), want)
        _same(sim.evaluate_batch([space.from_indices(row)], wl, fidelity), want)


def test_an_invalid_design_and_a_missing_parameter() -> None:
    sim = get_simulator("systolic")
    assert isinstance(sim, Family)
    wl = get_workload("resnet18")
    fpga = get_simulator("fpga")      # systolic designs within its bounds are all valid; an FPGA's may not be
    assert isinstance(fpga, Family)
    over = {**fpga.space(wl).default(), "tm": 1 << 16, "tn": 1 << 16}    # far more DSPs than the board has
    assert not fpga.evaluate(over, wl).valid
    cols = {k: np.array([v], dtype=object if isinstance(v, str) else None) for k, v in over.items()}
    _same(fpga.evaluate_batch(cols, wl), fpga._run(Designs(fpga.name, cols), wl, "analytical"))
    design = dict(sim.space(wl).default())
    del design["rows"]
    with pytest.raises(Exception) as one:
        sim.evaluate_batch([design], wl)
    with pytest.raises(Exception) as many:
        sim.evaluate_batch([design, design], wl)
    assert str(one.value) == str(many.value)


def test_only_plain_columns_of_one_are_read_as_a_design() -> None:
    assert _only_design({"a": np.array([3]), "b": np.array(["x"])}) == {"a": 3, "b": "x"}
    assert type(_only_design({"a": np.array([3])})["a"]) is int       # type: ignore[index]
    assert _only_design({"a": np.array([3, 4])}) is None              # two designs
    assert _only_design({"a": np.array([3.0], dtype=np.float32)}) is None   # keeps its dtype's arithmetic
    assert _only_design({"a": np.array(3)}) is None                   # not a column
    assert _only_design({}) is None
    assert _only_design([{"a": 1}, {"a": 2}]) is None
