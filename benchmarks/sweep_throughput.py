"""Sweep throughput (evaluations per second) of each simulator family, with 1 and with N local
workers, at the cycle fidelity (CPU-bound, one design per call) and the analytical fidelity
(batched through ``evaluate_batch``).

    .venv/bin/python benchmarks/sweep_throughput.py [--budget 200] [--workers 2] [--repeats 2]
        [--families systolic rdu fpga] [--out benchmarks/results/sweep_throughput.md]

The speed-up is the ratio of the two rates measured in the same process (best of ``--repeats``,
runs interleaved so that background load hits both alike); no absolute time is asserted. Each
pair of runs is also checked to give identical rows.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archgym.app.sweep import run_sweep
from archgym.app.sweep_config import SweepConfig
from archgym.config import validate
from archgym.simulator import SIMULATORS
from archgym.store import RunStore
from benchmarks.provenance import write_results

WORKLOAD = {"systolic": "mobilenetv2", "rdu": "resnet18", "fpga": "resnet18", "pim": "gpt2-decode"}


def measure(family: str, fidelity: str, budget: int, batch: int, workers: int, repeats: int) -> dict:
    cfg = validate(SweepConfig, {"name": f"bench-{family}-{fidelity}", "simulator": family,
                                 "workload": WORKLOAD.get(family, "resnet18"), "fidelity": fidelity,
                                 "strategy": "random", "budget": budget, "batch_size": batch, "seed": 0},
                   "benchmark")
    rates: dict[int, list[float]] = {1: [], workers: []}
    busy: dict[int, list[float]] = {1: [], workers: []}
    cpu_per_eval: dict[int, list[float]] = {1: [], workers: []}
    rows: dict[int, list] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(repeats):
            for w in (1, workers):
                with RunStore(Path(tmp) / f"{w}-{rep}.db") as store:
                    cpu0, t0 = _cpu_seconds(), time.perf_counter()
                    out = run_sweep(cfg, store, workers=w, progress=False)
                    cpu = _cpu_seconds() - cpu0
                    busy[w].append(cpu / (time.perf_counter() - t0))
                    cpu_per_eval[w].append(cpu / max(out.evaluated, 1))
                    rates[w].append(out.rate)
                    rows[w] = [(r.step, r.design, r.metrics, r.valid) for r in store.records()]
    same = rows[1] == rows[workers]
    best1, bestn = max(rates[1]), max(rates[workers])
    return {"family": family, "fidelity": fidelity, "workload": cfg.workloads[0], "designs": budget,
            "batch_size": batch, "rate_1": best1, f"rate_{workers}": bestn, "speedup": bestn / best1,
            "rates": {str(k): v for k, v in rates.items()}, "cores_busy_1": max(busy[1]),
            f"cores_busy_{workers}": max(busy[workers]), "cpu_ms_per_eval_1": 1e3 * min(cpu_per_eval[1]),
            f"cpu_ms_per_eval_{workers}": 1e3 * min(cpu_per_eval[workers]), "identical_rows": same}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the pool's workers), user + system."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def cpu_idle(seconds: float = 2.0) -> float:
    """Fraction of the machine's CPU time that was idle over ``seconds`` (Linux /proc/stat)."""
    def sample() -> tuple[int, int]:
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:]]
        return vals[3] + vals[4], sum(vals)

    i0, t0 = sample()
    time.sleep(seconds)
    i1, t1 = sample()
    return (i1 - i0) / max(t1 - t0, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=200, help="designs per cycle-fidelity sweep")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--families", nargs="*", default=None, help="default: every registered simulator")
    ap.add_argument("--fidelities", nargs="*", default=["cycle", "analytical"], choices=["cycle", "analytical"])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "sweep_throughput.md"))
    args = ap.parse_args()
    families = args.families or list(SIMULATORS)
    idle_before = cpu_idle() if os.path.exists("/proc/stat") else float("nan")
    t0 = time.time()
    results = []
    for family in families:
        for fidelity, budget, batch in (("cycle", args.budget, 5), ("analytical", 20 * args.budget, 250)):
            if fidelity not in args.fidelities:
                continue
            res = measure(family, fidelity, budget, batch, args.workers, args.repeats)
            results.append(res)
            print(json.dumps(res), flush=True)
    idle_after = cpu_idle() if os.path.exists("/proc/stat") else float("nan")
    w = args.workers
    lines = [
        (f"CPU idle {idle_before:.0%} before, {idle_after:.0%} after "
        f"({time.time() - t0:.0f} s). Random designs of each family's default preset space; best of "
        f"{args.repeats} interleaved runs; local executor (1 worker = in process, {w} = process pool). "
        "'cores busy' = CPU seconds of the sweep and its workers per wall second."),
        "",
        (f"| family | fidelity | workload | designs | batch | eval/s, 1 worker | eval/s, {w} workers "
        f"| speed-up | cores busy, 1 / {w} | CPU ms per eval, 1 / {w} | identical rows |"),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r['family']} | {r['fidelity']} | {r['workload']} | {r['designs']} | {r['batch_size']} "
                     f"| {r['rate_1']:.1f} | {r[f'rate_{w}']:.1f} | {r['speedup']:.2f}× "
                     f"| {r['cores_busy_1']:.2f} / {r[f'cores_busy_{w}']:.2f} "
                     f"| {r['cpu_ms_per_eval_1']:.2f} / {r[f'cpu_ms_per_eval_{w}']:.2f} | {r['identical_rows']} |")
    write_results(args.out, "Sweep throughput", "\n".join(lines))
    Path(args.out).with_suffix(".json").write_text(json.dumps(results, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
