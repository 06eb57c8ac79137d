"""What SRAM tiles buy: each single-objective systolic benchmark task's exact optimum with
SCALE-Sim's streaming (tile 1, the ``auto`` mapping) against the exact optimum of the same
hardware space where every layer may use tiles of up to 64 outer folds (``shared`` mapping with
``fold_order=auto, tile_folds=64``; the simulator legalises each layer's tile to what its SRAMs
hold). Both optima come from enumerating the whole space with ``evaluate_batch``. A second
table compares the two at each task's preset hardware (no search).

Run: ``.venv/bin/python benchmarks/systolic_tiles.py [--tasks a,b] [--out benchmarks/results/systolic_tiles.md]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents.tasks import TASKS, optimum
from archgym.simulator import get_simulator
from benchmarks.provenance import write_results

HARDWARE = ("rows", "cols", "dataflow", "ifmap_kb", "filter_kb", "ofmap_kb", "dram_bw")


def tiled(task_id: str) -> object:
    task = TASKS[task_id]
    return replace(task, id=f"{task.id}+tiles", mapping="shared",
                   restrict={"fix": {"fold_order": "auto", "tile_folds": 64}})


def hardware(design: dict) -> str:
    return " ".join(f"{k}={design[k]}" for k in HARDWARE)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = [t.id for t in TASKS.values() if t.simulator == "systolic" and not t.objectives]
    p.add_argument("--tasks", default=",".join(default))
    p.add_argument("--out", default="benchmarks/results/systolic_tiles.md")
    args = p.parse_args()
    header = ("| task | objective | streaming optimum | with tiles | ratio | DRAM bytes (stream → tiles) "
              "| enumeration (s) |")
    lines = [header, "|---|---|---|---|---|---|---|"]
    notes = []
    for task_id in args.tasks.split(","):
        start = time.perf_counter()
        base, tiles = optimum(TASKS[task_id]), optimum(tiled(task_id))
        seconds = time.perf_counter() - start
        obj = TASKS[task_id].objective_obj().describe()
        ratio = 10 ** (tiles.cost - base.cost)
        lines.append(f"| {task_id} | {obj} | {10 ** base.cost:.4g} | {10 ** tiles.cost:.4g} | {ratio:.3f} "
                     f"| {base.metrics['dram_bytes']:.3g} → {tiles.metrics['dram_bytes']:.3g} | {seconds:.0f} |")
        notes.append(f"- {task_id}: streaming `{hardware(base.design)}`; tiles `{hardware(tiles.design)}`")
        print(lines[-1], flush=True)
    preset = ["| task | preset | latency streaming → tiles (ms) | DRAM bytes streaming → tiles |", "|---|---|---|---|"]
    sim = get_simulator("systolic")
    for task_id in args.tasks.split(","):
        task, wl = TASKS[task_id], TASKS[task_id].workload_obj()
        d = sim.space(wl, task.preset, "shared").default()
        a, b = (sim.evaluate({**d, "tile_folds": t}, wl).metrics for t in (1, 64))
        preset.append(f"| {task_id} | {task.preset} | {a['latency_s'] * 1e3:.4g} → {b['latency_s'] * 1e3:.4g} "
                      f"| {a['dram_bytes']:.3g} → {b['dram_bytes']:.3g} |")
        print(preset[-1], flush=True)
    body = "\n".join([
        ("Objective values are the task's cost (lower is better: seconds, joules or J·s, penalties "
         "included); ratio = tiles / streaming."),
        "",
        *lines, "", "Optimal hardware:", *notes, "", "At the preset's default hardware (no search):", "",
        *preset])
    write_results(args.out, "Systolic SRAM tiles: exact optima with and without tiling", body)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
