"""The ``archgym`` command line. Each subcommand lives in ``archgym/app/commands/NAME.py`` with
``add_arguments(parser)`` and ``run(args) -> int``; errors print as one line, no traceback."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from archgym.errors import ArchGymError

#: subcommand → (module under archgym.app.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("list_cmd", "list simulators, presets, workloads, envs and agents"),
    "simulate": ("simulate", "evaluate one design of a simulator on a workload"),
    "demo": ("demo", "a small end-to-end exploration on the embedded defaults"),
    "sweep": ("sweep", "sweep accelerator designs from a YAML config"),
    "search": ("search", "search an environment with an agent"),
    "bench": ("bench", "compare agents on the benchmark tasks (regret against exact optima)"),
    "train": ("train", "train a stable-baselines3 agent on an environment"),
    "fit-proxy": ("fit_proxy", "fit a proxy cost model from a run store"),
    "report": ("report", "plots and tables from a run store or a benchmark JSON"),
    "scalesim": ("scalesim", "run SCALE-Sim config and topology files (SCALE-Sim compatible reports)"),
    "dramsim3": ("dramsim3", "run DRAMsim3 config and trace files (DRAMsim3 stats-JSON keys)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="archgym", description="Design-space exploration gym for hardware accelerators.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(f"archgym.app.commands.{module_name}")
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 0
    try:
        return int(args._run(args) or 0)
    except ArchGymError as exc:
        print(f"archgym {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"archgym {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
