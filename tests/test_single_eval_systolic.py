"""One systolic design on plain scalars (:func:`simulators.systolic.network._one`, issue 17 item 1): the same
numbers as the batch kernel on a batch of one, bit for bit; anything it does not read (other types, values
not allowed) takes the general path, with its errors."""

from __future__ import annotations

import re
from typing import Any

import numba
import numpy as np
import pytest

from archgym.errors import ConfigError
from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.common import technology
from simulators.common.family import Designs
from simulators.common.technology import TECH_NODES
from simulators.systolic import analytical_kernel, network

SIM = get_simulator("systolic")
CASES = (("resnet18", None, "auto"), ("resnet18", "scalesim", "shared"), ("mobilenetv2", "eyeriss", "per-layer"),
         ("gpt2-decode", "edge-7nm", "per-layer"), ("gemm:M=64,N=32,K=7", "scalesim", "shared"))


def _batch_of_one(design: dict[str, Any], wl: Any) -> network.NetworkCost:
    """The general path (design as columns) on one design."""
    return network._kernel_cost(network._inputs(Designs("systolic", {k: [v] for k, v in design.items()}), wl))


@pytest.mark.parametrize(("workload", "preset", "mapping"), CASES)
def test_scalar_path_equals_the_batch_kernel(workload: str, preset: str | None, mapping: str) -> None:
    wl = get_workload(workload)
    space = SIM.space(wl, preset, mapping)
    designs = space.sample(40, 3)
    designs += [{p.name: p.values[0] for p in space.params}, {p.name: p.values[-1] for p in space.params}]
    for d in designs:
        x = network._one_inputs(d, wl)
        found = network._one(d, wl)
        assert x is not None and found is not None
        assert tuple(numba.typeof(v) for v in x) == analytical_kernel.ONE_ARGS   # the compiled overload's types
        got, want = network._one_cost(x), _batch_of_one(d, wl)
        assert list(got.metrics) == list(want.metrics) == list(found.metrics) and found.violations == {}
        for name, value in want.metrics.items():
            assert type(got.metrics[name]) is float and got.metrics[name] == value.item(), name
            assert type(found.metrics[name]) is float and found.metrics[name] == value.item(), name
        assert np.array_equal(got.packed, want.packed) and got.packed.dtype == want.packed.dtype
        for field in ("tile_folds_used", "row_order"):
            assert np.array_equal(getattr(got, field), getattr(want, field)), field
        assert np.array_equal(np.broadcast_to(got.dataflow, want.tile_folds_used.shape),
                              np.broadcast_to(want.dataflow, want.tile_folds_used.shape))
        single = SIM.evaluate(d, wl)
        row = SIM.evaluate_batch([d, designs[0]], wl).row(0)
        assert single.metrics == row.metrics and single.valid == row.valid
        assert found.layers is not None and single.layers == network.layer_rows(want, wl) == found.layers()


@pytest.mark.parametrize("extra", [{"rows": 64.0}, {"rows": "64"}, {"rows": np.int64(32)}, {"dataflow": 1},
                                   {"tile_folds": "4"}, {"tech": 45}, {"rows": 1 << 63}, {"conv1.tile_folds": 2.0},
                                   {"ofmap_kb": 1 << 63}, {"word_bytes": -(1 << 63) - 1}, {"tile_folds": 1 << 63},
                                   {"dram_bw": True}])
def test_other_values_take_the_general_path(extra: dict[str, Any]) -> None:
    wl = get_workload("resnet18")
    design = {**SIM.presets()["tpu-v1"].design(), **extra}
    assert network._one_inputs(design, wl) is None and network._one(design, wl) is None
    try:
        want = SIM.evaluate_batch({k: np.asarray([v]) for k, v in design.items()}, wl)
    except Exception as exc:              # noqa: BLE001 - the general path's error, whatever it is
        with pytest.raises(type(exc), match=None):
            SIM.evaluate(design, wl)
        return
    assert SIM.evaluate(design, wl).metrics == want.row(0).metrics


@pytest.mark.parametrize(("extra", "drop", "message"), [
    ({"dataflow": "xx"}, None, "dataflow: 'xx' is not allowed"),
    ({"fold_order": "bad"}, None, "fold_order: 'bad' is not allowed"),
    ({}, "dataflow", r"missing parameter 'dataflow' \(or LAYER.dataflow\)"),
    ({"conv1.dataflow": "os"}, "dataflow", r"missing parameter 'dataflow' \(or \w+.dataflow\)")])
def test_bad_mapping_values_give_the_one_line_errors(extra: dict[str, Any], drop: str | None, message: str) -> None:
    design = {**SIM.presets()["tpu-v1"].design(), **extra}
    if drop:
        design.pop(drop)
    assert network._one_inputs(design, get_workload("resnet18")) is None
    with pytest.raises(ConfigError, match=message):
        SIM.evaluate(design, get_workload("resnet18"))


@pytest.mark.parametrize("tech", ["3nm", ""])
def test_an_unknown_technology_gives_the_batch_error(tech: str) -> None:
    """The batch's error for its design 0, less the index a batch's error names."""
    design, wl = {**SIM.presets()["scalesim"].design(), "tech": tech}, get_workload("resnet18")
    with pytest.raises(ConfigError) as batch:
        SIM.evaluate_batch([design, design], wl)
    assert str(batch.value).startswith("systolic design 0: tech: ")
    one = str(batch.value).replace("systolic design 0: ", "systolic design: ", 1)
    with pytest.raises(ConfigError, match=f"^{re.escape(one)}$"):
        SIM.evaluate(design, wl)


def test_sram_energy_of_one_size_equals_the_array_call_and_its_memo_is_bounded() -> None:
    rng = np.random.default_rng(0)
    kb = np.concatenate([2.0 ** np.arange(0, 30), rng.integers(0, 1 << 24, 3000).astype(float), [0.0, 0.5]])
    for node in TECH_NODES.values():
        want = node.sram_pj_per_byte(kb)
        assert [node.sram_pj_per_byte_one(k) for k in kb.tolist()] == want.tolist()
    assert len(technology._SRAM_PJ) <= technology.SRAM_MEMO_SIZE
