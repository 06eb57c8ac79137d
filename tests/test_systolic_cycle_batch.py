"""The systolic cycle fidelity's batched path (simulators/systolic/cycle_batch.py, fold_walk.py) equals the
single-design fold walk (cycle.evaluate) exactly: metrics, per-GEMM rows, any batch composition or chunking.
Both end in one network assembly (cycle_network.assemble); tests/test_systolic_cycle_frozen.py checks that
against values frozen before it was shared."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from archgym.errors import ConfigError
from archgym.workload import get_workload
from simulators.common.family import Designs
from simulators.systolic import SystolicSimulator, cycle, cycle_batch, fold_walk

SIM = SystolicSimulator()
RESNET = get_workload("resnet18")


def _designs(preset: str, mapping: str, n: int = 20, seed: int = 3) -> list[dict[str, Any]]:
    return SIM.space(RESNET, preset, mapping).sample(n, seed)


def _assert_equal_to_walk(designs: list[dict[str, Any]], workload: Any = RESNET) -> None:
    """Every metric of every design bit-identical to cycle.evaluate's; design 0's rows identical too."""
    out = cycle_batch.evaluate(Designs("systolic", designs), workload)
    for i, d in enumerate(designs):
        ref = cycle.evaluate(d, workload).metrics
        got = {k: float(v[i]) for k, v in out.metrics.items()}
        assert got == {k: ref[k] for k in got}, f"design {i}: {d}"
    rows = out.layers() if out.layers else []
    ref = cycle.evaluate(designs[0], workload).layers
    assert rows == ref and [list(r) for r in rows] == [list(r) for r in ref]     # key order too


@pytest.mark.parametrize("preset,mapping", [("tpu-v1", "auto"), ("eyeriss", "shared"), ("scalesim", "per-layer")])
def test_batch_equals_single_fold_walk(preset: str, mapping: str) -> None:
    _assert_equal_to_walk(_designs(preset, mapping))


def test_batch_equals_single_on_a_streamed_gemm() -> None:
    # one large GEMM on small SRAMs: many folds, operands re-streamed, stalls and ofmap back-pressure
    wl = get_workload("gemm:M=2048,N=1024,K=768")
    designs = SIM.space(wl, "scalesim", "shared").sample(20, 5)
    for d in designs[:10]:
        d.update(ifmap_kb=4, filter_kb=4, ofmap_kb=4, dram_bw=2)
    _assert_equal_to_walk(designs, wl)
    assert any(cycle.evaluate(d, wl).metrics["stall_cycles"] > 0 for d in designs[:10])


def test_mixed_and_chunked_batches_equal_their_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    designs = _designs("eyeriss", "per-layer", n=12)
    edge = _designs("edge-7nm", "per-layer", n=6)        # another technology: its own group
    whole = SIM.evaluate_batch(designs + edge, RESNET, "cycle")
    parts = [SIM.evaluate_batch(designs, RESNET, "cycle"), SIM.evaluate_batch(edge, RESNET, "cycle")]
    monkeypatch.setattr(cycle_batch, "CHUNK_DESIGNS", 5)
    chunked = SIM.evaluate_batch(designs + edge, RESNET, "cycle")
    for k, v in whole.metrics.items():
        np.testing.assert_array_equal(v, np.concatenate([p.metrics[k] for p in parts]), err_msg=k)
        np.testing.assert_array_equal(v, chunked.metrics[k], err_msg=k)
    _assert_equal_to_walk(edge)


def test_compiled_walk_equals_plain_python(monkeypatch: pytest.MonkeyPatch) -> None:
    wl = get_workload("gemm:M=2048,N=1024,K=768")
    designs = [{**d, "ifmap_kb": 4, "filter_kb": 8, "ofmap_kb": 4, "dram_bw": 2}
               for d in SIM.space(wl, "scalesim", "shared").sample(8, 9)]
    compiled = SIM.evaluate_batch(designs, wl, "cycle")
    for name in ("_walk", "_arrival"):
        monkeypatch.setattr(fold_walk, name, getattr(fold_walk, name).py_func)
    plain = SIM.evaluate_batch(designs, wl, "cycle")
    assert (compiled.metrics["stall_cycles"] > 0).any()
    for k, v in compiled.metrics.items():
        np.testing.assert_array_equal(v, plain.metrics[k], err_msg=k)


def test_evaluate_batch_equals_a_loop_of_evaluate() -> None:
    """(A zero clock, once this test's invalid designs, is a ConfigError now: tests/test_design_bounds.py.)"""
    designs = _designs("tpu-v1", "shared")
    batch = SIM.evaluate_batch(designs, RESNET, "cycle")
    singles = [SIM.evaluate(d, RESNET, "cycle") for d in designs]
    assert batch.valid.tolist() == [r.valid for r in singles]
    assert batch.violations == [r.violations for r in singles]
    for k, v in batch.metrics.items():
        np.testing.assert_array_equal(v, [r.metrics[k] for r in singles], err_msg=k)


def test_bad_hardware_and_mapping_values_are_config_errors() -> None:
    d = _designs("scalesim", "shared", n=1)[0]
    with pytest.raises(ConfigError, match="rows: 0 is not allowed; allowed: an integer in 1 … 65536"):
        SIM.evaluate({**d, "rows": 0}, RESNET, "cycle")
    with pytest.raises(ConfigError, match="fold_order: 'diagonal' is not allowed"):
        SIM.evaluate({**d, "fold_order": "diagonal"}, RESNET, "cycle")
