"""The long fuzz run: tests/test_fuzz.py with many examples per input format, every outcome
recorded (none fails the run), tallied per area as issue 20's table — tried, clean error,
traceback, hang, silent nonsense — and written with commit, date and machine.

    .venv/bin/python benchmarks/fuzz.py --examples 200            # writes benchmarks/results/fuzz.md

Each example is a fresh input; an "area" groups the tests (CLI, sweep/agent YAML, topology/ONNX
files, proxy folders, env step(), corrupted stores). A hang is an input past
``ARCHGYM_FUZZ_HANG_S`` CPU seconds (default 20). Non-deterministic: set ``--seed`` to repeat a run.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("clean error", "sane result", "traceback", "hang", "nonsense")


def run(examples: int, seed: int | None) -> tuple[list[dict[str, str]], str]:
    """Run the fuzz tests once; (the recorded outcomes, pytest's last lines)."""
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as log:
        env = {**os.environ, "ARCHGYM_FUZZ_EXAMPLES": str(examples), "ARCHGYM_FUZZ_LOG": log.name,
               "ARCHGYM_FUZZ_RECORD_ONLY": "1"}
        cmd = [sys.executable, "-m", "pytest", str(ROOT / "tests/test_fuzz.py"), "-q", "-p", "no:cacheprovider"]
        if seed is not None:
            cmd += ["-p", "hypothesis", f"--hypothesis-seed={seed}"]
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        rows = [json.loads(line) for line in Path(log.name).read_text().splitlines() if line.strip()]
    Path(log.name).unlink(missing_ok=True)
    return rows, "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])


def table(rows: list[dict[str, str]]) -> str:
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for r in rows:
        counts[r["area"]][r["outcome"]] += 1
    lines = ["| area | tried | clean error | sane result | traceback | hang | silent nonsense |",
             "|---|---|---|---|---|---|---|"]
    for area in sorted(counts):
        c = counts[area]
        lines.append(f"| {area} | {sum(c.values())} | " + " | ".join(str(c[k]) for k in COLUMNS) + " |")
    total = collections.Counter(r["outcome"] for r in rows)
    lines.append(f"| **all** | {len(rows)} | " + " | ".join(str(total[k]) for k in COLUMNS) + " |")
    return "\n".join(lines)


def failures(rows: list[dict[str, str]], limit: int = 20) -> list[str]:
    bad = [r for r in rows if r["outcome"] in ("traceback", "hang", "nonsense")]
    return [f"- {r['area']} · {r['outcome']}: {r['detail'][:160]} — input {r['case'][:160]}" for r in bad[:limit]]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--examples", type=int, default=200, help="examples per fuzz test (default 200)")
    p.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random)")
    p.add_argument("--out", default=str(ROOT / "benchmarks/results/fuzz.md"))
    args = p.parse_args()
    start = datetime.datetime.now(datetime.timezone.utc)
    rows, tail = run(args.examples, args.seed)
    minutes = (datetime.datetime.now(datetime.timezone.utc) - start).total_seconds() / 60
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    text = "\n".join([
        "# Fuzz run (benchmarks/fuzz.py)", "",
        f"Commit {commit}, {start:%Y-%m-%d %H:%M} UTC, {platform.node()} ({platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}); {args.examples} examples per test, "
        f"hypothesis seed {args.seed if args.seed is not None else 'random'}, {minutes:.1f} min.", "",
        "Outcomes per input (clean error: one line naming the file/field, value and what is allowed, exit 2; "
        "sane result: a valid result with finite, physical metrics or an invalid one that says why).", "",
        table(rows), "", "Inputs that were not clean or sane (first 20):", "",
        *(failures(rows) or ["- none"]), "", f"pytest: {tail}", ""])
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
