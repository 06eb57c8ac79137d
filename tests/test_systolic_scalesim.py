"""Validation against the reference SCALE-Sim v3 (PyPI ``scalesim``), run in its own Python.

Skipped unless SCALE-Sim's Python is found: ``make scalesim-venv`` builds it in the project's
git-ignored ``.scalesim-venv`` (or point ``ARCHGYM_SCALESIM_PYTHON`` at one); ``make
validate-scalesim`` runs this file and the SCALE-Sim rows of ``docs/validation.md``. A modest grid (≈ 30 s); the larger
one is in ``benchmarks/systolic_speed.py``; 120 recorded small-buffer runs are checked without
SCALE-Sim in ``tests/test_systolic.py``.
"""

from __future__ import annotations

import itertools

import pytest

from archgym.workload import Gemm
from simulators.systolic import reference as ref
from simulators.systolic.scalesim_io import ScaleSimConfig, read_config, read_layers, report_rows, simulate

pytestmark = pytest.mark.skipif(ref.scalesim_python() is None,
                                reason="SCALE-Sim not installed: `make scalesim-venv` (or set "
                                       "ARCHGYM_SCALESIM_PYTHON)")

GEMMS = [("g1", 64, 48, 40), ("g2", 100, 70, 37), ("g3", 17, 130, 200), ("g4", 1, 64, 300)]


CONFIGS = [(shape, 64) for shape in [(8, 8), (16, 32)]] + [((8, 8), 4)]


@pytest.mark.parametrize("shape,kb,dataflow", [(s, kb, df) for (s, kb), df in itertools.product(CONFIGS, ["os", "ws", "is"])])
def test_matches_scalesim(tmp_path, shape: tuple[int, int], kb: int, dataflow: str) -> None:
    rows, cols = shape
    cfg_path = ref.write_config(tmp_path / "c.cfg", "v", rows, cols, dataflow, kb, kb, kb, 10)
    topo = ref.write_gemm_topology(tmp_path / "t.csv", GEMMS)
    reports, _ = ref.run(cfg_path, topo, gemm=True)
    cfg = ScaleSimConfig("v", rows, cols, kb, kb, kb, dataflow, 10, 10, 10, True)
    layers = [(n, Gemm(m, k, nn)) for n, m, nn, k in GEMMS]
    timings = simulate(cfg, layers)
    mine = report_rows(cfg, layers, timings)
    for theirs, ours, t in zip(reports["COMPUTE_REPORT"], mine["compute"], timings):
        compute = int(theirs["Total Cycles"]) - int(theirs["Stall Cycles"])
        assert t.compute_cycles - 1 == compute                      # compute cycles: exact
        assert ours[2] == int(theirs["Total Cycles"]) and ours[3] == int(theirs["Stall Cycles"])  # exact
        assert ours[1] == int(theirs["Total Cycles (incl. prefetch)"])
        assert ours[5] == pytest.approx(float(theirs["Mapping Efficiency %"]), rel=1e-9)
        assert ours[6] == pytest.approx(float(theirs["Compute Util %"]), rel=1e-9)
    for theirs, ours in zip(reports["DETAILED_ACCESS_REPORT"], mine["detail"]):
        assert (int(theirs["DRAM IFMAP Reads"]), int(theirs["DRAM Filter Reads"])) == (ours[12], ours[15])
        assert int(theirs["SRAM IFMAP Reads"]) == ours[3]
        assert int(theirs["SRAM Filter Reads"]) == ours[6]
        assert int(theirs["SRAM OFMAP Writes"]) == ours[9]
        assert int(theirs["DRAM OFMAP Writes"]) == ours[18]


# conv layers whose (H − R) is not a multiple of the stride (SCALE-Sim rounds the ofmap up and
# its overhanging windows read nothing), a 5×5 stride-3 with unequal sides, and a strided 1×1
CONV_TOPOLOGY = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
                 "s2, 14, 14, 3, 3, 6, 20, 2,\ns3, 11, 9, 5, 5, 3, 9, 3,\npw_s2, 10, 10, 1, 1, 16, 12, 2,\n"
                 "c1, 9, 9, 3, 3, 4, 10, 1,\n")


@pytest.mark.parametrize("dataflow,array,kb", [("os", 8, 1), ("ws", 8, 1), ("is", 4, 1), ("ws", 16, 2)])
def test_conv_layers_match_scalesim(tmp_path, dataflow: str, array: int, kb: int) -> None:
    """Conv mode, live: compute cycles (with SCALE-Sim's rounded-up ofmap), total and stall
    cycles and DRAM reads exact per layer, through the compiled ifmap walk."""
    cfg_path = ref.write_config(tmp_path / "c.cfg", "v", array, array, dataflow, kb, kb, kb, 10)
    topo = tmp_path / "t.csv"
    topo.write_text(CONV_TOPOLOGY)
    reports, _ = ref.run(cfg_path, topo, gemm=False)
    cfg = read_config(cfg_path)
    read = read_layers(topo, False)
    layers = [(name, g) for name, g, _ in read]
    timings = simulate(cfg, layers, "scalesim", [conv for *_, conv in read])
    mine = report_rows(cfg, layers, timings)
    assert len(reports["COMPUTE_REPORT"]) == len(read) == 4
    for theirs, detail, ours, ours_detail, t in zip(reports["COMPUTE_REPORT"], reports["DETAILED_ACCESS_REPORT"],
                                                    mine["compute"], mine["detail"], timings):
        assert t.compute_cycles - 1 == int(theirs["Total Cycles"]) - int(theirs["Stall Cycles"])
        assert (ours[2], ours[3]) == (int(theirs["Total Cycles"]), int(theirs["Stall Cycles"]))
        assert (ours_detail[12], ours_detail[15]) == (int(detail["DRAM IFMAP Reads"]), int(detail["DRAM Filter Reads"]))

