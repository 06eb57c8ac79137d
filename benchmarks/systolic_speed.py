"""Speed and agreement of the systolic models against SCALE-Sim v3, measured in one run.

    .venv/bin/python benchmarks/systolic_speed.py [--designs 1000000] [--no-scalesim] \\
        [--shapes 32x32,64x16] [--out benchmarks/results/systolic_scalesim.md]

Reports (1) per layer: SCALE-Sim's wall time vs ``archgym scalesim``'s with either memory model
(``fold``: the design-space cycle model; ``scalesim``: SCALE-Sim's own buffers), the speed-up,
and the agreement of compute cycles (exact?) and total cycles (relative error) on a grid of
array shapes × dataflows × SRAM sizes; (2) ``evaluate_batch`` designs/second on single-layer workloads
(numpy; and torch on a GPU when one is present). SCALE-Sim runs through
:mod:`simulators.systolic.reference` (set ARCHGYM_SCALESIM_PYTHON).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archgym.workload import Gemm, get_workload
from benchmarks.provenance import write_results
from simulators.systolic import SystolicSimulator
from simulators.systolic import reference as ref
from simulators.systolic.scalesim_io import ScaleSimConfig, report_rows, simulate

LAYERS = [("conv_a", 841, 16, 27), ("conv_b", 3136, 64, 576), ("fc", 1, 1000, 512),
          ("gemm_a", 256, 256, 256), ("gemm_b", 100, 70, 37)]   # (name, M, N, K)
SHAPES = [(8, 8), (16, 32), (32, 32), (64, 16)]
#: the report's lines, written to ``--out``
LINES: list[str] = []


def bench_scalesim(shapes: list[tuple[int, int]], sram_kb: int, bw: int) -> None:
    """SCALE-Sim against both memory models of ``archgym scalesim``: ``fold`` (the design-space
    cycle model) and ``scalesim`` (SCALE-Sim's own buffers, :mod:`simulators.systolic.scalesim_memory`)."""
    tmp = Path(tempfile.mkdtemp())
    topo = ref.write_gemm_topology(tmp / "t.csv", LAYERS)
    layers = [(n, Gemm(m, k, nn)) for n, m, nn, k in LAYERS]
    models = ("fold", "scalesim")
    n, exact, ss_time = 0, 0, 0.0
    errs = {m: [] for m in models}
    errs_incl = {m: [] for m in models}
    our_time = dict.fromkeys(models, 0.0)
    for (rows, cols), df in itertools.product(shapes, ("os", "ws", "is")):
        cfg_path = ref.write_config(tmp / "c.cfg", "b", rows, cols, df, sram_kb, sram_kb, sram_kb, bw)
        reports, seconds = ref.run(cfg_path, topo, gemm=True)
        cfg = ScaleSimConfig("b", rows, cols, sram_kb, sram_kb, sram_kb, df, bw, bw, bw, True)
        ss_time += seconds
        line = []
        for model in models:
            reps = 5
            t0 = time.perf_counter()
            for _ in range(reps):
                timings = simulate(cfg, layers, model)
            ours = (time.perf_counter() - t0) / reps
            our_time[model] += ours
            mine = report_rows(cfg, layers, timings)["compute"]
            for theirs, row, t in zip(reports["COMPUTE_REPORT"], mine, timings):
                if model == "fold":
                    n += 1
                    exact += t.compute_cycles - 1 == int(theirs["Total Cycles"]) - int(theirs["Stall Cycles"])
                errs[model].append(abs(row[2] - int(theirs["Total Cycles"])) / int(theirs["Total Cycles"]))
                incl = float(theirs["Total Cycles (incl. prefetch)"])
                errs_incl[model].append(abs(row[1] - incl) / incl)
            line.append(f"{model} {ours * 1e3:.2f} ms ({seconds / ours:.0f}×)")
        emit(f"  {rows}×{cols} {df}: SCALE-Sim {seconds:.2f} s; " + ", ".join(line) + f" for {len(layers)} layers",
              flush=True)
    emit(f"SRAM {sram_kb} KB, {bw} words/cycle: compute cycles exact on {exact}/{n} layer runs; "
          f"per layer SCALE-Sim {ss_time / n * 1e3:.0f} ms")
    for model in models:
        e, ei = np.array(errs[model]), np.array(errs_incl[model])
        emit(f"  memory={model}: Total Cycles exact on {int((e == 0).sum())}/{n}, error max {e.max():.2%} "
              f"mean {e.mean():.2%}; incl. prefetch max {ei.max():.2%} mean {ei.mean():.2%}; "
              f"{our_time[model] / n * 1e6:.0f} µs per layer → {ss_time / our_time[model]:.0f}× faster than SCALE-Sim")


def bench_batch(n: int) -> None:
    sim = SystolicSimulator()
    for spec in ("gemm:M=512,N=512,K=512", "conv2d:C=64,K=64,H=56,W=56,R=3,S=3,pad=1"):
        wl = get_workload(spec)
        space = sim.space(wl, "scalesim")
        cols = space.indices_to_columns(space.sample_indices(n, np.random.default_rng(0)))
        sim.evaluate_batch({k: v[:1000] for k, v in cols.items()}, wl)   # warm-up
        best = min(_timed(lambda c=cols, w=wl: sim.evaluate_batch(c, w)) for _ in range(3))
        emit(f"evaluate_batch numpy, {spec}: {n / best:.3g} designs/s ({n} designs in {best:.3f} s)")
        try:
            import torch
        except ImportError:
            continue
        if torch.cuda.is_available():
            tcols = {k: torch.as_tensor(np.asarray(v, dtype=np.int64), device="cuda") for k, v in cols.items()
                     if k not in ("dataflow", "tech")}
            codes = np.select([cols["dataflow"] == "ws", cols["dataflow"] == "is"], [1, 2], 0)
            tcols["dataflow"] = torch.as_tensor(codes, device="cuda")
            tcols["tech"] = cols["tech"]
            best = min(_timed(lambda c=tcols, w=wl: sim.evaluate_batch(c, w)) for _ in range(3))
            emit(f"evaluate_batch torch/cuda, {spec}: {n / best:.3g} designs/s")


def emit(*parts: object, flush: bool = False) -> None:
    """Print a report line and keep it for ``--out``."""
    line = " ".join(str(x) for x in parts)
    LINES.append(line)
    print(line, flush=flush)


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=1_000_000)
    ap.add_argument("--no-scalesim", action="store_true")
    ap.add_argument("--shapes", default=",".join(f"{r}x{c}" for r, c in SHAPES))
    ap.add_argument("--sram-kb", default="64", help="comma-separated SRAM sizes (KB) for the SCALE-Sim grid")
    ap.add_argument("--out", default=None, help="also write the report, with its provenance, to this Markdown file")
    args = ap.parse_args()
    run(args)
    if args.out:
        write_results(args.out, "Systolic models against SCALE-Sim 3.0.0", "```\n" + "\n".join(LINES) + "\n```")


def run(args: argparse.Namespace) -> None:
    bench_batch(args.designs)
    if args.no_scalesim or ref.scalesim_python() is None:
        emit("SCALE-Sim comparison skipped (set ARCHGYM_SCALESIM_PYTHON)")
        return
    shapes = [tuple(int(x) for x in s.split("x")) for s in args.shapes.split(",")]
    for kb in (int(x) for x in args.sram_kb.split(",")):
        bench_scalesim(shapes, kb, 10)


if __name__ == "__main__":
    main()
