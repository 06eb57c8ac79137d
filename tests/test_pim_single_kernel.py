"""The PIM one-design compiled path (:mod:`simulators.pim.single`) against the batch path to the bit: the
same metrics and violations as :func:`simulators.pim.analytical.evaluate` gives the design as a row of a
batch (array hardware, numpy formulas), on random and odd designs of every preset and mapping mode."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.common.family import Designs
from simulators.pim import PRESETS, analytical, single

#: (workload, preset, mapping mode): decode steps that split in two sub-batches, a CNN, every preset
CASES = [("resnet18", "hbm-pim", "auto"), ("gpt2-decode", "gddr6-aim", "auto"),
         ("gpt2-decode:ctx=256,batch=8", "hbm-pim", "shared"), ("gpt2-decode:batch=4,ctx=256", "lpddr5x-pim", "per-layer"),
         ("llama7b-decode", "hbm3-attacc", "shared"), ("bert-base", "ddr4-pim", "per-layer")]


def _same(a: float, b: float) -> bool:
    """Equal to the bit as values: NaN equals NaN, -0.0 differs from 0.0."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _designs(workload: str, preset: str, mode: str) -> list[dict[str, Any]]:
    """Random designs, the space's corners for sub-batching and placement, and hardware knobs at 0."""
    sim, wl = get_simulator("pim"), get_workload(workload)
    designs = sim.space(wl, preset, mode).sample(30, 3)
    extra = [dict(designs[0], sub_batches=s) for s in (0, 1, 2)] if mode != "auto" else []
    extra += [dict(designs[1], **{k: p}) for k in designs[1] if k.endswith("place") for p in ("pim", "host")][:6]
    zeros = [dict(designs[2], **{k: 0}) for k in ("lanes", "pim_clock_mhz", "orf_regs", "host_tops", "channels")]
    return designs + extra + zeros + [dict(designs[3], act_mode="per-bank")]


@pytest.mark.parametrize("workload, preset, mode", CASES)
def test_one_design_equals_its_batch_row_to_the_bit(workload: str, preset: str, mode: str) -> None:
    wl, designs = get_workload(workload), _designs(workload, preset, mode)
    cfg = PRESETS[preset]
    with np.errstate(all="ignore"):
        batch = analytical.evaluate(cfg, Designs("pim", designs).columns, len(designs), wl)
        ones = [single.evaluate(cfg, d, wl) for d in designs]
    for i, one in enumerate(ones):
        assert one is not None
        metrics, violations = one
        assert list(metrics) == list(batch.metrics)
        for k, v in batch.metrics.items():
            want = float(np.broadcast_to(v, (len(designs),))[i])
            assert _same(metrics[k], want), (i, k, metrics[k], want)
        assert violations == {k: bool(v[i]) for k, v in batch.violations.items()}


@pytest.mark.parametrize("value", ["16", None, 2**70, True, np.float64(2.0), np.int64(4)])
def test_values_it_does_not_read_take_the_array_path(value: Any) -> None:
    """A hardware value that is not a Python int in the int64 range or float is left to the array path
    (``single.evaluate`` gives None), so its conversions and errors stay that path's."""
    wl = get_workload("resnet18")
    design = dict(get_simulator("pim").space(wl).sample(1, 0)[0], lanes=value)
    assert single.evaluate(PRESETS["hbm-pim"], design, wl) is None


def test_hardware_block_equals_the_array_paths() -> None:
    """The kernel's hardware rows (t_cmd, banks, host rates, ACT round, mux) are :class:`.gemv.Hardware`'s:
    checked through the metrics that read them alone (peak, area, capacity) and the per-bank ACT mode."""
    sim, wl = get_simulator("pim"), get_workload("gpt2-decode")
    designs = [dict(d, act_mode=m) for d in sim.space(wl, "lpddr5x-pim").sample(40, 9) for m in ("all-bank", "per-bank")]
    cfg = PRESETS["lpddr5x-pim"]
    batch = analytical.evaluate(cfg, Designs("pim", designs).columns, len(designs), wl)
    for i, d in enumerate(designs):
        one = single.evaluate(cfg, d, wl)
        assert one is not None
        for k in ("peak_ops_per_s", "area_mm2", "capacity_bytes", "latency_s"):
            assert _same(one[0][k], float(batch.metrics[k][i])), (i, k)
