"""The default ``archgym bench`` timed as a user runs it (issue 17, item 3: ≤ 10 minutes on 2 cores).

Runs ``archgym bench --agents random,ga,bo --seeds 3 --budget 100`` over every task in a child
process (the command a user types, with its default workers), and writes its per-task regret
tables under one header: wall time, the child's user and system CPU seconds, its peak resident
memory, the load average before and after, and the seconds spent enumerating the exact optima
(from the bench's own JSON). ``--args`` replaces the bench arguments (e.g. a shorter smoke run).

    python -m benchmarks.default_bench [--args "--agents random --seeds 1 --budget 20 --tasks ..."]
        [--out benchmarks/results/default_bench.md]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import provenance

RESULTS = Path(__file__).parent / "results" / "default_bench.md"
DEFAULT_ARGS = "--agents random,ga,bo --seeds 3 --budget 100"
TARGET_S = 600.0   # issue 17: the default bench in ≤ 10 minutes on 2 cores


def run(bench_args: str) -> tuple[dict[str, float], str, dict]:
    """Time one ``archgym bench`` child: (figures, its Markdown tables, its JSON report)."""
    with tempfile.TemporaryDirectory() as tmp:
        out_json, out_md = Path(tmp) / "bench.json", Path(tmp) / "bench.md"
        cmd = [sys.executable, "-m", "archgym", "bench", *shlex.split(bench_args),
               "--json", str(out_json), "--markdown", str(out_md)]
        load_before = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = json.loads(out_json.read_text())
        figures = {"wall_s": wall, "user_s": after.ru_utime - before.ru_utime,
                   "system_s": after.ru_stime - before.ru_stime, "peak_rss_gb": after.ru_maxrss / 2**20,
                   "load_before": load_before, "load_after": os.getloadavg()[0],
                   "optima_s": sum(t["optimum"]["enumeration_s"] for t in report["tasks"].values())}
        return figures, out_md.read_text(), report


def summary(bench_args: str, figures: dict[str, float], report: dict) -> str:
    """The paragraph above the tables: what ran and what it cost."""
    f = figures
    minutes, seconds = divmod(f["wall_s"], 60)
    verdict = "met" if f["wall_s"] <= TARGET_S else "not met"
    tasks = len(report["tasks"])
    return (f"`archgym bench {bench_args}` over {tasks} task{'s' if tasks != 1 else ''} with "
            f"{report['meta']['workers']} worker process(es) on {report['meta']['cpu_count']} cores, "
            f"load {f['load_before']:.1f} before and {f['load_after']:.1f} after. "
            f"**Wall {int(minutes)} min {seconds:.0f} s** (target ≤ 10 min: {verdict}); user {f['user_s']:.0f} s, "
            f"system {f['system_s']:.0f} s, peak resident {f['peak_rss_gb']:.1f} GB (the largest process). "
            f"Enumerating the exact optima took {f['optima_s']:.0f} s of worker time.")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--args", default=DEFAULT_ARGS, help=f"archgym bench arguments (default: {DEFAULT_ARGS!r})")
    p.add_argument("--out", default=str(RESULTS))
    a = p.parse_args()
    figures, tables, report = run(a.args)
    command = " ".join(["python -m benchmarks.default_bench", shlex.join(sys.argv[1:])]).strip()
    path = provenance.write_results(a.out, "Default `archgym bench` (issue 17)",
                                    summary(a.args, figures, report) + "\n\n" + tables,
                                    provenance.stamp(command))
    print(f"wall {figures['wall_s']:.0f} s → {path}")


if __name__ == "__main__":
    main()
