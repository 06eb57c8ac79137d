"""``archgym scalesim`` on what SCALE-Sim rounds and on what would not fit in memory: ofmaps rounded
up as SCALE-Sim's topology reader does (recorded SCALE-Sim 3.0.0 runs), and walks larger than the
memory budget reported as errors / invalid results instead of allocations."""

from __future__ import annotations

from pathlib import Path

import pytest

from archgym.errors import ConfigError
from archgym.workload import get_workload
from simulators.systolic import reference as ref
from simulators.systolic import scalesim_memory as mem
from simulators.systolic.scalesim_io import read_config, read_layers, report_rows, simulate
from simulators.systolic.simulator import SystolicSimulator

HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
TOPOLOGY = ("L1, 16, 16, 3, 3, 8, 16, 2,\nL2, 17, 13, 3, 3, 4, 8, 2,\nL3, 16, 16, 1, 1, 8, 8, 2,\n"
            "L4, 14, 14, 5, 5, 3, 8, 3,\n")
#: SCALE-Sim 3.0.0 (PyPI), run through simulators.systolic.reference on this topology with
#: reference.write_config(rows=cols=array, buffers=kb, bandwidth 10): per layer [Total Cycles,
#: Stall Cycles, DRAM IFMAP Reads, DRAM Filter Reads, Total Cycles (incl. prefetch)].
#: L1 and L3 have (H − R) not a multiple of the stride: SCALE-Sim rounds their ofmap up.
RECORDED = [
    ("ws", 8, 2, [[1877, 330, 12360, 2060, 2081], [349, 0, 2060, 290, 541], [102, 0, 650, 70, 231],
                  [379, 0, 2060, 600, 524]]),
    ("os", 8, 2, [[1375, 0, 9270, 2060, 1580], [299, 0, 2060, 290, 440], None, [177, 0, 2060, 600, 292]]),
    ("is", 4, 1, [[7487, 0, 13000, 23400, 7586], [1943, 0, 7280, 290, 2032], None,
                  [1367, 0, 2600, 11960, 1456]]),
]


def _run(tmp_path: Path, df: str, array: int, kb: int, topology: str = TOPOLOGY) -> list[list[int]]:
    (tmp_path / "t.csv").write_text(HEADER + topology)
    cfg = read_config(ref.write_config(tmp_path / "c.cfg", "t", array, array, df, kb, kb, kb, 10))
    read = read_layers(tmp_path / "t.csv", False)
    layers = [(n, g) for n, g, _ in read]
    rep = report_rows(cfg, layers, simulate(cfg, layers, "scalesim", [g for *_, g in read]))
    return [[int(c[2]), int(c[3]), int(d[12]), int(d[15]), int(c[1])] for c, d in zip(rep["compute"], rep["detail"])]


@pytest.mark.parametrize("df,array,kb,want", RECORDED)
def test_rounded_up_ofmaps_match_recorded_scalesim(tmp_path, df, array, kb, want):
    got = _run(tmp_path, df, array, kb)
    assert [g for g, w in zip(got, want) if w is not None] == [w for w in want if w is not None]


def test_rounded_up_geometry(tmp_path):
    (tmp_path / "t.csv").write_text(HEADER + "L1, 16, 16, 3, 3, 8, 16, 2,\n")
    ((_, g, conv),) = read_layers(tmp_path / "t.csv", False)
    assert (conv.p, conv.q, g.m) == (8, 8, 64)            # ⌈(16 − 3 + 2) / 2⌉ = 8, not 7
    last_tap = (2 * 3 + 2) * 8                            # filter row 2, column 2, channel 0
    assert conv.address(63, last_tap) == -1 and conv.address(62, 0) >= 0  # the last window overhangs


def test_a_walk_over_the_budget_is_an_error_naming_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv(mem.BUDGET_ENV, "0.01")
    with pytest.raises(mem.MemoryBudgetError, match=mem.BUDGET_ENV):
        _run(tmp_path, "ws", 8, 2)
    sim = SystolicSimulator()
    wl = get_workload("conv2d:H=16,W=16,C=8,K=16,R=3,S=3,stride=2")
    design = {**sim.space(wl, "scalesim").default(), "ifmap_kb": 1, "filter_kb": 1, "ofmap_kb": 1}
    result = sim.evaluate(design, wl, "scalesim")
    assert not result.valid and result.violations[0].startswith("memory_budget:")
    assert mem.BUDGET_ENV in result.violations[0]
    monkeypatch.setenv(mem.BUDGET_ENV, "lots")
    with pytest.raises(ConfigError, match="allowed: a number of MiB > 0"):
        mem.memory_budget_bytes()


@pytest.mark.parametrize("value", ["64%", "%(x)s", "%"])
def test_a_percent_sign_in_a_config_value_is_read_as_written(tmp_path, value: str) -> None:
    """SCALE-Sim configs are plain ``key: value`` text: a ``%`` is no interpolation syntax (it was a raw
    InterpolationSyntaxError, found by fuzzing); here it makes the value a bad integer, one line naming it."""
    text = (Path(__file__).resolve().parent.parent / "configs/scalesim/scale.cfg").read_text()
    path = tmp_path / "c.cfg"
    path.write_text(text.replace("ArrayHeight:    32", f"ArrayHeight:    {value}"))
    with pytest.raises(ConfigError, match=r"ArrayHeight: expected an integer, got '.*%.*'$"):
        read_config(path)
    path.write_text(text.replace("run_name = scale", f"run_name = scale{value}"))
    with pytest.raises(ConfigError, match=r"run_name: 'scale.*%.*' is not allowed"):
        read_config(path)
