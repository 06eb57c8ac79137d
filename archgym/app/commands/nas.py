"""``archgym nas SPACE [--arch KEY … | --sample N] [--task T] [--source S | --train] [--simulate FAMILY]``:
a neural-architecture space (``nas/``) as a user meets it — its choices and tables, or the given
architectures with their accuracy (measured table by default, the predictor, or ``--train``: trained
now with the tables' recipe when the table lacks them), MACs, parameters and, with ``--simulate``,
the cost of running them on a family's default design."""

from __future__ import annotations

import argparse
import json
from typing import Any

from archgym.app.limits import int_in, seed_arg
from archgym.app.progress import Progress
from archgym.errors import ConfigError
from archgym.simulator import get_simulator

#: at most this many architectures per call (each may be trained or simulated)
MAX_ARCHS = 1000


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("space", help="architecture space (cell, mbv2; `archgym nas cell` lists its choices)")
    p.add_argument("--arch", nargs="*", default=[], metavar="KEY",
                   help="architecture keys, e.g. 'cell:conv3x3|skip|none' (see the space's choices)")
    p.add_argument("--sample", type=int_in(1, MAX_ARCHS), default=None, help="N architectures drawn uniformly")
    p.add_argument("--seed", type=seed_arg, default=0, help="seed of --sample")
    p.add_argument("--task", default="digits", help="the task whose accuracy is reported (digits, digits-rot)")
    p.add_argument("--source", default="table", choices=("table", "predictor", "train"),
                   help="accuracy from the measured table, the predictor fitted on it, or trained live")
    p.add_argument("--train", action="store_true", help="same as --source train (table value when it has one)")
    p.add_argument("--split", default="test", help="train, valid or test accuracy")
    p.add_argument("--simulate", default=None, metavar="FAMILY",
                   help="also evaluate each network on this family's default design (e.g. systolic, loopnest)")
    p.add_argument("--preset", default=None, help="preset of --simulate's family")
    p.add_argument("--resolution", type=int_in(1, 4096), default=None,
                   help="input height/width of the costed network (default: the trained one)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from nas.accuracy import accuracy
    from nas.space import get_space
    from nas.tasks import get_task

    space = get_space(args.space)
    get_task(args.task)
    if args.arch and args.sample:
        raise ConfigError("--arch and --sample: give one of them")
    archs = ([space.parse(k) for k in args.arch] if args.arch else
             space.sample(np.random.default_rng(args.seed), args.sample) if args.sample else [])
    if len(archs) > MAX_ARCHS:
        raise ConfigError.bad_value("--arch count", len(archs), f"at most {MAX_ARCHS}")
    if not archs:
        return _describe(space, args)
    source = "train" if args.train else args.source
    sim = get_simulator(args.simulate) if args.simulate else None
    rows = []
    with Progress(len(archs), f"nas {space.name}") as bar:
        for arch in archs:
            workload = space.workload(arch, resolution=args.resolution)
            row: dict[str, Any] = {"arch": arch.key, "accuracy": accuracy(space, arch, task=args.task, source=source,
                                                                           split=args.split),
                                   "macs": workload.total_macs, "params": space.net(arch).params()}
            if sim is not None:
                result = sim.evaluate(sim.design_for(workload, args.preset, {}, "auto"), workload)
                row.update(valid=result.valid, **{k: result.metrics[k] for k in ("latency_s", "energy_j")
                                                  if k in result.metrics})
            rows.append(row)
            bar.update(1)
    out = {"space": space.name, "task": args.task, "source": source, "split": args.split,
           "simulate": args.simulate, "preset": args.preset, "archs": rows}
    if args.json:
        print(json.dumps(out, default=str))
    else:
        origin = {"table": "the measured table", "predictor": "the predictor",
                  "train": "the measured table, or trained now where it has none"}[source]
        print(f"{space.name} · task {args.task} · {args.split} accuracy from {origin}"
              + (f" · {args.simulate} default design" if args.simulate else ""))
        for row in rows:
            cost = "".join(f"  {k} {row[k]:.4g}" for k in ("latency_s", "energy_j") if k in row)
            print(f"  {row['arch']:<40} acc {row['accuracy']:.4f}  MACs {row['macs']:,}  params {row['params']:,}{cost}")
    return 0


def _describe(space: Any, args: argparse.Namespace) -> int:
    """The space's choices, its size and which tasks have a measured table."""
    from nas.table import table_path
    from nas.tasks import TASKS

    tables = [t for t in TASKS if table_path(space.name, t).exists()]
    info = {"space": space.name, "size": space.size, "resolution": space.resolution,
            "choices": {k: [str(v) for v in vs] for k, vs in space.choices.items()}, "tables": tables}
    if args.json:
        print(json.dumps(info))
    else:
        print(f"{space.name}: {space.size:,} architectures, trained at {space.resolution}×{space.resolution}; "
              f"measured tables: {', '.join(tables) or 'none'}")
        for name, values in info["choices"].items():
            print(f"  {name:<14} {', '.join(values)}")
        example = next(space.enumerate())
        print(f"  key example   {example.key}")
    return 0
