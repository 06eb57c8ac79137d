"""``Evaluator.evaluate_one`` (an env step's evaluation) is ``evaluate_indices`` of one design read as
``BatchResult.row(0)``, bit for bit: the design, metrics (NaN kept), validity, violations (the space's
constraints, the model's, the objective's bounds), ``predicted``, the budget count and the store rows, for
every family, for a family-based toy whose constraints fire, and for simulators that offer no one-design
row (its fallback); ``Evaluator.evaluate`` (the list path) gives the same rows. Also the space helpers it stands
on: ``plain_design`` and ``violations_at``; and the two rules the paths share, ``bound_violations`` and
``computed``."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from archgym.evaluator import Evaluated, Evaluator, bound_violations, computed
from archgym.metrics import BatchResult, Objective
from archgym.simulator import Simulator, get_simulator
from archgym.space import Constraint, DesignSpace, ordinal
from archgym.store import RunStore
from archgym.workload import Workload, get_workload
from simulators.common.family import Designs, Family, ModelOutput

sys.path.insert(0, str(Path(__file__).parent))
from exact_compare import assert_same
from toy_simulator import ToySimulator


class FamilyToy(Family):
    """The toy simulator's space and numbers on the family base (so it offers ``evaluate_row``)."""

    name = "familytoy"
    parameters = ("rows", "cols", "sram_kib", "clock_mhz", "dataflow")

    def __init__(self) -> None:
        self.toy = ToySimulator()

    def presets(self) -> dict[str, Any]:
        return self.toy.presets()

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        return self.toy.space(workload, preset, mapping)

    def model(self, designs: Designs, workload: Workload, fidelity: str) -> ModelOutput:
        batch = self.toy.evaluate_batch(designs.columns, workload, fidelity)
        metrics = dict(batch.metrics)
        metrics["utilization"] = np.where(np.asarray(designs.column("rows")) > 32, np.nan, metrics["utilization"])
        return ModelOutput(metrics, {"sram_too_small": ~batch.valid})


class OwnBatchToy(FamilyToy):
    """A family that overrides ``evaluate_batch``: its batch, not the base's row, is the contract."""

    def evaluate_batch(self, designs: Any, workload: Workload, fidelity: str = "analytical") -> BatchResult:
        batch = super().evaluate_batch(designs, workload, fidelity)
        batch.metrics["area_mm2"] = batch.metrics["area_mm2"] * 2.0
        return batch


BOUND = {"kind": "minimize", "metric": "latency_s", "constraints": {"area_mm2": 1.5}}
CASES = [("systolic", "gemm:M=64,N=64,K=64", "auto", BOUND), ("pim", "gpt2-decode:ctx=128", "auto", "edp"),
         ("fpga", "resnet18", "auto", "edp"), ("rdu", "bert-base:seq=128", "auto", "edp"),
         ("dram", "trace:pattern=random,n=256,rw=0.3,gap=4", "auto", None),
         ("familytoy", "gemm:M=64,N=64,K=1024", "shared", BOUND), ("ownbatch", "gemm:M=64,N=64,K=256", "auto", None),
         ("toy", "gemm:M=64,N=64,K=1024", "shared", BOUND)]


def _simulator(name: str) -> Simulator:
    return {"familytoy": FamilyToy, "ownbatch": OwnBatchToy, "toy": ToySimulator}.get(name, lambda: get_simulator(name))()


@pytest.mark.parametrize("name, workload, mapping, objective", CASES, ids=[c[0] for c in CASES])
def test_evaluate_one_is_row_0_of_evaluate_indices(tmp_path, name, workload, mapping, objective):
    sim, wl = _simulator(name), get_workload(workload)
    space = sim.space(wl, None, mapping)
    store = RunStore(tmp_path / "runs.db")
    one, batch = (Evaluator(sim, wl, space, Objective.parse(objective), store=store, run_id=run, seed=3)
                  for run in ("one", "batch"))
    indices = space.sample_indices(30, np.random.default_rng(1))
    got = [one.evaluate_one(row.tolist()) for row in indices]
    want = [Evaluated.of(space.from_indices(row), batch.evaluate_indices(row[None, :]).row(0)) for row in indices]
    assert_same(got, want, name)
    assert all(type(e) is Evaluated for e in got)
    listed = Evaluator(sim, wl, space, Objective.parse(objective)).evaluate([e.design for e in want])
    assert_same([(r.metrics, r.valid, r.violations) for r in listed],    # the objective's bounds included
                [(e.metrics, e.valid, e.violations) for e in want], f"{name} evaluate")
    assert one.evaluations == batch.evaluations == len(indices)
    rows = {run: [(r.step, r.design, r.metrics, r.valid, r.violations, r.seed, r.predicted, r.model_version)
                  for r in store.records(run)] for run in ("one", "batch")}
    assert_same(rows["one"], rows["batch"], f"{name} store rows")
    if name in ("familytoy", "toy"):        # the space's constraints and the objective's bound both fire
        seen = {v for e in got for v in e.violations}
        assert {"pe_budget", "area_mm2<=1.5"} <= seen, seen
    if name == "familytoy":                 # the model's NaN metric is kept (not computed), the design invalid
        assert any(math.isnan(e.metrics.get("utilization", 0.0)) and not e.valid for e in got)


def test_evaluate_row_is_offered_only_by_the_base_batch():
    wl = get_workload("gemm:M=64,N=64,K=256")
    design = FamilyToy().space(wl).default()
    metrics, violations = FamilyToy().evaluate_row(design, wl) or ({}, ["none"])
    want = FamilyToy().evaluate_batch([design], wl)
    assert list(metrics) == list(want.metrics) and violations == want.violations[0]
    assert [metrics[k] for k in metrics] == [float(v[0]) for v in want.metrics.values()]
    assert OwnBatchToy().evaluate_row(design, wl) is None


def test_plain_design_is_from_indices_where_columns_hold_the_values():
    for family in ("systolic", "pim", "fpga", "rdu", "dram"):
        sim = get_simulator(family)
        space = sim.space(get_workload("resnet18" if family != "dram" else "trace:pattern=random,n=64"))
        for row in space.sample_indices(20, np.random.default_rng(2)):
            plain = space.plain_design(row.tolist())
            assert_same(plain, space.from_indices(row), family)
            assert_same(plain, space.columns_to_designs(space.indices_to_columns(row[None, :]))[0], family)
    mixed = DesignSpace((ordinal("a", (1, 2.5)), ordinal("b", ("x", "y"))))     # column float64: 1 reads 1.0
    assert mixed.plain_design([0, 1]) is None
    narrow = DesignSpace((ordinal("a", (np.float32(0.5), np.float32(1.5))),))   # column float32
    assert narrow.plain_design([1]) is None


def test_violations_at_is_violations_batch_of_the_row():
    """Including its remembered outcomes: checks that read some columns, none, or different ones by
    design (a branch), visited in several orders, and a family's own constraint."""

    def small(d: Mapping[str, Any]) -> Any:
        return np.asarray(d["a"]) * np.asarray(d["b"]) <= 6

    def branch(d: Mapping[str, Any]) -> Any:          # reads c, then a or b
        return np.asarray(d["a"]) < 3 if d["c"][0] == "x" else np.asarray(d["b"]) < 2

    params = (ordinal("a", (1, 2, 3)), ordinal("b", (1, 2, 3)), ordinal("c", ("x", "y")))
    checks = (Constraint("small", small), Constraint("not_y", lambda d: d["c"] != "y"),
              Constraint("always", lambda d: True), Constraint("branch", branch))
    rows = np.stack(np.meshgrid(*(np.arange(p.size) for p in params), indexing="ij"), -1).reshape(-1, 3)
    for seed in range(4):
        space = DesignSpace(params, checks)
        for row in rows[np.random.default_rng(seed).permutation(len(rows))]:
            want = [k for k, hit in space.violations_batch(space.indices_to_columns(row[None, :])).items() if hit[0]]
            assert space.violations_at(row.tolist()) == want, row
    seen = set()
    for workload in ("gpt2-decode:ctx=128", "llama7b-decode"):      # the weights fit; they do not
        pim = get_simulator("pim").space(get_workload(workload))
        for row in pim.sample_indices(100, np.random.default_rng(5)):
            want = [k for k, hit in pim.violations_batch(pim.indices_to_columns(row[None, :])).items() if hit[0]]
            assert pim.violations_at(row.tolist()) == want
            seen.add(bool(want))
    assert seen == {True, False}
    assert DesignSpace((ordinal("a", (1, 2)),)).violations_at([1]) == []


def test_bound_violations_read_a_row_as_numpy_reads_the_batch():
    """The objective's bounds, one rule for both paths: a design's Python floats exceed a bound exactly where
    numpy finds the batch's float64 column does (an int bound compared as a float64: 2**53 + 3 reads as
    2**53 + 4; NaN and absent metrics exceed nothing), under the same names, in the bounds' order."""
    constraints = {"power_w": 1.5, "area_mm2": 2**53 + 3, "edp_js": 2}
    rows = [{"area_mm2": a, "power_w": p} for a in (2.0**53 + 2, 2.0**53 + 4, 2.0**53 + 8, math.nan)
            for p in (1.0, 1.5, 2.0, math.inf, math.nan)]
    masks = bound_violations(constraints, {k: np.array([r[k] for r in rows]) for k in rows[0]})
    assert list(masks) == ["power_w<=1.5", "area_mm2<=9.0072e+15"]
    for i, row in enumerate(rows):
        one = bound_violations(constraints, row)
        assert list(one) == [name for name, where in masks.items() if where[i]], row
        assert all(where is True for where in one.values())
    assert list(bound_violations(constraints, {"area_mm2": 2.0**53 + 8})) == ["area_mm2<=9.0072e+15"]
    assert bound_violations(constraints, {"area_mm2": 2.0**53 + 4}) == {}        # exactly: 2**53 + 4 > 2**53 + 3


def test_computed_drops_the_nan_metrics_only():
    full = {"a": 1.0, "b": math.inf, "c": -math.inf}
    assert computed(full) == full                                    # +inf meets -inf: their sum is NaN
    finite = {"a": 1.0, "b": math.inf}
    assert computed(finite) is finite
    dropped = computed({"a": math.nan, "b": 2.0, "c": -math.inf, "d": math.nan})
    assert_same(dropped, {"b": 2.0, "c": -math.inf}, "dropped")
