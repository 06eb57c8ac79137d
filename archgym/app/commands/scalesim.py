"""``archgym scalesim -c CONFIG.cfg -t TOPOLOGY.csv -o OUTDIR [-i gemm|conv]``: run SCALE-Sim's own
config and topology files through the fold-level cycle model and write SCALE-Sim's reports
(COMPUTE_REPORT.csv, BANDWIDTH_REPORT.csv, DETAILED_ACCESS_REPORT.csv) under OUTDIR/run_name/.
``--memory scalesim`` (default) reproduces SCALE-Sim's buffer behaviour exactly (DRAM reads, stall
and total cycles at any SRAM size); ``--memory fold`` uses the design-space simulator's model.

It prints two totals: SCALE-Sim's *Total Cycles* (compute + stall, what SCALE-Sim's COMPUTE_REPORT
sums) and the end-to-end count that ``archgym simulate --fidelity scalesim`` reports for the same
array, buffers and layers (each layer's prefetch before its first fold and final ofmap drain added);
docs/validation.md, "The two SCALE-Sim totals", breaks the difference down."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", dest="config", required=True, metavar="CONFIG.cfg", help="SCALE-Sim config file")
    p.add_argument("-t", dest="topology", required=True, metavar="TOPOLOGY.csv", help="SCALE-Sim topology file")
    p.add_argument("-o", "-p", dest="outdir", default="./results", metavar="OUTDIR",
                   help="log directory (SCALE-Sim's -p); reports go to OUTDIR/run_name/")
    p.add_argument("-i", dest="input_type", choices=("conv", "gemm", "auto"), default="auto",
                   help="topology format (default: detect from the header)")
    p.add_argument("--memory", choices=("scalesim", "fold"), default="scalesim",
                   help="SRAM/DRAM model: SCALE-Sim's own buffers (exact) or the fold-level model")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.epilog = ("Totals: SCALE-Sim's Total Cycles (compute + stall) and the end-to-end cycles that "
                "`archgym simulate --fidelity scalesim` reports (+ prefetch and final drain per layer); "
                "see docs/validation.md, 'The two SCALE-Sim totals'.")


def run(args: argparse.Namespace) -> int:
    from simulators.systolic import scalesim_io as io

    cfg = io.read_config(args.config)
    gemm = None if args.input_type == "auto" else args.input_type == "gemm"
    read = io.read_layers(args.topology, gemm)
    layers = [(name, g) for name, g, _ in read]
    timings = io.simulate(cfg, layers, args.memory, [conv for *_, conv in read])
    folder = io.write_reports(args.outdir, cfg, layers, timings)
    if not args.quiet:
        total = sum(t.cycles - 1 for t in timings)
        end_to_end = sum(t.total_cycles for t in timings)
        print(f"{cfg.run_name}: {len(layers)} layers on {cfg.rows}×{cfg.cols} {cfg.dataflow}, "
              f"{total} cycles (SCALE-Sim's Total Cycles: compute + stall), {end_to_end} end to end "
              f"(+ prefetch before each layer and final drain, as simulate --fidelity scalesim reports); "
              f"reports in {folder}")
    return 0
