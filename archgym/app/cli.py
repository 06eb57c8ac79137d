"""The ``archgym`` command line. Each subcommand lives in ``archgym/app/commands/NAME.py`` with
``add_arguments(parser)`` and ``run(args) -> int``; errors print as one line, no traceback.

Exit codes: 0 success, 1 an invalid design or a failed check, 2 a user error (one line naming the
file or field, the value and what is allowed: bad flags, configs, files), 3 an internal error
(a bug: one line; ``ARCHGYM_DEBUG=1`` re-raises it with its traceback), 130 interrupted."""

from __future__ import annotations

import argparse
import importlib
import os
import select
import sys
from collections.abc import Sequence
from typing import NoReturn

from archgym.errors import ArchGymError

#: subcommand → (module under archgym.app.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "list": ("list_cmd", "list simulators, presets, workloads, envs and agents, or a family's parameters"),
    "describe": ("describe", "a family's parameters (values, units, defaults), constraints and presets"),
    "schema": ("schema", "JSON Schema of the sweep YAML or an agent's YAML"),
    "simulate": ("simulate", "evaluate one design of a simulator on a workload"),
    "demo": ("demo", "a small end-to-end exploration on the embedded defaults"),
    "sweep": ("sweep", "sweep accelerator designs from a YAML config"),
    "search": ("search", "search an environment with an agent"),
    "bench": ("bench", "compare agents on the benchmark tasks (regret against exact optima)"),
    "train": ("train", "train a stable-baselines3 agent on an environment"),
    "propose": ("propose", "propose designs with a policy saved by `archgym train --out DIR`"),
    "nas": ("nas", "an architecture space's choices, or architectures' measured accuracy, size and cost"),
    "fit-proxy": ("fit_proxy", "fit a proxy cost model from a run store"),
    "report": ("report", "plots and tables from a run store or a benchmark JSON"),
    "scalesim": ("scalesim", "run SCALE-Sim config and topology files (SCALE-Sim compatible reports)"),
    "dramsim3": ("dramsim3", "run DRAMsim3 config and trace files (DRAMsim3 stats-JSON keys)"),
}


class OneLineParser(argparse.ArgumentParser):
    """argparse with its usage errors as one line (``archgym CMD: error: …``), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="archgym", description="Design-space exploration gym for hardware accelerators.")
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
        return _fail(args.command, str(exc), 2)
    except UnicodeDecodeError as exc:
        return _fail(args.command, f"a file is not UTF-8 text (byte {exc.start}: {exc.reason})", 2)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError) and _stdout_closed():   # `archgym … | head`: not an error
            return 0
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(args.command, f"{where}{exc.strerror or exc}", 2)
    except KeyboardInterrupt:
        return _fail(args.command, "interrupted", 130, "")
    except Exception as exc:  # noqa: BLE001 - a bug: one line, the traceback on request
        if os.environ.get("ARCHGYM_DEBUG"):
            raise
        text = str(exc).strip().splitlines()
        return _fail(args.command, f"internal error: {type(exc).__name__}: {text[0][:200] if text else ''} "
                     "(a bug; ARCHGYM_DEBUG=1 shows the traceback)", 3)


def _stdout_closed() -> bool:
    """Whether stdout's reader has gone (its pipe polls as an error); if so, point stdout at
    /dev/null so that the interpreter's final flush stays quiet. A broken pipe elsewhere is an
    ordinary error."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError):
        return False
    poll = select.poll()
    poll.register(fd, select.POLLOUT)
    if not any(events & select.POLLERR for _, events in poll.poll(0)):
        return False
    os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
    return True


def _fail(command: str, message: str, code: int, label: str = "error: ") -> int:
    print(f"archgym {command}: {label}{one_line(message)}", file=sys.stderr)
    return code


def one_line(text: str) -> str:
    """``text`` with control characters (from user input) escaped, so that it stays one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
