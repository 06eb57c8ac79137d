"""The PIM analytical model's single-design path (issue 17, item 1): one ``evaluate`` gives exactly
its row of ``evaluate_batch`` (metrics, validity and per-layer rows), and the values frozen from
commit 77125e9 (before the single path was restructured) for designs of each mapping mode."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from archgym.errors import ConfigError
from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.common.family import Designs
from simulators.pim import PRESETS, analytical

#: (workload, design, some metrics, valid, the first per-layer row placed on PIM): ``evaluate`` at
#: commit 77125e9 (a per-layer design keeps six of its knobs; the others are absent, i.e. auto)
FROZEN: list[tuple[str, dict[str, Any], dict[str, float], bool, dict[str, Any]]] = [
    ('resnet18',
     {'channels': 32, 'banks_per_unit': 1, 'lanes': 8, 'pim_clock_mhz': 150, 'irf_regs': 4, 'orf_regs': 32, 'host_tops': 92.2, 'host_bw_gbs': 307.2, 'act_mode': 'all-bank', 'preset': 'hbm-pim'},
     {'latency_s': 0.00010839427234488982, 'energy_j': 0.00180853341952, 'dram_bytes': 22355072.0, 'utilization': 0.7173850756704514, 'host_latency_s': 0.00011115421472502234, 'sub_batches': 1.0, 'area_mm2': 33.625473024},
     True,
     {'name': 'fc', 'kind': 'gemm', 'place': 'pim', 'latency_s': 1.1616262473184563e-06, 'energy_j': 5.5998336e-06, 'host_latency_s': 3.92156862745098e-06, 'dram_bytes': 21248.0, 'macs': 512000, 'split_k': 8.0, 'tile_rows': 16.0, 'tile_order': 1.0}),
    ('gpt2-decode',
     {'channels': 4, 'banks_per_unit': 4, 'lanes': 8, 'pim_clock_mhz': 2000, 'irf_regs': 64, 'orf_regs': 64, 'host_tops': 32, 'host_bw_gbs': 32, 'act_mode': 'per-bank', 'preset': 'gddr6-aim'},
     {'latency_s': 0.0008373645019099287, 'energy_j': 0.003522290053120002, 'dram_bytes': 1978208.0, 'utilization': 0.620315130151209, 'host_latency_s': 0.009777178655294117, 'sub_batches': 1.0, 'area_mm2': 1.717592064},
     True,
     {'name': 'L0_qkv', 'kind': 'gemv', 'place': 'pim', 'latency_s': 1.1449872017856136e-05, 'energy_j': 4.6759526399999996e-05, 'host_latency_s': 0.00013010823529411767, 'dram_bytes': 26112.0, 'macs': 1769472, 'split_k': 2.0, 'tile_rows': 8.0, 'tile_order': 8.0}),
    ('gpt2-decode:ctx=256,batch=8',
     {'channels': 32, 'banks_per_unit': 2, 'lanes': 32, 'pim_clock_mhz': 600, 'irf_regs': 16, 'orf_regs': 32, 'host_tops': 92.2, 'host_bw_gbs': 153.6, 'act_mode': 'all-bank', 'preset': 'hbm-pim', 'fc_place': 'auto', 'attn_place': 'auto', 'split_k': 16, 'tile_rows': 64, 'sub_batches': 0},
     {'latency_s': 0.0018245908699190548, 'energy_j': 0.021421427750399985, 'dram_bytes': 149237760.0, 'utilization': 0.4872076135064611, 'host_latency_s': 0.0024706644720173527, 'sub_batches': 1.0, 'area_mm2': 38.800982016},
     True,
     {'name': 'L0_attn', 'kind': 'attention', 'place': 'pim', 'latency_s': 1.219371207723565e-05, 'energy_j': 0.00011458510847999998, 'host_latency_s': 4.8188235294117645e-05, 'dram_bytes': 1093632.0, 'macs': 3145728, 'split_k': 16.0, 'tile_rows': 64.0, 'tile_order': 8.0, 'split_k1': 16.0, 'tile_rows1': 64.0, 'tile_order1': 3.0}),
    ('gpt2-decode:ctx=256,batch=8',
     {'channels': 4, 'banks_per_unit': 1, 'lanes': 64, 'pim_clock_mhz': 300, 'irf_regs': 16, 'orf_regs': 16, 'host_tops': 92.2, 'host_bw_gbs': 153.6, 'act_mode': 'all-bank', 'preset': 'hbm-pim', 'fc_place': 'auto', 'attn_place': 'pim', 'split_k': 16, 'tile_rows': 16, 'sub_batches': 0},
     {'latency_s': 0.0022433099117246283, 'energy_j': 0.008498792570879998, 'dram_bytes': 260335104.0, 'utilization': 0.3501809834584904, 'host_latency_s': 0.0024706644720173527, 'sub_batches': 1.0, 'area_mm2': 14.658830336},
     True,
     {'name': 'L0_attn', 'kind': 'attention', 'place': 'pim', 'latency_s': 2.924202193639058e-05, 'energy_j': 6.409224192e-05, 'host_latency_s': 4.8188235294117645e-05, 'dram_bytes': 1105920.0, 'macs': 3145728, 'split_k': 16.0, 'tile_rows': 16.0, 'tile_order': 16.0, 'split_k1': 16.0, 'tile_rows1': 16.0, 'tile_order1': 16.0}),
    ('gpt2-decode:batch=4,ctx=256',
     {'channels': 16, 'banks_per_unit': 1, 'lanes': 8, 'pim_clock_mhz': 250, 'irf_regs': 8, 'orf_regs': 16, 'host_tops': 33.176, 'host_bw_gbs': 60, 'act_mode': 'all-bank', 'preset': 'lpddr5x-pim', 'tile_rows': 32, 'sub_batches': 2, 'L0_qkv.place': 'host', 'L0_qkv.split_k': 16, 'L0_attn.place': 'auto', 'L0_attn.split_k': 16, 'L0_proj.place': 'auto', 'L0_proj.split_k': 4},
     {'latency_s': 0.0016312866765883294, 'energy_j': 0.0035724562736981335, 'dram_bytes': 17179648.0, 'utilization': 0.62078304914008, 'host_latency_s': 0.0023735116701229814, 'sub_batches': 2.0, 'area_mm2': 12.505415679999999},
     True,
     {'name': 'L0_attn', 'kind': 'attention', 'place': 'pim', 'latency_s': 2.2397289203854948e-05, 'energy_j': 5.380195614719999e-05, 'host_latency_s': 2.6214400000000004e-05, 'dram_bytes': 1031168.0, 'macs': 1572864, 'split_k': 16.0, 'tile_rows': 32.0, 'tile_order': 8.0, 'split_k1': 16.0, 'tile_rows1': 32.0, 'tile_order1': 6.0}),
]

#: the three cases of benchmarks/single_eval_ab.py and a per-layer space: (workload, space arguments)
CASES = [("resnet18", ()), ("gpt2-decode", ()), ("gpt2-decode:ctx=256,batch=8", ("hbm-pim", "shared")),
         ("gpt2-decode:batch=4,ctx=256", ("lpddr5x-pim", "per-layer"))]


@pytest.mark.parametrize("workload, design, metrics, valid, row", FROZEN)
def test_values_frozen_from_before_the_restructuring(workload: str, design: dict[str, Any],
                                                     metrics: dict[str, float], valid: bool,
                                                     row: dict[str, Any]) -> None:
    got = get_simulator("pim").evaluate(design, get_workload(workload))
    assert {k: got.metrics[k] for k in metrics} == metrics
    assert got.valid is valid
    assert next(r for r in got.layers if r["name"] == row["name"]) == row


@pytest.mark.parametrize("workload, space", CASES)
def test_single_equals_its_batch_row_with_layers(workload: str, space: tuple[str, ...]) -> None:
    """Metrics and validity from ``evaluate`` == the batch's row; per-layer rows == the batch model's
    rows of that design (the batch path keeps array hardware, the single path Python floats)."""
    sim, wl = get_simulator("pim"), get_workload(workload)
    designs = sim.space(wl, *space).sample(12, 4)
    batch = sim.evaluate_batch(designs, wl)
    cost = analytical.evaluate(PRESETS[designs[0]["preset"]], Designs("pim", designs).columns, len(designs), wl)
    for i, d in enumerate(designs):
        one = sim.evaluate(d, wl)
        assert one.metrics == {k: float(v[i]) for k, v in batch.metrics.items()}
        assert one.valid == bool(batch.valid[i]) and one.violations == batch.violations[i]
        assert one.layers == cost.layer_rows(i)


def test_torch_columns_give_the_numpy_result() -> None:
    torch = pytest.importorskip("torch")
    sim, wl = get_simulator("pim"), get_workload("gpt2-decode:ctx=256,batch=8")
    designs = sim.space(wl, "hbm-pim", "shared").sample(6, 1)
    cols = {k: np.array([d[k] for d in designs]) for k in designs[0]}
    tensors = {k: v if v.dtype.kind in "OU" else torch.as_tensor(v, dtype=torch.float64) for k, v in cols.items()}
    want, got = sim.evaluate_batch(cols, wl), sim.evaluate_batch(tensors, wl)
    for k, v in want.metrics.items():
        np.testing.assert_array_equal(got.metrics[k], v)


def test_unknown_placement_names_the_field_and_the_choices() -> None:
    sim, wl = get_simulator("pim"), get_workload("gpt2-decode")
    design = dict(sim.space(wl, "hbm-pim", "shared").sample(1, 0)[0], attn_place="gpu")
    with pytest.raises(ConfigError, match=r"attn_place: 'gpu' is not allowed; allowed: one of 'auto', 'pim', 'host'"):
        sim.evaluate(design, wl)


@pytest.mark.parametrize("knob", ["lanes", "irf_regs", "orf_regs", "host_tops", "pim_clock_mhz", "banks_per_unit"])
def test_a_zero_hardware_knob_is_the_same_error_alone_and_in_a_batch(knob: str) -> None:
    """A zero count, clock or host peak is bad input (docs/robustness.md, "Design values at the simulator
    API"; it once gave inf / NaN metrics): one ConfigError line naming the knob, on one design and in a batch."""
    sim, wl = get_simulator("pim"), get_workload("gpt2-decode")
    designs = [dict(d, **{knob: 0}) for d in sim.space(wl).sample(2, 1)]
    with pytest.raises(ConfigError, match=rf"^pim design 0: {knob}: 0 is not allowed; allowed: "):
        sim.evaluate_batch(designs, wl)
    with pytest.raises(ConfigError, match=rf"^pim design: {knob}: 0 is not allowed; allowed: "):
        sim.evaluate(designs[1], wl)
