"""The FPGA cycle fidelity's compiled walks (simulators/fpga/cycle.py, numba) equal their plain-Python
definitions exactly, and a batch equals a loop of single evaluations, invalid designs included — also
when it mixes every device and precision (one analysis for the whole batch, simulators/fpga/fabric.py);
a few designs' numbers are pinned to those of commit 77125e9 (before that analysis), and digests of
240 designs' cycle-level times to those of commit 98c6e14 (before the walks ran in one compiled call per
batch and the tile walk advanced steady runs in closed form)."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np
import pytest

from archgym.metrics import Result
from archgym.workload import Workload, get_workload
from simulators.fpga import FPGASimulator, cycle
from simulators.fpga.devices import DEVICES
from simulators.fpga.precision import PRECISIONS
from simulators.fpga.reference_nets import finn_cnv

SIM = FPGASimulator()


def _assert_batch_equals_singles(designs: list[dict[str, Any]], wl: Workload, fidelity: str = "cycle") -> list[Result]:
    batch = SIM.evaluate_batch(designs, wl, fidelity)
    singles = [SIM.evaluate(d, wl, fidelity) for d in designs]
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


def _plain_repeat_add(x: float, c: float, n: int) -> float:
    """The definition :func:`cycle._repeat_add` stands for: ``n`` float additions."""
    for _ in range(n):
        x += c
    return x


def test_compiled_walks_equal_plain_python_step_by_step(monkeypatch: pytest.MonkeyPatch) -> None:
    wl = finn_cnv()
    pool = SIM.space(wl).sample(60, 2)
    designs = [d for style in ("streaming", "tiled", "hybrid") for d in [d for d in pool if d["style"] == style][:6]]
    compiled = SIM.evaluate_batch(designs, wl, "cycle")
    for name in ("walks", "_row_inputs", "_pipeline_tables", "_pipeline", "_engine", "_tiles"):
        monkeypatch.setattr(cycle, name, getattr(cycle, name).py_func)
    monkeypatch.setattr(cycle, "_repeat_add", _plain_repeat_add)     # every tile step taken one by one
    monkeypatch.setattr(cycle, "GROUP_JUMPS", False)                  # and every output tile
    plain = SIM.evaluate_batch(designs, wl, "cycle")
    assert {d["style"] for d in designs} == {"streaming", "tiled", "hybrid"}
    for k, v in compiled.metrics.items():
        np.testing.assert_array_equal(v, plain.metrics[k], err_msg=k)


def test_repeat_add_equals_one_addition_at_a_time() -> None:
    rng = np.random.default_rng(0)
    ulp = math.ulp
    cases = [(1.0, 0.0, 50), (0.0, 3.0, 40), (5.0, 1e-17, 1000), (2.0**52 - 3, 1.0, 9), (2.0**53 - 6, 1.5, 9),
             (1.0, ulp(1.0) / 2, 20), (1.0 + ulp(1.0), ulp(1.0) / 2, 20), (3.0, 1.5 * ulp(4.0), 30),
             (7.9, 0.05, 400), (1e300, 1e299, 30), (1.0, math.inf, 3), (math.nan, 1.0, 3), (1.0, -0.5, 5),
             (2.0**-1000, 2.0**-1001, 10)]
    for _ in range(400):                     # random starts and steps, ties (c/u = k + 1/2) among them
        x = float(rng.uniform(1, 1e6))
        c = float(rng.choice([rng.uniform(0, 50), x * 10.0 ** rng.uniform(-18, -12), (rng.integers(0, 9) + 0.5)
                              * ulp(x)]))
        cases.append((x, c, int(rng.integers(1, 3000))))
    for x, c, n in cases:
        got, want = cycle._repeat_add(x, c, n), _plain_repeat_add(x, c, n)
        assert got == want or (math.isnan(got) and math.isnan(want)), (x, c, n)


def test_tile_walk_equals_one_step_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # the compiled walk skips steady runs within a tile (_repeat_add) and tiles that repeat shifted (_repeating)
    rng = np.random.default_rng(3)
    cases = [(rng.integers(1, 400), rng.integers(1, 40), *rng.uniform(0, 50, 3), rng.uniform(0, 1e6))
             for _ in range(40)]
    cases += [(300, 3, 8.0, 2.0, 5.0, 0.0), (200, 1, 1.5, 4.0, 0.5, 1e3), (500, 2, 3.0, 3.0, 3.0, 2.0**20 - 7),
              (64, 8, 2.0**-40, 1.0, 2.0**-41, 1e9), (100, 5, 1e-20, 0.0, 0.0, 5.0),   # ties, binade tops, zeros
              (43, 2, 22.091351078297162, 40.72842692660469, 5.465746285607576, 0.0),   # equal queues, unequal
              (114, 1, 23.4368546771558, 47.210074099256985, 19.73733128969315, 0.0)]   # shifts: no skip
    compiled = [cycle._tiles(int(g), int(s), float(a), float(b), float(c), float(t)) for g, s, a, b, c, t in cases]
    monkeypatch.setattr(cycle, "_repeat_add", _plain_repeat_add)
    monkeypatch.setattr(cycle, "GROUP_JUMPS", False)
    plain = [cycle._tiles.py_func(int(g), int(s), float(a), float(b), float(c), float(t)) for g, s, a, b, c, t in cases]
    assert compiled == plain


#: sha256 (first 16 hex digits) of cycles, ii_cycles and dram_bytes of 40 cycle-level designs
#: (``space(wl, None, mapping).sample(40, 17)``, one batch), computed by commit 98c6e14
DIGESTS_98C6E14 = {("resnet18", "auto"): "e8caab5482944edd", ("resnet18", "per-layer"): "f7f67f877b1295ef",
                   ("mobilenetv2", "auto"): "3a3728caa0003a94", ("mobilenetv2", "per-layer"): "bb6d272250c55669",
                   ("cnv", "auto"): "d003b47edffd133c", ("cnv", "per-layer"): "53c71d05dd734572"}


@pytest.mark.parametrize(("name", "mapping"), sorted(DIGESTS_98C6E14))
def test_cycle_times_of_commit_98c6e14_are_kept(name: str, mapping: str) -> None:
    wl = finn_cnv() if name == "cnv" else get_workload(name)
    batch = SIM.evaluate_batch(SIM.space(wl, None, mapping).sample(40, 17), wl, "cycle")
    h = hashlib.sha256()
    for k in ("cycles", "ii_cycles", "dram_bytes"):
        h.update(np.ascontiguousarray(batch.metrics[k], dtype=np.float64).tobytes())
    assert h.hexdigest()[:16] == DIGESTS_98C6E14[(name, mapping)]


@pytest.mark.parametrize("fidelity", ["analytical", "cycle"])
@pytest.mark.parametrize("mapping", ["auto", "shared", "per-layer"])
def test_a_batch_mixing_every_device_and_precision_equals_its_singles(mapping: str, fidelity: str) -> None:
    # one analysis covers all devices and precisions; several hybrids share a group count (their
    # sequential groups' sums were once summed in another order in a batch than alone)
    wl = get_workload("resnet18")
    designs = SIM.space(wl, None, mapping).sample(60, 4)
    assert {d["device"] for d in designs} == set(DEVICES) and {d["precision"] for d in designs} == set(PRECISIONS)
    hybrid_groups = [d["groups"] for d in designs if d["style"] == "hybrid"]
    assert max(hybrid_groups.count(g) for g in set(hybrid_groups)) >= 2
    singles = _assert_batch_equals_singles(designs, wl, fidelity)
    assert 0 < sum(r.valid for r in singles) < len(singles)


#: (design, analytical metrics, cycle metrics, valid) of ResNet-18 designs, computed by commit 77125e9
FROZEN_77125E9: list[tuple[dict[str, Any], dict[str, float], dict[str, float], bool]] = [
    ({'device': 'u280',
      'precision': 'int8',
      'style': 'streaming',
      'tm': 64,
      'tn': 1,
      'buf_kib': 256,
      'clock_mhz': 100,
      'groups': 1,
      'reconfig': 'intar',
      'util_cap': 1.0,
      'weight_mem': 'on-chip',
      'fifo_depth': 512,
      'sched_0': 'sequential'},
     {'cycles': 49838592.0,
      'energy_j': 4.017903359762383,
      'clock_mhz': 100.0,
      'lut': 11108.1,
      'bram18k': 73.0,
      'dram_bytes': 155560.0},
     {'cycles': 58291456.7104494,
      'energy_j': 4.017903359762383,
      'clock_mhz': 100.0,
      'lut': 11108.1,
      'bram18k': 73.0,
      'dram_bytes': 155560.0},
     True),
    ({'device': 'zc706',
      'precision': 'int4',
      'style': 'streaming',
      'tm': 256,
      'tn': 64,
      'buf_kib': 64,
      'clock_mhz': 300,
      'groups': 2,
      'reconfig': 'intar',
      'util_cap': 0.9,
      'weight_mem': 'on-chip',
      'fifo_depth': 0,
      'sched_0': 'dataflow',
      'sched_1': 'dataflow'},
     {'cycles': 429440.0,
      'energy_j': 0.2634455844356317,
      'clock_mhz': 1.0,
      'lut': 884514.1000000003,
      'bram18k': 2996.0,
      'dram_bytes': 77780.0},
     {'cycles': 447360.3835759656,
      'energy_j': 0.2634455844356317,
      'clock_mhz': 1.0,
      'lut': 884514.1000000003,
      'bram18k': 2996.0,
      'dram_bytes': 77780.0},
     False),
    ({'device': 'vu9p',
      'precision': 'fp16',
      'style': 'tiled',
      'tm': 64,
      'tn': 7,
      'buf_kib': 1024,
      'clock_mhz': 100,
      'groups': 4,
      'reconfig': 'intar',
      'util_cap': 0.9,
      'weight_mem': 'off-chip',
      'fifo_depth': 0,
      'sched_0': 'sequential',
      'sched_1': 'dataflow',
      'sched_2': 'auto',
      'sched_3': 'dataflow'},
     {'cycles': 4782638.390931372,
      'energy_j': 0.5252425336211273,
      'clock_mhz': 100.0,
      'lut': 125064.8,
      'bram18k': 0.0,
      'dram_bytes': 41778612.0},
     {'cycles': 4781792.747125158,
      'energy_j': 0.5251542895116627,
      'clock_mhz': 100.0,
      'lut': 125064.8,
      'bram18k': 0.0,
      'dram_bytes': 41778612.0},
     True),
    ({'device': 'ku115',
      'precision': 'int16',
      'style': 'tiled',
      'tm': 32,
      'tn': 1,
      'buf_kib': 1024,
      'clock_mhz': 300,
      'groups': 2,
      'reconfig': 'partial',
      'util_cap': 1.0,
      'weight_mem': 'on-chip',
      'fifo_depth': 2,
      'sched_0': 'auto',
      'sched_1': 'sequential'},
     {'cycles': 58181978.59252452,
      'energy_j': 2.1830706553427284,
      'clock_mhz': 250.0,
      'lut': 8082.4,
      'bram18k': 2176.0,
      'dram_bytes': 53793396.0},
     {'cycles': 58181173.3407884,
      'energy_j': 2.183040839172961,
      'clock_mhz': 250.0,
      'lut': 8082.4,
      'bram18k': 2176.0,
      'dram_bytes': 53793396.0},
     True),
    ({'device': 'u250',
      'precision': 'fp32',
      'style': 'hybrid',
      'tm': 32,
      'tn': 8,
      'buf_kib': 256,
      'clock_mhz': 100,
      'groups': 2,
      'reconfig': 'partial',
      'util_cap': 0.7,
      'weight_mem': 'on-chip',
      'fifo_depth': 0,
      'sched_0': 'sequential',
      'sched_1': 'dataflow'},
     {'cycles': 21162591.716911763,
      'energy_j': 4.345658255404691,
      'clock_mhz': 100.0,
      'lut': 150626.40000000002,
      'bram18k': 0.0,
      'dram_bytes': 84806368.0},
     {'cycles': 22537142.1945028,
      'energy_j': 4.624235242640854,
      'clock_mhz': 100.0,
      'lut': 150626.40000000002,
      'bram18k': 0.0,
      'dram_bytes': 84806368.0},
     True),
    ({'device': 'zcu102',
      'precision': 'int1',
      'style': 'hybrid',
      'tm': 512,
      'tn': 4,
      'buf_kib': 64,
      'clock_mhz': 100,
      'groups': 4,
      'reconfig': 'partial',
      'util_cap': 0.8,
      'weight_mem': 'auto',
      'fifo_depth': 2,
      'sched_0': 'sequential',
      'sched_1': 'dataflow',
      'sched_2': 'sequential',
      'sched_3': 'sequential'},
     {'cycles': 15778662.639633318,
      'energy_j': 0.5097042401744656,
      'clock_mhz': 100.0,
      'lut': 29282.4,
      'bram18k': 1088.0,
      'dram_bytes': 4378249.0},
     {'cycles': 15782289.009118617,
      'energy_j': 0.509821072086704,
      'clock_mhz': 100.0,
      'lut': 29282.4,
      'bram18k': 1088.0,
      'dram_bytes': 4378249.0},
     True),
]


def test_numbers_of_commit_77125e9_are_kept_alone_and_in_one_batch() -> None:
    wl = get_workload("resnet18")
    designs = [d for d, *_ in FROZEN_77125E9]
    for fidelity, col in (("analytical", 1), ("cycle", 2)):
        batch = SIM.evaluate_batch(designs, wl, fidelity)
        for i, (design, *expected, valid) in enumerate(FROZEN_77125E9):
            one = SIM.evaluate(design, wl, fidelity)
            assert one.valid == valid and bool(batch.valid[i]) == valid
            for k, v in expected[col - 1].items():
                assert one.metrics[k] == v and batch.metrics[k][i] == v, (i, fidelity, k)
