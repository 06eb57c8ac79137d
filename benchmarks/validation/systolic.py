"""Systolic family: Eyeriss silicon (measured) and SCALE-Sim v3 run live (an independent simulator).

The SCALE-Sim rows run the reference SCALE-Sim 3.0.0 in its own Python (``make scalesim-venv``;
found through ``ARCHGYM_SCALESIM_PYTHON``) on configurations that are not among the recorded runs
the ``scalesim`` memory rules were developed on. Without it they are reported as "not run".
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

from archgym.simulator import get_simulator
from archgym.workload import Gemm, Workload, load_scalesim_topology
from benchmarks.validation import Check, Family
from simulators.common.technology import get_tech
from simulators.fpga.reference_nets import alexnet_conv, vgg16_svd
from simulators.systolic import reference as ref
from simulators.systolic.scalesim_io import ScaleSimConfig, simulate

EYERISS_SRC = ("Chen et al., Eyeriss, ISSCC'16 / JSSC'17 abstracts: AlexNet conv layers at 34.7 frames/s and "
               "278 mW; VGG-16 conv layers at 0.7 frames/s and 236 mW (65 nm, 200 MHz, 12×14 PEs, 16-bit)")
#: fresh SCALE-Sim GEMMs (name, M, N, K), small enough for SCALE-Sim to run in seconds; at 4 KB
#: per buffer the larger operands (up to 3,200 words) stream, where the memory models differ
SCALESIM_GEMMS = [("a", 48, 40, 72), ("b", 90, 30, 50), ("c", 20, 100, 160)]
#: (rows, cols, dataflow, KB per SRAM, words/cycle)
SCALESIM_CONFIGS = {"os-8x8-4k": (8, 8, "os", 4, 10), "ws-16x8-4k": (16, 8, "ws", 4, 8)}


RECORDED = Path(__file__).resolve().parents[2] / "tests" / "data" / "scalesim_small_sram.json"


def _sim():
    return get_simulator("systolic")


@cache
def recorded_totals(memory: str) -> tuple[float, float]:
    """(SCALE-Sim's, the model's) Σ 'Total Cycles (incl. prefetch)' over the 144 recorded SCALE-Sim
    runs of ``tests/data/scalesim_small_sram.json`` (1–64 KB buffers), with the ``memory`` model."""
    theirs = ours = 0.0
    for rows, cols, i_kb, f_kb, o_kb, bw, df, m, n, k, *_, incl in json.loads(RECORDED.read_text())["rows"]:
        cfg = ScaleSimConfig("t", rows, cols, i_kb, f_kb, o_kb, df, bw, bw, bw, True)
        t = simulate(cfg, [("g", Gemm(m, k, n))], memory)[0]
        theirs += incl
        ours += t.total_cycles - 2          # 'incl. prefetch' counts 2 fewer (see prefetch_split)
    return theirs, ours


def eyeriss(net: str, metric: str) -> float:
    """Frames/s (``fps``) or on-chip energy per frame in mJ (``mJ``: the model's energy less its DRAM
    term, since the published power is the chip's, without DRAM) on the eyeriss preset."""
    wl = alexnet_conv() if net == "alexnet" else vgg16_svd(conv_only=True)
    sim = _sim()
    design = sim.design_for(wl, "eyeriss", {})
    m = sim.evaluate(design, wl, fidelity="cycle").metrics
    if metric == "fps":
        return float(m["throughput_inf_per_s"])
    dram_j = m["dram_bytes"] * get_tech(str(design["tech"])).dram_pj_per_byte * 1e-12
    return float(m["energy_j"] - dram_j) * 1e3


def scalesim_available(_: str = "scalesim") -> bool:
    return ref.scalesim_python() is not None


def _files(folder: Path, config: str) -> tuple[Path, Path]:
    rows, cols, df, kb, bw = SCALESIM_CONFIGS[config]
    cfg = ref.write_config(folder / "c.cfg", config, rows, cols, df, kb, kb, kb, bw)
    return cfg, ref.write_gemm_topology(folder / "t.csv", SCALESIM_GEMMS)


@cache
def scalesim_totals(config: str) -> dict[str, float]:
    """SCALE-Sim's own totals over the topology: 'Total Cycles' and 'Total Cycles (incl. prefetch)'."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg, topo = _files(Path(tmp), config)
        reports, _ = ref.run(cfg, topo, gemm=True)
    rows = reports["COMPUTE_REPORT"]
    return {"total": float(sum(int(r["Total Cycles"]) for r in rows)),
            "incl_prefetch": float(sum(int(r["Total Cycles (incl. prefetch)"]) for r in rows)),
            "layers": float(len(rows))}


@cache
def model_cycles(config: str, fidelity: str) -> float:
    """The simulator's ``cycles`` on the same files (``simulate --fidelity …``), made comparable to
    'Total Cycles (incl. prefetch)', which counts 2 fewer per layer (:func:`prefetch_split`)."""
    rows, cols, df, kb, bw = SCALESIM_CONFIGS[config]
    with tempfile.TemporaryDirectory() as tmp:
        wl: Workload = load_scalesim_topology(_files(Path(tmp), config)[1])
    sim = _sim()
    design = sim.design_for(wl, "scalesim", {"rows": rows, "cols": cols, "dataflow": df, "ifmap_kb": kb,
                                              "filter_kb": kb, "ofmap_kb": kb, "dram_bw": bw})
    return float(sim.evaluate(design, wl, fidelity=fidelity).metrics["cycles"]) - 2 * len(SCALESIM_GEMMS)


def _scalesim_rows() -> list[Check]:
    checks = []
    for config in SCALESIM_CONFIGS:
        src = f"SCALE-Sim 3.0.0 run live: 'Total Cycles (incl. prefetch)' summed over {len(SCALESIM_GEMMS)} GEMMs"
        published = (lambda c=config: scalesim_totals(c)["incl_prefetch"])
        checks.append(Check(
            f"scalesim-{config}-scalesim", "cycles incl. prefetch, scalesim fidelity", src,
            f"{config}: the same cfg and topology files", published,
            (lambda c=config: model_cycles(c, "scalesim")), 0.0, True,
            "exact: SCALE-Sim's buffers reproduced (fresh configurations, not among the recorded runs)",
            requires="scalesim"))
        for fidelity, tol in (("cycle", 0.10), ("analytical", 0.25)):
            checks.append(Check(
                f"scalesim-{config}-{fidelity}", f"cycles incl. prefetch, {fidelity} fidelity", src,
                f"{config}: the same files, the design-space model", published,
                (lambda c=config, f=fidelity: model_cycles(c, f)), tol, True,
                f"±{tol:.0%}: the design-space fidelities use an idealised double-buffer controller that "
                "fetches a streamed operand once per pass; SCALE-Sim's forward-only window refetches "
                "more and stalls on it (2.7–7× more cycles on these streamed layers); reported, not tuned",
                known_miss=True, requires="scalesim"))
    return checks


FAMILY = Family("systolic", "Systolic arrays. Eyeriss rows compare the model (cycle fidelity, eyeriss "
                "preset: 12×14 PEs, 16-bit, 200 MHz, 108 KB per operand) with measured silicon; the "
                "model's dataflows are SCALE-Sim's (os/ws/is), not Eyeriss's row-stationary one, and its "
                "energy table is 45 nm. SCALE-Sim rows run the reference simulator live.")
FAMILY.checks = [
    Check("eyeriss-alexnet-fps", "AlexNet conv layers, frames/s", EYERISS_SRC, "preset eyeriss, AlexNet conv1–5",
          34.7, lambda: eyeriss("alexnet", "fps"), 0.25, True,
          "±25 %: a different dataflow (output-stationary here, row-stationary on the chip)"),
    Check("eyeriss-vgg16-fps", "VGG-16 conv layers, frames/s", EYERISS_SRC, "preset eyeriss, VGG-16 conv1_1–5_3",
          0.7, lambda: eyeriss("vgg16", "fps"), 0.25, True,
          "the chip reaches 32 % of its 168 PEs' peak on VGG-16 (69 % on AlexNet); the model keeps ~72 % "
          "on both: it does not capture what limits Eyeriss on VGG's large layers; reported, not tuned",
          known_miss=True),
    Check("eyeriss-alexnet-energy", "AlexNet conv on-chip energy per frame, mJ",
          EYERISS_SRC + " (278 mW ÷ 34.7 fps)", "preset eyeriss, AlexNet conv1–5; model energy less its DRAM term",
          278.0 / 34.7, lambda: eyeriss("alexnet", "mJ"), 0.5, True,
          "±50 %: a 45 nm energy table for a 65 nm chip, and none of Eyeriss's zero-gating or compression"),
    Check("eyeriss-vgg16-energy", "VGG-16 conv on-chip energy per frame, mJ", EYERISS_SRC + " (236 mW ÷ 0.7 fps)",
          "preset eyeriss, VGG-16 conv layers; model energy less its DRAM term", 236.0 / 0.7,
          lambda: eyeriss("vgg16", "mJ"), 0.5, True,
          "±50 % as above; the chip's energy per frame follows its 2.2× longer run time (static and "
          "clock power), which the model's per-access energies do not have", known_miss=True),
    Check("recorded-scalesim", "Σ cycles incl. prefetch, 144 recorded SCALE-Sim runs, scalesim memory",
          "SCALE-Sim 3.0.0 outputs recorded in tests/data/scalesim_small_sram.json (1–64 KB, 4×4–32×32)",
          "each run's cfg and GEMM", lambda: recorded_totals("scalesim")[0], lambda: recorded_totals("scalesim")[1],
          0.0, False, "consistency: the scalesim memory rules were developed against these runs"),
    Check("recorded-fold", "Σ cycles incl. prefetch, 144 recorded SCALE-Sim runs, fold model (cycle fidelity)",
          "SCALE-Sim 3.0.0 outputs recorded in tests/data/scalesim_small_sram.json", "each run's cfg and GEMM",
          lambda: recorded_totals("fold")[0], lambda: recorded_totals("fold")[1], 0.10, True,
          "±10 %: the fold model was not fitted to these runs; at 1–16 KB it under-counts SCALE-Sim's "
          "refetch stalls", known_miss=True),
    *_scalesim_rows(),
]


def prefetch_split(config: str) -> dict[str, int]:
    """Why ``archgym scalesim`` and ``simulate --fidelity scalesim`` print different totals for the same
    files: the first sums SCALE-Sim's 'Total Cycles' (compute + stall, as the index of each layer's
    last cycle); the second sums end-to-end cycles, which add each layer's prologue (the active
    buffer halves prefetched before the first fold) and epilogue (the final ofmap drain) and count
    cycles rather than indices. SCALE-Sim's 'Total Cycles (incl. prefetch)' lies in between."""
    rows, cols, df, kb, bw = SCALESIM_CONFIGS[config]
    cfg = ScaleSimConfig(config, rows, cols, kb, kb, kb, df, bw, bw, bw, True)
    timings = simulate(cfg, [(n, Gemm(m, k, nn)) for n, m, nn, k in SCALESIM_GEMMS], "scalesim")
    return {"archgym scalesim: Σ Total Cycles (compute + stall − 1)": sum(t.cycles - 1 for t in timings),
            "+ Σ prologue (prefetch before the first fold)": sum(t.prologue_cycles for t in timings),
            "+ Σ epilogue (final ofmap drain)": sum(t.epilogue_cycles for t in timings),
            "SCALE-Sim's Σ Total Cycles (incl. prefetch) = the three above − 1 per layer":
                sum(t.total_cycles - 2 for t in timings),
            "simulate --fidelity scalesim: cycles = the first three + 1 per layer":
                sum(t.total_cycles for t in timings)}
