"""The family base (simulators/common/family.py): every family behaves the same way.

Numbers are pinned by ``tests/data/family_golden.json`` (the previous simulators' results on the
designs of :mod:`tests.family_cases`; regenerate it with ``python -m tests.family_cases`` after a
deliberate model change, and bump the family's ``version``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pytest

from archgym.errors import ConfigError
from archgym.simulator import get_simulator
from archgym.workload import Workload, get_workload
from simulators.common.family import Designs, Family, ModelOutput
from tests.family_cases import CASES, GOLDEN, case_designs, case_key

FAMILIES = ("systolic", "pim", "rdu", "fpga")
GOLD = json.loads(GOLDEN.read_text())
RUNS = [(f, w, m, fid) for f, w, m, fids in CASES for fid in fids]


def _same(got: float, want: float) -> bool:
    return got == want or (math.isnan(got) and math.isnan(want))


@pytest.mark.parametrize("family,workload,mapping,fidelity", RUNS, ids=[case_key(*r) for r in RUNS])
def test_single_equals_batch_equals_previous_values(family: str, workload: str, mapping: str, fidelity: str) -> None:
    sim, wl = get_simulator(family), get_workload(workload)
    designs = case_designs(family, workload, mapping)
    batch = sim.evaluate_batch(designs, wl, fidelity)
    for i, (d, want) in enumerate(zip(designs, GOLD[case_key(family, workload, mapping, fidelity)])):
        single = sim.evaluate(d, wl, fidelity)
        for got in (single, batch.row(i)):
            assert set(got.metrics) == set(want["metrics"])
            bad = {k: (got.metrics[k], v) for k, v in want["metrics"].items() if not _same(got.metrics[k], v)}
            assert not bad, f"design {i}: {bad}"
            assert (got.valid, got.violations) == (want["valid"], want["violations"])


@pytest.mark.parametrize("family", FAMILIES)
def test_missing_parameter_is_an_error_everywhere(family: str) -> None:
    sim, wl = get_simulator(family), get_workload("resnet18")
    design = sim.space(wl).default()
    for name in sim.parameters:       # type: ignore[attr-defined]
        partial = {k: v for k, v in design.items() if k != name}
        with pytest.raises(ConfigError, match=f"missing parameter '{name}'"):
            sim.evaluate(partial, wl)
        with pytest.raises(ConfigError, match=f"missing parameter '{name}'"):
            sim.evaluate_batch([partial, partial], wl)


@pytest.mark.parametrize("family", FAMILIES)
def test_rows_and_columns_agree_and_edp_is_derived(family: str) -> None:
    sim, wl = get_simulator(family), get_workload("gpt2-decode" if family == "pim" else "resnet18")
    space = sim.space(wl)
    designs = space.sample(6, 3)
    rows = sim.evaluate_batch(designs, wl)
    cols = sim.evaluate_batch(space.designs_to_columns(designs), wl)
    assert rows.metrics.keys() == cols.metrics.keys()
    for k, v in rows.metrics.items():
        np.testing.assert_array_equal(v, cols.metrics[k])
    np.testing.assert_array_equal(rows.metrics["edp_js"], rows.metrics["energy_j"] * rows.metrics["latency_s"])
    assert rows.violations == cols.violations


@pytest.mark.parametrize("family", FAMILIES)
def test_every_fidelity_has_a_model_version(family: str) -> None:
    sim = get_simulator(family)
    for fidelity in sim.fidelities:
        assert sim.model_version(fidelity) == type(sim).version != ""


class _Halves(Family):
    """A two-line family: latency 1/x (x = 0 gives an infinite latency) and a violation when x > 2."""

    name = "halves"
    parameters = ("x",)

    def presets(self) -> dict[str, Any]:
        return {}

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> Any:
        raise NotImplementedError

    def model(self, designs: Designs, workload: Workload, fidelity: str) -> ModelOutput:
        x = designs.column("x").astype(float)
        with np.errstate(divide="ignore"):
            latency = 1.0 / x
        return ModelOutput({"latency_s": latency, "energy_j": 2.0}, {"too_big": x > 2},
                           lambda: [{"name": "only"}], lambda: {"x": float(x[0])})


def test_validity_is_the_same_for_single_and_batch() -> None:
    fam, wl = _Halves(), get_workload("gemm:M=8,N=8,K=8")
    designs: list[Mapping[str, Any]] = [{"x": 1}, {"x": 0}, {"x": 4}]
    batch = fam.evaluate_batch(designs, wl)
    singles = [fam.evaluate(d, wl) for d in designs]
    assert [r.violations for r in singles] == batch.violations == [
        [], ["non_finite:latency_s", "non_finite:edp_js"], ["too_big"]]
    assert [r.valid for r in singles] == batch.valid.tolist() == [True, False, False]
    assert singles[0].metrics == {"latency_s": 1.0, "energy_j": 2.0, "edp_js": 2.0, "power_w": 2.0}
    assert singles[0].layers == [{"name": "only"}] and singles[0].info == {"fidelity": "analytical", "x": 1.0}
    assert len(fam.evaluate_batch([], wl)) == 0
    with pytest.raises(ConfigError, match="missing parameter 'x'"):
        fam.evaluate({"y": 1}, wl)


def test_pim_cycle_batch_shares_a_simulation_only_between_equal_pim_sides() -> None:
    sim, wl = get_simulator("pim"), get_workload("gpt2-decode")
    base = sim.space(wl).default()
    designs = [base, {**base, "channels": base["channels"] * 2}, {**base, "orf_regs": base["orf_regs"] * 2},
               {**base, "host_tops": base["host_tops"] * 2}]
    batch = sim.evaluate_batch(designs, wl, "cycle")
    singles = [sim.evaluate(d, wl, "cycle") for d in designs]
    for i, r in enumerate(singles):
        assert batch.row(i).metrics == r.metrics
    assert len({r.metrics["latency_s"] for r in singles[:3]}) == 3     # the PIM side differs
