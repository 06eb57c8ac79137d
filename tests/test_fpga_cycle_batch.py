"""The FPGA cycle fidelity's compiled walks (simulators/fpga/cycle.py, numba) equal their plain-Python
definitions exactly, and a batch equals a loop of single evaluations, invalid designs included."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from archgym.metrics import Result
from archgym.workload import Workload, get_workload
from simulators.fpga import FPGASimulator, cycle
from simulators.fpga.reference_nets import finn_cnv

SIM = FPGASimulator()


def _assert_batch_equals_singles(designs: list[dict[str, Any]], wl: Workload) -> list[Result]:
    batch = SIM.evaluate_batch(designs, wl, "cycle")
    singles = [SIM.evaluate(d, wl, "cycle") for d in designs]
    assert batch.valid.tolist() == [r.valid for r in singles]
    assert batch.violations == [r.violations for r in singles]
    for k, v in batch.metrics.items():
        np.testing.assert_array_equal(v, [r.metrics.get(k, np.nan) for r in singles], err_msg=k)
    return singles


def test_batch_equals_a_loop_of_single_evaluations_including_invalid() -> None:
    wl = get_workload("resnet18")
    singles = _assert_batch_equals_singles(SIM.space(wl).sample(20, 11), wl)
    assert 0 < sum(r.valid for r in singles) < len(singles)          # both kinds present


def test_hybrids_sharing_an_analysis_equal_their_singles() -> None:
    # one device and precision: one analysis, each hybrid group's dataflow pipeline built for several designs
    wl = get_workload("resnet18")
    designs = [{**d, "device": "vu9p", "precision": "int8"} for d in SIM.space(wl).sample(200, 3)
               if d["style"] == "hybrid"][:16]
    singles = _assert_batch_equals_singles(designs, wl)
    modes = [g["mode"] for r in singles for g in r.info["groups"]]
    assert modes.count("dataflow") >= 4 and "sequential" in modes


def test_compiled_walks_equal_plain_python(monkeypatch: pytest.MonkeyPatch) -> None:
    wl = finn_cnv()
    pool = SIM.space(wl).sample(60, 2)
    designs = [d for style in ("streaming", "tiled", "hybrid") for d in [d for d in pool if d["style"] == style][:6]]
    compiled = SIM.evaluate_batch(designs, wl, "cycle")
    for name in ("_pipeline", "_first_at_least", "_engine", "_tiles"):
        monkeypatch.setattr(cycle, name, getattr(cycle, name).py_func)
    plain = SIM.evaluate_batch(designs, wl, "cycle")
    assert {d["style"] for d in designs} == {"streaming", "tiled", "hybrid"}
    for k, v in compiled.metrics.items():
        np.testing.assert_array_equal(v, plain.metrics[k], err_msg=k)
