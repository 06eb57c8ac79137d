"""Single-design evaluation (issue 17, item 1): the fast paths of one ``evaluate`` (memoised
column names, one-block stacking) give exactly the rows of ``evaluate_batch``, whatever mapping
columns a design carries and in whatever order designs with different columns arrive."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from archgym.simulator import Simulator, get_simulator
from archgym.workload import get_workload
from simulators.common.arrays import broadcast_stack


def test_broadcast_stack_matches_numpy_stack() -> None:
    xs: list[Any] = [np.arange(3.0)[None, :], np.array([[True], [False]]), 7, np.array([[1, 2, 3]], dtype=np.int64)]
    want = np.stack(np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in xs)))
    got = broadcast_stack(xs)
    assert got.dtype == np.float64 and got.shape == (4, 2, 3)
    np.testing.assert_array_equal(got, want)
    assert broadcast_stack([np.array([1, 0])], bool).dtype == np.bool_


def _assert_single_is_batch_row(sim: Simulator, designs: list[dict[str, Any]], workload: str) -> None:
    wl = get_workload(workload)
    batch = sim.evaluate_batch(designs, wl)
    for i, d in enumerate(designs):
        r = sim.evaluate(d, wl)
        assert r.metrics == {k: float(v[i]) for k, v in batch.metrics.items()}
        assert r.valid == bool(batch.valid[i]) and r.violations == batch.violations[i]


@pytest.mark.parametrize("family,workload", [("systolic", "resnet18"), ("pim", "gpt2-decode")])
def test_single_equals_batch_across_mapping_modes(family: str, workload: str) -> None:
    """Designs of the per-layer, shared and auto spaces interleaved: each single evaluation sees a
    different column set than the one before (the memoised column lookups must follow)."""
    sim = get_simulator(family)
    wl = get_workload(workload)
    spaces = [sim.space(wl, mapping=m) for m in ("per-layer", "auto", "shared")]
    samples = [s.sample(4, seed) for seed, s in enumerate(spaces)]
    mixed = [samples[j][i] for i in range(4) for j in range(3)]
    for designs in samples:
        _assert_single_is_batch_row(sim, designs, workload)
    for d in mixed:      # alternating column sets, one design at a time
        want = sim.evaluate_batch([d], wl)
        got = sim.evaluate(d, wl)
        assert got.metrics == {k: float(v[0]) for k, v in want.metrics.items()}


def test_systolic_per_layer_dataflow_reaches_the_rows() -> None:
    """A ``LAYER.dataflow`` column after a design without one: the per-layer rows report it."""
    sim = get_simulator("systolic")
    wl = get_workload("resnet18")
    base = sim.presets()["scalesim"].design()
    sim.evaluate(base, wl)
    first = wl.layers[0].name
    rows = sim.evaluate({**base, f"{first}.dataflow": "is"}, wl).layers
    assert rows[0]["dataflow"] == "is" and rows[1]["dataflow"] == base["dataflow"]
    assert sim.evaluate(base, wl).layers[0]["dataflow"] == base["dataflow"]


def test_pim_per_op_split_reaches_the_rows() -> None:
    """``OP.split_k`` pinned on one operator (placed on PIM) after a design without it: its row's
    split follows the pin, and dropping the pin restores the searched split."""
    sim = get_simulator("pim")
    wl = get_workload("gpt2-decode")
    space = sim.space(wl, mapping="per-layer")
    base = space.sample(1, 0)[0]
    ops = [k[:-len(".split_k")] for k in base if k.endswith(".split_k")]
    plain = {k: v for k, v in base.items() if not k.endswith((".split_k", ".place"))}
    op = ops[0]
    auto = {r["name"]: r for r in sim.evaluate({**plain, f"{op}.place": "pim"}, wl).layers}
    pin = 4 if auto[op]["split_k"] != 4 else 2
    pinned = {r["name"]: r for r in sim.evaluate({**plain, f"{op}.place": "pim", f"{op}.split_k": pin}, wl).layers}
    assert pinned[op]["place"] == "pim" and pinned[op]["split_k"] == pin
    again = {r["name"]: r for r in sim.evaluate({**plain, f"{op}.place": "pim"}, wl).layers}
    assert again[op] == auto[op]


def test_pim_half_batch_is_built_once_per_workload() -> None:
    """Sub-batched decode lowers its half workload (and so its plan) once, not on every evaluation."""
    from simulators.pim.mapping import half_batch

    w = get_workload("gpt2-decode:ctx=256,batch=8")
    half = half_batch(w)
    assert half is not None and half_batch(w) is half
    assert half_batch(get_workload("gpt2-decode")) is None     # batch 1 does not split


def test_pim_plan_memos_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-plan memos (keyed by column sets) never exceed MEMO_LIMIT entries, and results stay exact."""
    from simulators.pim import analytical

    monkeypatch.setattr(analytical, "MEMO_LIMIT", 2)
    sim = get_simulator("pim")
    wl = get_workload("gpt2-decode")
    plan = analytical.Plan.of(wl)
    for store in (plan.sources, plan.dedup, plan.row_keys):     # entries of earlier tests in this process
        store.clear()
    designs = [sim.space(wl, mapping=m).sample(1, 5)[0] for m in ("per-layer", "auto", "shared")] * 2
    for d in designs:
        got = sim.evaluate(d, wl).metrics
        assert got == {k: float(v[0]) for k, v in sim.evaluate_batch([d], wl).metrics.items()}
        assert max(len(plan.sources), len(plan.dedup), len(plan.row_keys)) <= 2
