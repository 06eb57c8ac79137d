"""``archgym sweep CONFIG.yaml [--executor local|ray] [--address ray://…] [--workers N]
[--store RUNS.db] [--resume]``: sweep accelerator designs from a YAML config."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from archgym.app.executors import EXECUTORS
from archgym.app.limits import workers_arg
from archgym.errors import ConfigError

DEFAULT_STORE = "runs/sweeps.db"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("config", help="sweep YAML (see configs/sweeps/)")
    p.add_argument("--executor", default="local", choices=EXECUTORS,
                   help="local: a process pool on this machine (default); ray: Ray tasks")
    p.add_argument("--address", default=None,
                   help="Ray cluster to join (auto, ray://host:10001); default: start a local Ray instance")
    p.add_argument("--workers", type=workers_arg, default=None,
                   help="parallel evaluations (default: the number of CPU cores)")
    p.add_argument("--store", default=DEFAULT_STORE, help=f"SQLite run store (default {DEFAULT_STORE})")
    p.add_argument("--resume", action="store_true",
                   help="continue a sweep that stopped (fails when the store has none of its rows); "
                        "rerunning a config without it also skips the rows already there")
    p.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")


def run(args: argparse.Namespace) -> int:
    from archgym.app.sweep import run_sweep
    from archgym.app.sweep_config import load_sweep_config
    from archgym.store import RunStore

    config = load_sweep_config(args.config)
    store_path = Path(args.store)
    if args.resume and not store_path.is_file():   # resuming creates nothing
        raise ConfigError(f"--resume: the store {args.store!r} does not exist (without --resume a new one is created)")
    store_path.parent.mkdir(parents=True, exist_ok=True)
    with RunStore(store_path) as store:
        outcome = run_sweep(config, store, executor=args.executor, workers=args.workers,
                            address=args.address, resume=args.resume,
                            progress=False if args.no_progress else None, where=args.config)
    total = sum(r.total for r in outcome.runs)
    print(f"sweep {config.name}: {outcome.evaluated} evaluated now, {outcome.resumed_from} already in "
          f"{args.store}, {total} planned; {outcome.rate:.1f} eval/s "
          f"({args.executor}, {args.workers or os.cpu_count()} workers)")
    for summary in outcome.summaries:
        print(summary.format())
    return 0
