"""The MARL-for-DSE comparison (Krishnan et al., arXiv 2211.16385) on the DRAM controller tasks:
multi-agent PPO (one agent per sub-system) vs single-agent PPO and SAC vs GA and random search, at
equal evaluation budgets, over four traces × ArchGym's three objectives × 5 seeds; writes
benchmarks/results/dram_marl.md.

    .venv/bin/python benchmarks/dram_marl.py --run --out-dir runs/dram_marl   # runs archgym bench per trace
    .venv/bin/python benchmarks/dram_marl.py --out-dir runs/dram_marl         # tables from those JSONs

The objectives are ArchGym's target distances Σ|mᵢ − tᵢ|/tᵢ, so results are reported as the excess
distance over the exact optimum (found by enumerating the task's space at analytical fidelity):
``Δ = log10(1 + regret/100)`` recovered from the bench's regret.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

TRACES = ("random", "stream", "cloud", "gemm")
OBJECTIVES = ("power", "latency", "both")
AGENTS = ("random", "ga", "ppo", "sac", "marl-ppo")


def run(out_dir: Path, seeds: int, budget: int, workers: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for trace in TRACES:
        tasks = ",".join(f"dram-{trace}-{o}" for o in OBJECTIVES)
        subprocess.run([".venv/bin/archgym", "bench", "--tasks", tasks, "--agents", ",".join(AGENTS),
                        "--seeds", str(seeds), "--budget", str(budget), "--workers", str(workers),
                        "--json", str(out_dir / f"{trace}.json")], check=True)


def _delta(regret_pct: float | None) -> float:
    return float("nan") if regret_pct is None else float(np.log10(1.0 + regret_pct / 100.0))


def tables(out_dir: Path, out: Path) -> None:
    rows, per_task = [], {}
    meta = {}
    for trace in TRACES:
        path = out_dir / f"{trace}.json"
        if not path.is_file():
            continue
        data = json.loads(path.read_text())
        meta = data["meta"]
        for task_id, task in data["tasks"].items():
            finals = {a: task["agents"][a]["final_regret_pct"] for a in task["agents"]}
            per_task[task_id] = {a: _delta(f["median"]) for a, f in finals.items()}
            cells = [f"{_delta(f['median']):.3f} [{_delta(f['q25']):.3f}, {_delta(f['q75']):.3f}]"
                     for f in (finals.get(a, {"median": None, "q25": None, "q75": None}) for a in AGENTS)]
            rows.append(f"| {task_id} | {task['optimum']['cost']:.3f} | " + " | ".join(cells) + " |")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    lines = ["# MARL vs single-agent RL on DRAM controller design (issue 23)", "",
             (f"commit {commit}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()} "
             f"({platform.node()}); `archgym bench` per trace with seeds {meta.get('seeds')}, budget "
             f"{meta.get('budget')} evaluations for every agent (`benchmarks/dram_marl.py --run`)."), "",
             ("DDR4-2400, ArchGym's ten DRAMSys knobs (RequestBufferSize 1-8, one address mapping per trace: 331 776 designs), analytical fidelity. "
             "Targets: power 1 W, average read latency 50 ns (both: the sum of the two distances). Cells: the "
             "best design's target distance above the exact optimum's after the budget, median [q25, q75] over "
             "seeds (0 = optimal)."), "",
             "| task | optimal distance | " + " | ".join(AGENTS) + " |",
             "|---|---|" + "---|" * len(AGENTS)]
    lines += rows
    lines += ["", "## Does the paper's claim hold here?", ""]
    for objective in OBJECTIVES:
        tasks = [t for t in per_task if t.endswith(f"-{objective}")]
        if not tasks:
            continue
        wins = {rival: sum(per_task[t]["marl-ppo"] < per_task[t][rival] for t in tasks) for rival in ("ppo", "sac")}
        ties = {rival: sum(per_task[t]["marl-ppo"] == per_task[t][rival] for t in tasks) for rival in ("ppo", "sac")}
        lines.append(f"- {objective} target: multi-agent PPO has the lower median excess than PPO on "
                     f"{wins['ppo']}/{len(tasks)} traces ({ties['ppo']} ties) and than SAC on "
                     f"{wins['sac']}/{len(tasks)} ({ties['sac']} ties).")
    lines.append("")
    out.write_text("\n".join(lines))
    print("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", action="store_true", help="run the benches first")
    ap.add_argument("--out-dir", default="runs/dram_marl", type=Path)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default="benchmarks/results/dram_marl.md", type=Path)
    args = ap.parse_args()
    if args.run:
        run(args.out_dir, args.seeds, args.budget, args.workers)
    tables(args.out_dir, args.out)


if __name__ == "__main__":
    main()
