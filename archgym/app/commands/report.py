"""``archgym report --store RUNS.db --out DIR [--run RUN_ID]`` (Pareto, sensitivity and
convergence plots, summary.md / summary.html) or ``archgym report --bench BENCH.json --out DIR``."""

from __future__ import annotations

import argparse

from archgym.errors import ConfigError


def add_arguments(p: argparse.ArgumentParser) -> None:
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--store", help="SQLite run store written by sweep / search / train")
    src.add_argument("--bench", help="benchmark JSON written by `archgym bench`")
    p.add_argument("--out", required=True, help="output directory (created when missing)")
    p.add_argument("--run", dest="runs", action="append", default=None, metavar="RUN_ID",
                   help="only this run (repeatable; default: every run in the store)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    if args.bench:
        if args.runs:
            raise ConfigError("--run: only with --store")
        from agents.plots import plot_bench

        written = plot_bench(args.bench, args.out)
        print(f"report: benchmark plots in {args.out}" + (f" ({len(written)} files)" if written else ""))
        return 0
    from archgym.app.report import build_report
    from archgym.store import RunStore

    if not Path(args.store).is_file():
        raise ConfigError(f"--store: {args.store!r} does not exist")
    with RunStore(args.store) as store:
        reports = build_report(store, args.out, args.runs)
    for rep in reports:
        print(rep.summary.format())
        print(f"  figures: {', '.join(str(f) for f in rep.figures) or '(none: no feasible design)'}")
    print(f"report: {args.out}/summary.md, {args.out}/summary.html")
    return 0
