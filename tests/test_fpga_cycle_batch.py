"""The FPGA cycle fidelity's compiled walks (simulators/fpga/cycle.py, numba) equal their plain-Python
definitions exactly, and a batch equals a loop of single evaluations, invalid designs included."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.workload import get_workload
from simulators.fpga import FPGASimulator, cycle
from simulators.fpga.reference_nets import finn_cnv

SIM = FPGASimulator()


def test_batch_equals_a_loop_of_single_evaluations_including_invalid() -> None:
    wl = get_workload("resnet18")
    designs = SIM.space(wl).sample(20, 11)
    batch = SIM.evaluate_batch(designs, wl, "cycle")
    singles = [SIM.evaluate(d, wl, "cycle") for d in designs]
    assert 0 < batch.valid.sum() < len(designs)          # both kinds present
    assert batch.valid.tolist() == [r.valid for r in singles]
    assert batch.violations == [r.violations for r in singles]
    for k, v in batch.metrics.items():
        np.testing.assert_array_equal(v, [r.metrics.get(k, np.nan) for r in singles], err_msg=k)


@pytest.mark.skipif(not hasattr(cycle._tiles, "py_func"), reason="numba absent: the walks run as plain Python")
def test_compiled_walks_equal_plain_python(monkeypatch: pytest.MonkeyPatch) -> None:
    wl = finn_cnv()
    pool = SIM.space(wl).sample(60, 2)
    designs = [d for style in ("streaming", "tiled", "hybrid") for d in [d for d in pool if d["style"] == style][:6]]
    compiled = SIM.evaluate_batch(designs, wl, "cycle")
    for name in ("_pipeline", "_engine", "_tiles"):
        monkeypatch.setattr(cycle, name, getattr(cycle, name).py_func)
    plain = SIM.evaluate_batch(designs, wl, "cycle")
    assert {d["style"] for d in designs} == {"streaming", "tiled", "hybrid"}
    for k, v in compiled.metrics.items():
        np.testing.assert_array_equal(v, plain.metrics[k], err_msg=k)
