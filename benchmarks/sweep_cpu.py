"""Where a planned sweep's time goes, in CPU time (robust to a loaded machine, unlike the wall-time
rates of ``pipeline_speed``): per row of an analytical ResNet-18 systolic sweep, ``evaluate_batch``
on the same designs, the sweep loop in one process (evaluating and encoding a chunk, inserting it),
the closing summary (reading the rows back), the one-process ``run_sweep`` with that chunk and with
the default ``batch_size``, and the default-workers sweep's CPU in the sweeping process and in its
workers. Its sweep and chunks are ``benchmarks/pipeline_speed.py``'s (section 4).

    .venv/bin/python -m benchmarks.sweep_cpu [--designs 100000] [--rounds 3] [--out FILE]

Best (least CPU) of ``--rounds`` rounds, each into a fresh store. The one-process CPU ratio is
``evaluate_batch``'s CPU per design over the loop's CPU per row: the wall ratio an idle core would see.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archgym.app.executors import _parts, evaluate_chunk
from archgym.app.summary import summarize
from archgym.app.sweep import prepare, run_sweep
from archgym.app.sweep_config import SweepConfig
from archgym.store import RunStore
from benchmarks.pipeline_speed import SWEEP_CHUNK, sweep_chunks, sweep_config
from benchmarks.provenance import write_results

#: a sweep config's default ``batch_size``, timed beside SWEEP_CHUNK
DEFAULT_BATCH: int = SweepConfig.model_fields["batch_size"].default

def _children_cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def one_round(designs: int, tmp: Path) -> dict[str, float]:
    """CPU seconds per row of each part, one round."""
    config = sweep_config(designs)
    run = prepare(config)[0]
    assert run.plan is not None
    sim, workload, space = _parts(run.spec)
    chunks = sweep_chunks(run.plan, designs)
    out: dict[str, float] = {}
    cpu = time.process_time()
    for _, idx in chunks:
        sim.evaluate_batch(space.indices_to_columns(idx), workload)
    out["evaluate_batch"] = time.process_time() - cpu
    with RunStore(tmp / "one.db") as store:
        evaluate = insert = 0.0
        for start, idx in chunks:
            cpu = time.process_time()
            block = evaluate_chunk(run.spec, start, idx)
            evaluate += time.process_time() - cpu
            cpu = time.process_time()
            store.log_block(block)  # type: ignore[arg-type]
            insert += time.process_time() - cpu
        out |= {"evaluate_chunk": evaluate, "log_block": insert, "loop": evaluate + insert}
        cpu = time.process_time()
        summarize(store.read(run.run_id, columns=()), run.objectives, run.run_id)   # as run_sweep does
        out["summary"] = time.process_time() - cpu
    for label, batch in (("run_sweep_chunk", SWEEP_CHUNK), ("run_sweep_default", DEFAULT_BATCH)):
        with RunStore(tmp / f"{label}.db") as store:
            cpu = time.process_time()
            run_sweep(config.model_copy(update={"batch_size": batch}), store, workers=1, progress=False)
            out[label] = time.process_time() - cpu
    with RunStore(tmp / "workers.db") as store:
        cpu, kids = time.process_time(), _children_cpu()
        outcome = run_sweep(config, store, progress=False)
        out["workers_main"] = time.process_time() - cpu
        out["workers_children"] = _children_cpu() - kids
        out["workers_rate"] = outcome.rate
    return {k: v if k == "workers_rate" else v / designs for k, v in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--designs", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "sweep_cpu.md"))
    args = ap.parse_args()
    rounds: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        one_round(min(args.designs, 2 * SWEEP_CHUNK), Path(tmp))   # warm-up: compiled kernels, caches
        for i in range(args.rounds):
            (Path(tmp) / str(i)).mkdir()
            rounds.append(one_round(args.designs, Path(tmp) / str(i)))
    best: dict[str, Any] = {k: min(r[k] for r in rounds) for k in rounds[0]}
    best["workers_rate"] = max(r["workers_rate"] for r in rounds)
    us = {k: 1e6 * v for k, v in best.items() if k != "workers_rate"}
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        (f"{args.designs:,} random ResNet-18 systolic designs (tpu-v1 space), batch {SWEEP_CHUNK}; CPU µs per row, "
        f"least of {args.rounds} rounds; load average after: {load} on {os.cpu_count()} cores."), "",
        "| part | CPU µs per row |", "|---|---|",
        f"| `evaluate_batch` (same designs) | {us['evaluate_batch']:.2f} |",
        f"| sweep loop, one process | {us['loop']:.2f} |",
        f"| … evaluating and encoding chunks (`evaluate_chunk`) | {us['evaluate_chunk']:.2f} |",
        f"| … inserting them (`log_block`) | {us['log_block']:.2f} |",
        f"| closing summary (`store.read` + `summarize`) | {us['summary']:.2f} |",
        f"| one-process `run_sweep`, batch {SWEEP_CHUNK} (incl. prepare and summary) | {us['run_sweep_chunk']:.2f} |",
        (f"| one-process `run_sweep`, batch {DEFAULT_BATCH}, the default (incl. prepare and summary) | "
         f"{us['run_sweep_default']:.2f} |"),
        f"| default-workers `run_sweep`: sweeping process (incl. prepare and summary) | {us['workers_main']:.2f} |",
        f"| default-workers `run_sweep`: workers | {us['workers_children']:.2f} |", "",
        (f"One-process CPU ratio `evaluate_batch` ÷ sweep loop: **{best['evaluate_batch'] / best['loop']:.0%}** "
        f"(target ≥ 30 %). Default-workers sweep rate (wall, best round): {best['workers_rate']:,.0f} rows/s."),
    ]
    print("\n".join(lines))
    write_results(args.out, "Sweep CPU per row", "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
