"""Run the reference SCALE-Sim v3 (PyPI ``scalesim``) in its own Python, through a subprocess.

SCALE-Sim 3.0.0 needs numpy < 2, so it lives in a separate virtual environment inside the project
(git-ignored), built by ``make scalesim-venv``. Its Python is found from ``$ARCHGYM_SCALESIM_PYTHON``
or, by default, ``<project>/.scalesim-venv/bin/python``.
Used by the validation tests and ``benchmarks/systolic_speed.py``; never by the simulators.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import tempfile
from pathlib import Path

DEFAULT_PYTHON = str(Path(__file__).resolve().parents[2] / ".scalesim-venv" / "bin" / "python")

_RUNNER = r"""
import json, sys, time, io, contextlib
from scalesim.scale_sim import scalesim
cfg, topo, out, gemm = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "gemm"
t0 = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    s = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=topo,
                 input_type_gemm=gemm)
    s.run_scale(top_path=out)
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""

CFG_TEMPLATE = """[general]
run_name = {name}

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: {ifmap_kb}
FilterSramSzkB: {filter_kb}
OfmapSramSzkB: {ofmap_kb}
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Bandwidth : {bw}
Dataflow : {dataflow}
MemoryBanks: 1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: {bw}
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: {bw}
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: USER
UseRamulatorTrace: False
"""


def scalesim_python() -> str | None:
    """Path of a Python with SCALE-Sim installed, or None."""
    path = os.environ.get("ARCHGYM_SCALESIM_PYTHON", DEFAULT_PYTHON)
    return path if Path(path).is_file() else None


def write_config(path: Path, name: str, rows: int, cols: int, dataflow: str, ifmap_kb: int,
                 filter_kb: int, ofmap_kb: int, bw: int) -> Path:
    path.write_text(CFG_TEMPLATE.format(name=name, rows=rows, cols=cols, dataflow=dataflow, ifmap_kb=ifmap_kb,
                                        filter_kb=filter_kb, ofmap_kb=ofmap_kb, bw=bw))
    return path


def write_gemm_topology(path: Path, gemms: list[tuple[str, int, int, int]]) -> Path:
    """``gemms``: (name, M, N, K) rows in SCALE-Sim's GEMM format."""
    path.write_text("Layer, M, N, K,\n" + "".join(f"{n}, {m}, {nn}, {k},\n" for n, m, nn, k in gemms))
    return path


def run(config: Path, topology: Path, gemm: bool, python: str | None = None, timeout: float = 600
        ) -> tuple[dict[str, list[dict[str, str]]], float]:
    """Run SCALE-Sim; returns ({report name: rows as dicts}, wall seconds inside SCALE-Sim)."""
    python = python or scalesim_python()
    if python is None:
        raise FileNotFoundError("SCALE-Sim python not found (set ARCHGYM_SCALESIM_PYTHON)")
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([python, "-c", _RUNNER, str(config), str(topology), out, "gemm" if gemm else "conv"],
                              capture_output=True, text=True, timeout=timeout, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"SCALE-Sim failed: {proc.stderr.strip().splitlines()[-1:]}")
        seconds = json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]
        folder = next(p for p in Path(out).iterdir() if p.is_dir())
        reports = {}
        for name in ("COMPUTE_REPORT", "BANDWIDTH_REPORT", "DETAILED_ACCESS_REPORT"):
            with (folder / f"{name}.csv").open() as fh:
                reader = csv.reader(fh)
                header = [h.strip() for h in next(reader)]
                reports[name] = [{h: v.strip() for h, v in zip(header, row) if h} for row in reader if row]
        return reports, seconds
