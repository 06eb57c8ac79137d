"""The compiled analytical systolic kernel (:mod:`simulators.systolic.analytical_kernel`) against the array
path (:func:`simulators.systolic.network._array_cost`) on numpy: every metric and per-layer field equal
bit for bit (``np.array_equal``, not ``allclose``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import Workload, get_workload
from simulators.common.family import Designs
from simulators.systolic import analytical_kernel, network
from simulators.systolic.hardware import DATAFLOWS
from simulators.systolic.space import FOLD_ORDERS

SIM = get_simulator("systolic")
#: (workload, preset, mapping mode): convolutions, a transformer (two-GEMM attention layers), depthwise
#: convolutions (grouped GEMMs), a decode step (GEMVs and attention), and a single GEMM
CASES = (
    ("resnet18", None, "auto"), ("resnet18", "scalesim", "shared"), ("bert-base:seq=64", None, "shared"),
    ("mobilenetv2", "eyeriss", "per-layer"), ("gpt2-decode", "edge-7nm", "per-layer"),
    ("gemm:M=4096,N=1024,K=512", "scalesim", "per-layer"),
)


def _assert_same(designs: Sequence[Mapping[str, Any]] | Mapping[str, Any], wl: Workload,
                 equal_nan: bool = False) -> None:
    """The kernel and the array path on the same inputs, compared exactly (NaN equal to NaN if asked)."""
    x = network._inputs(Designs("systolic", designs), wl)
    ref, got = network._array_cost(x), network._kernel_cost(x)
    assert list(got.metrics) == list(ref.metrics)
    for name, value in ref.metrics.items():
        assert np.array_equal(got.metrics[name], value, equal_nan=equal_nan), name
    for field in ("packed", "tile_folds_used", "dataflow", "row_order"):
        assert np.array_equal(getattr(got, field), getattr(ref, field), equal_nan=equal_nan), field
    assert got.packed.dtype == ref.packed.dtype and got.tile_folds_used.dtype == ref.tile_folds_used.dtype


def _extremes(space: Any) -> list[dict[str, Any]]:
    """Every parameter at its first value, at its last, and the two alternated (wide and narrow arrays
    with small and large SRAMs, all tiles and fold orders at their ends)."""
    params = space.params
    pick = [lambda i, p: p.values[0], lambda i, p: p.values[-1],
            lambda i, p: p.values[-(i % 2)], lambda i, p: p.values[(i % 2) - 1]]
    return [{p.name: f(i, p) for i, p in enumerate(params)} for f in pick]


@pytest.mark.parametrize(("workload", "preset", "mapping"), CASES)
def test_kernel_equals_array_path(workload: str, preset: str | None, mapping: str) -> None:
    wl = get_workload(workload)
    space = SIM.space(wl, preset, mapping)
    designs = space.sample(300, 7) + _extremes(space)
    _assert_same(designs, wl)
    for d in designs[:5] + designs[-4:]:          # one design: (1, layers) codes, (1, 1) metrics
        _assert_same([d], wl)


@pytest.mark.parametrize("order", FOLD_ORDERS)
def test_every_fold_order_and_dataflow(order: str) -> None:
    wl = get_workload("bert-base:seq=64")
    space = SIM.space(wl, "scalesim", "per-layer")
    designs = space.sample(60, 3)
    for i, d in enumerate(designs):
        for j, layer in enumerate(network.gemm_stack(wl).names):
            d[f"{layer}.fold_order"] = order
            d[f"{layer}.dataflow"] = DATAFLOWS[(i + j) % 3]
    _assert_same(designs, wl)


def test_columns_with_integer_codes_and_partial_per_layer_knobs() -> None:
    """Columns (name → array) with integer dataflow / fold-order codes, a shared knob beside a few
    ``LAYER.`` columns, and the default knobs when absent."""
    wl = get_workload("resnet18")
    space = SIM.space(wl, "scalesim", "shared")
    cols = space.indices_to_columns(space.sample_indices(200, np.random.default_rng(5)))
    cols["dataflow"] = np.array([DATAFLOWS.index(v) for v in cols["dataflow"]])
    cols["fold_order"] = np.array([FOLD_ORDERS.index(v) for v in cols["fold_order"]])
    first, last = network.gemm_stack(wl).names[0], network.gemm_stack(wl).names[-1]
    cols[f"{first}.tile_folds"] = np.full(200, 64)
    cols[f"{last}.fold_order"] = np.array([2, 1] * 100)          # row, col
    _assert_same(cols, wl)
    shared = ("fold_order", "tile_folds", f"{last}.fold_order")
    _assert_same({k: v for k, v in cols.items() if k not in shared}, wl)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_zero_hardware_values_match_numpys_division_by_zero() -> None:
    """Values no space allows (zero bandwidth, SRAMs, clock, rows or columns) give the array path's
    numbers too, infinities and NaNs included (the kernel's integer division by zero follows numpy's)."""
    wl = get_workload("bert-base:seq=64")
    base = SIM.space(wl).sample(1, 0)[0]
    changes = ({"dram_bw": 0}, {"ifmap_kb": 0, "filter_kb": 0, "ofmap_kb": 0}, {"clock_mhz": 0}, {"rows": 0},
               {"cols": 0})
    _assert_same([{**base, **c} for c in changes], wl, equal_nan=True)


def test_evaluate_uses_the_kernel_on_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    wl = get_workload("resnet18")
    designs = SIM.space(wl).sample(3, 0)

    def fail(x: Any) -> None:
        raise AssertionError("array path used on numpy designs")

    monkeypatch.setattr(network, "_array_cost", fail)
    assert SIM.evaluate_batch(designs, wl).valid.all()
    assert len(SIM.evaluate(designs[0], wl).layers) == len(wl.layers)


def test_torch_designs_keep_the_array_path() -> None:
    torch = pytest.importorskip("torch")
    wl = get_workload("resnet18")
    cols = {"rows": torch.tensor([32, 128]), "cols": torch.tensor([64, 16]), "dataflow": torch.tensor([0, 2]),
            "ifmap_kb": torch.tensor([64, 256]), "filter_kb": torch.tensor([64, 32]),
            "ofmap_kb": torch.tensor([64, 64]), "dram_bw": torch.tensor([10, 4]),
            "clock_mhz": torch.tensor([1000, 1000]), "word_bytes": np.array([1, 1]),
            "tech": np.array(["45nm", "45nm"], dtype=object)}
    cost = network.evaluate(Designs("systolic", cols), wl)
    assert torch.is_tensor(cost.metrics["cycles"]) and torch.is_tensor(cost.packed)
    numpy_cols = {k: v.numpy() if torch.is_tensor(v) else v for k, v in cols.items()}
    ref = network.evaluate(Designs("systolic", numpy_cols), wl)
    np.testing.assert_allclose(cost.metrics["cycles"].numpy(), ref.metrics["cycles"], rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_segment_sum_is_numpys_reduceat(seed: int) -> None:
    """The kernel's GEMM → layer sum equals ``np.add.reduceat`` for segments of every length (numpy sums a
    segment's first entry plus the pairwise sum of the rest: 8 partial sums from 9 entries, halves past 128)."""
    rng = np.random.default_rng(seed)
    sizes = np.concatenate([np.arange(1, 20), rng.integers(20, 400, size=8)])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    x = rng.random(int(sizes.sum())) * 10.0 ** rng.integers(-6, 12, size=int(sizes.sum()))
    ref = np.add.reduceat(x, starts)
    got = [analytical_kernel._reduceat_add(x, int(s), int(s + n)) for s, n in zip(starts, sizes)]
    assert np.array_equal(np.array(got), ref)
    assert not np.array_equal(np.array([x[s:s + n].cumsum()[-1] for s, n in zip(starts, sizes)]), ref)
