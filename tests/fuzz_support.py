"""Classifying what a fuzzed input did: a clean one-line error, a sane result, a traceback, a hang
or silent nonsense; shared by tests/test_fuzz.py and benchmarks/fuzz.py (which tallies the log).

Set ``ARCHGYM_FUZZ_LOG=FILE`` to append one JSON line per tried input (area, outcome, input), and
``ARCHGYM_FUZZ_RECORD_ONLY=1`` to record every outcome without failing (the benchmark's tally).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

from archgym.errors import ArchGymError

OUTCOMES = ("clean error", "sane result", "traceback", "hang", "nonsense")
#: CPU seconds one input may use before it counts as a hang (the issue's bar is 60 s; inputs here are
#: small, so anything past this is a loop or an unbounded allocation). CPU time, not wall time: the
#: verdict must not depend on how loaded the machine is (issue 21); a blocked wait is pytest-timeout's
HANG_S = int(os.environ.get("ARCHGYM_FUZZ_HANG_S", "20"))


class Hang(BaseException):
    """Raised by the alarm when one input uses more than :data:`HANG_S` CPU seconds (not an
    Exception: nothing under test can catch it)."""


@contextlib.contextmanager
def alarm(seconds: int = HANG_S) -> Iterator[None]:
    def ring(*_: Any) -> None:
        raise Hang()

    old = signal.signal(signal.SIGPROF, ring)
    signal.setitimer(signal.ITIMER_PROF, seconds)     # this process's CPU time, all threads
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def record(area: str, outcome: str, case: Any, detail: str = "") -> str:
    """Append the outcome to the fuzz log (when one is set) and return it."""
    path = os.environ.get("ARCHGYM_FUZZ_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"area": area, "outcome": outcome, "case": repr(case)[:300],
                                 "detail": detail[:300]}) + "\n")
    return outcome


def expect(outcome: str, allowed: tuple[str, ...], *context: Any) -> None:
    """Assert ``outcome`` is allowed (unless only recording)."""
    if not os.environ.get("ARCHGYM_FUZZ_RECORD_ONLY"):
        assert outcome in allowed, (outcome, *context)


def run_cli(area: str, argv: list[str], sane: Callable[[int, str], bool] = lambda rc, out: True) -> tuple[str, str]:
    """Run ``archgym ARGV`` in-process; (outcome, detail). Clean: exit 2 with one stderr line
    ``archgym CMD: error: …`` (argparse's included); sane: exit 0/1 and ``sane(rc, stdout)``."""
    from archgym.app.cli import main

    out, err = io.StringIO(), io.StringIO()
    try:
        with alarm(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(argv)
    except Hang:
        return record(area, "hang", argv), f"over {HANG_S} CPU s"
    except SystemExit as exc:          # argparse: usage errors exit 2 (and --help exits 0)
        rc = exc.code if isinstance(exc.code, int) else 2
    except BaseException as exc:  # noqa: BLE001 - anything escaping main is a traceback
        return record(area, "traceback", argv, f"{type(exc).__name__}: {exc}"), f"{type(exc).__name__}: {exc}"
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    if rc == 2:
        one_line = len(lines) == 1 and ": error: " in lines[0]
        outcome = "clean error" if one_line else "nonsense"
        return record(area, outcome, argv, " | ".join(lines)[:300]), " | ".join(lines)
    if rc == 3 or any("Traceback" in line for line in lines):
        return record(area, "traceback", argv, " | ".join(lines)[:300]), " | ".join(lines)
    outcome = "sane result" if rc in (0, 1) and _holds(sane, rc, out.getvalue()) else "nonsense"
    return record(area, outcome, argv, out.getvalue()[-300:]), out.getvalue()[-300:]


def _holds(check: Callable[..., bool], *args: Any) -> bool:
    """``check(*args)``, False when the output is too malformed for the check to read."""
    try:
        return bool(check(*args))
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        return False


def run_call(area: str, case: Any, fn: Callable[[], Any], sane: Callable[[Any], bool]) -> tuple[str, str]:
    """Run ``fn()`` in-process; (outcome, detail). Clean: an :class:`ArchGymError` of one line;
    sane: a return value that ``sane`` accepts."""
    try:
        with alarm():
            value = fn()
    except Hang:
        return record(area, "hang", case), f"over {HANG_S} CPU s"
    except ArchGymError as exc:
        text = str(exc)
        outcome = "clean error" if text and "\n" not in text else "nonsense"
        return record(area, outcome, case, text), text
    except Exception as exc:  # noqa: BLE001 - any other exception is a traceback
        return record(area, "traceback", case, f"{type(exc).__name__}: {exc}"), f"{type(exc).__name__}: {exc}"
    ok = _holds(sane, value)
    return record(area, "sane result" if ok else "nonsense", case, repr(value)[:300]), repr(value)[:300]
