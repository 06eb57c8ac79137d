"""Every ratio of issue 17 in one run, each against ``evaluate_batch`` (or SCALE-Sim) in the same
process, written to ``benchmarks/results/pipeline_speed.md`` with commit, date, machine and load.

1. single design vs batch, per family and fidelity (:mod:`benchmarks.single_vs_batch`);
2. ``DesignEnv.step`` vs ``evaluate``; the native vector env and its SB3 adapter (1,024 envs,
   analytical ResNet-18) vs ``evaluate_batch`` of the same 1,024 designs;
3. BO seconds per 100 evaluations and regret (benchmark tasks); GA / NSGA-II framework seconds
   per 1,000 evaluations (the run's wall time minus the evaluator's);
4. an analytical sweep into a fresh SQLite store vs ``evaluate_batch`` on the same designs;
5. ``archgym scalesim`` vs SCALE-Sim 3.0.0 per conv layer (when SCALE-Sim's Python is present).

Targets (issue 17) are in the tables. The machine is shared: ratios are what to read; absolute
times move with load (the load average is recorded, and agents also report their process CPU
time, which load moves less). ``--quick`` shrinks every size for a smoke run; ``--sections``
runs some sections only and then writes ``pipeline_speed-<sections>.md`` beside the full table.

    python -m benchmarks.pipeline_speed [--quick] [--sections single,envs,agents,sweep,scalesim]
        [--tasks ID,...] [--sweep-designs N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import provenance, single_vs_batch

RESULTS = Path(__file__).parent / "results" / "pipeline_speed.md"
SECTIONS = ("single", "envs", "agents", "sweep", "scalesim")
ENV_COUNT = 1024
#: the sweep's chunk (designs per evaluate_batch and per store transaction)
SWEEP_CHUNK = 8192


#: least of ``repeat`` times of ``fn()`` (CPU time unless a ``clock`` is given; see single_vs_batch.interleaved)
_best = single_vs_batch._seconds


# -- 2. environments ----------------------------------------------------------------------------
def envs(steps: int = 200, vector_steps: int = 8) -> dict[str, float]:
    from envs.design_env import DesignEnv
    from envs.sb3_vec import SB3VecEnv
    from envs.vector import DesignVectorEnv

    env = DesignEnv("systolic", "resnet18")
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = env.space.sample_indices(steps, rng)
    designs = [env.space.from_indices(a) for a in actions]
    sim, wl = env.simulator, env.workload
    evaluate, step = (t / steps for t in single_vs_batch.interleaved(lambda: [sim.evaluate(d, wl) for d in designs],
                                                      lambda: [env.step(a) for a in actions]))
    vec = DesignVectorEnv(ENV_COUNT, simulator="systolic", workload="resnet18")
    vec.reset(seed=0)
    batches = [vec.space.sample_indices(ENV_COUNT, rng) for _ in range(vector_steps)]
    sb3 = SB3VecEnv(DesignVectorEnv(ENV_COUNT, simulator="systolic", workload="resnet18"))
    sb3.reset()
    batch, native, adapter = single_vs_batch.interleaved(
        lambda: [sim.evaluate_batch(vec.space.indices_to_columns(b), wl) for b in batches],
        lambda: [vec.step(b) for b in batches], lambda: [sb3.step(b) for b in batches])
    n = ENV_COUNT * vector_steps
    return {"evaluate_ms": evaluate * 1e3, "step_ms": step * 1e3, "step_overhead": step / evaluate - 1,
            "batch_per_s": n / batch, "vector_per_s": n / native, "sb3_per_s": n / adapter,
            "vector_ratio": batch / native, "sb3_ratio": batch / adapter}


# -- 3. agents ----------------------------------------------------------------------------------
def agents(tasks: list[str], bo_budget: int = 100, ga_budget: int = 1000) -> dict[str, Any]:
    import torch

    from agents.base import run
    from agents.registry import make_agent
    from agents.tasks import get_task, optimum

    torch.set_num_threads(2)
    out: dict[str, Any] = {}
    for task_id in tasks:
        task = get_task(task_id)
        best = optimum(task)
        row: dict[str, Any] = {}
        for name, budget in (("bo", bo_budget), ("ga", ga_budget), ("nsga2", ga_budget)):
            ev = task.evaluator()
            objectives = task.objective_list() if name == "nsga2" and task.objectives else None
            agent = make_agent(name, ev.space, ev.objective, 0, {}, objectives=objectives)
            cpu = time.process_time()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                h = run(agent, ev, budget)
            row[name] = {"evaluations": h.evaluations, "wall_s": h.wall_time_s, "agent_s": h.agent_time_s,
                         "cpu_s": time.process_time() - cpu, "regret": float(best.regret(min(h.costs)))}
        out[task_id] = row
    return out


# -- 4. sweeps ----------------------------------------------------------------------------------
def sweep(designs: int) -> dict[str, Any]:
    """The sweep with one process (evaluation, encoding and the store in turn) and with the default
    workers (one per core: evaluation and encoding in worker processes), each into a fresh store; each
    followed at once by ``evaluate_batch`` over the same designs in the sweep's chunks (wall time, as the
    sweep's rate is), so that a ratio is read under one load."""
    from archgym.simulator import get_simulator
    from archgym.workload import get_workload

    sim, wl = get_simulator("systolic"), get_workload("resnet18")
    runs = {}
    for label, workers in (("one process", 1), ("default workers", None)):
        run = _sweep_once(designs, workers)
        plan, space = run["outcome"].runs[0].plan, run["outcome"].runs[0].space
        assert plan is not None
        chunks = [space.indices_to_columns(idx) for _, idx in sweep_chunks(plan, designs)]
        start = time.perf_counter()
        for cols in chunks:
            sim.evaluate_batch(cols, wl)
        batch_per_s = designs / (time.perf_counter() - start)
        rate = run["outcome"].rate
        runs[label] = {"rows": run["rows"], "workers": run["workers"], "sweep_per_s": rate,
                       "batch_per_s": batch_per_s, "ratio": rate / batch_per_s, "total_s": run["total_s"]}
    return {"designs": designs, "runs": runs}


def sweep_config(designs: int) -> Any:
    """The sweep of this section (``benchmarks/sweep_cpu.py`` times the same): ``designs`` random
    analytical ResNet-18 designs of the systolic tpu-v1 space, in chunks of :data:`SWEEP_CHUNK`."""
    from archgym.app.sweep_config import SweepConfig

    return SweepConfig.model_validate({
        "name": "pipeline-speed", "simulator": "systolic", "preset": "tpu-v1", "workload": "resnet18",
        "fidelity": "analytical", "strategy": "random", "budget": designs, "batch_size": SWEEP_CHUNK, "seed": 0,
        "objectives": ["latency_s", "energy_j"]})


def sweep_chunks(plan: Any, designs: int) -> list[tuple[int, np.ndarray]]:
    """(first step, value indices) of each chunk of the sweep's ``plan``, as the sweep cuts them."""
    return [(start, plan.indices(start, min(start + SWEEP_CHUNK, designs))) for start in range(0, designs, SWEEP_CHUNK)]


def _sweep_once(designs: int, workers: int | None) -> dict[str, Any]:
    from archgym.app.executors import make_executor
    from archgym.app.sweep import run_sweep
    from archgym.store import RunStore

    config = sweep_config(designs)
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "s.db")
        start = time.perf_counter()
        outcome = run_sweep(config, store, workers=workers, progress=False)
        total_s = time.perf_counter() - start      # with the closing summary, read back from the store
        rows = store.count()
        store.close()
    return {"outcome": outcome, "rows": rows, "total_s": total_s, "workers": make_executor("local", workers).workers}


# -- 5. archgym scalesim vs SCALE-Sim -------------------------------------------------------------
SCALESIM_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
#: conv-form layers: a 3×3 conv, stride-2 3×3 and 7×7 convs whose (H − R) is odd (SCALE-Sim rounds
#: their ofmaps up), a pointwise conv
SCALESIM_LAYERS = ["conv_28x28_3x3, 30, 30, 3, 3, 64, 96, 1,", "conv_16x16_s2, 16, 16, 3, 3, 32, 64, 2,",
                   "conv1_7x7_s2, 38, 38, 7, 7, 3, 64, 2,", "pw_14x14, 14, 14, 1, 1, 128, 128, 1,"]
#: (array side, SRAM KB, dataflow): corners of issue 17's range (8×8–256×256 arrays, 8 KB–6 MB SRAMs)
#: and its slow middle (128×128 and 32×32 with 64 KB)
SCALESIM_CONFIGS = [(8, 8, "is"), (8, 6144, "os"), (32, 64, "os"), (128, 64, "ws"), (256, 8, "ws"), (256, 6144, "is")]
#: SCALE-Sim's timeout is at least this many times our time, so that a run past it still shows a
#: speed-up of that much (2.5× the target), and at most SCALESIM_MAX_S seconds
SCALESIM_PROOF = 250
SCALESIM_MAX_S = 600


def scalesim(timeout_s: float = 60) -> list[dict[str, Any]]:
    """Per layer and config: our time (best of 3, after one warm-up of the compiled walk) and
    SCALE-Sim's on a topology of that layer alone (a lower bound when it ran past its timeout:
    ``timeout_s``, or :data:`SCALESIM_PROOF` × ours if longer), and whether total and stall cycles
    and DRAM reads agree."""
    import subprocess

    from simulators.systolic import reference as ref
    from simulators.systolic.scalesim_io import read_config, read_layers, report_rows

    if ref.scalesim_python() is None:
        return []
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        topo, cfg_path = Path(tmp) / "t.csv", Path(tmp) / "c.cfg"
        topo.write_text(SCALESIM_HEADER + SCALESIM_LAYERS[1] + "\n")   # warm-up: numba's compiled walk
        ref.write_config(cfg_path, "t", 8, 8, "ws", 1, 1, 1, 10)
        _scalesim_ours(read_config(cfg_path), read_layers(topo, False), repeat=1)
        for side, kb, df in SCALESIM_CONFIGS:
            ref.write_config(cfg_path, "t", side, side, df, kb, kb, kb, 10)
            cfg = read_config(cfg_path)
            for row in SCALESIM_LAYERS:
                topo.write_text(SCALESIM_HEADER + row + "\n")
                read = read_layers(topo, False)
                ours, timing = _scalesim_ours(cfg, read)
                limit = min(max(timeout_s, SCALESIM_PROOF * ours), SCALESIM_MAX_S)
                try:
                    reports, theirs = ref.run(cfg_path, topo, gemm=False, timeout=limit)
                    want: dict[str, str] | None = reports["COMPUTE_REPORT"][0]
                    detail = reports["DETAILED_ACCESS_REPORT"][0]
                except subprocess.TimeoutExpired:
                    theirs, want = limit, None
                rep = report_rows(cfg, [read[0][:2]], [timing])
                got = (rep["compute"][0][2], rep["compute"][0][3], rep["detail"][0][12], rep["detail"][0][15])
                exact = None if want is None else got == (
                    int(want["Total Cycles"]), int(want["Stall Cycles"]), int(detail["DRAM IFMAP Reads"]),
                    int(detail["DRAM Filter Reads"]))
                out.append({"config": f"{side}×{side} {kb:,} KB {df}", "layer": read[0][0], "ours_s": ours,
                            "exact": exact, "scalesim_layer_s": theirs, "timed_out": want is None})
    return out


def _scalesim_ours(cfg: Any, read: list[Any], repeat: int = 3) -> tuple[float, Any]:
    """Best of ``repeat`` times of ``archgym scalesim``'s simulation of a one-layer topology (as
    ``read_layers`` returns it), and the layer's timing."""
    from simulators.systolic.scalesim_io import simulate

    ((name, g, conv),) = read
    timings: list[Any] = []
    seconds = _best(lambda: timings.append(simulate(cfg, [(name, g)], "scalesim", [conv])[0]), repeat,
                    clock=time.perf_counter)   # against SCALE-Sim's wall time
    return seconds, timings[0]


# -- the report ---------------------------------------------------------------------------------
def report(res: dict[str, Any]) -> str:
    load = res["load"]
    lines = [(f"Load average while measuring: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) on "
             f"{os.cpu_count()} cores; read the ratios, absolute times move with load."), ""]
    if "single" in res:
        lines += _single(res)
    if "envs" in res:
        lines += _envs(res)
    if "agents" in res:
        lines += _agents(res)
    if "sweep" in res:
        lines += _sweep(res)
    if "scalesim" in res:
        lines += _scalesim(res)
    else:
        lines += ["## 5. `archgym scalesim` vs SCALE-Sim", "",
                  ("Not in this run (each SCALE-Sim layer runs alone, minutes in all): "
                  "`--sections scalesim` writes `pipeline_speed-scalesim.md`."), ""]
    return "\n".join(lines)


def _single(res: dict[str, Any]) -> list[str]:
    return ["## 1. Single design vs batch (CPU time; designs never evaluated before; target: ratio ≤ 5; cycle batch ≥ 5× a loop)", "",
            single_vs_batch.table(res["single"]), ""]


def _envs(res: dict[str, Any]) -> list[str]:
    e = res["envs"]
    return ["## 2. Environments (analytical ResNet-18; CPU time, interleaved rounds)", "", "| measure | value | target |", "|---|---|---|",
              f"| `evaluate` (one design) | {e['evaluate_ms']:.3f} ms | ≤ 0.5 ms |",
              f"| `DesignEnv.step` | {e['step_ms']:.3f} ms: overhead {e['step_overhead']:.0%} | ≤ 20 % |",
              f"| `evaluate_batch` of {ENV_COUNT} | {e['batch_per_s']:,.0f} designs/s | – |",
              (f"| native `DesignVectorEnv`, {ENV_COUNT} envs | {e['vector_per_s']:,.0f} steps/s "
              f"({e['vector_ratio']:.0%} of `evaluate_batch`) | ≥ 100,000 steps/s |"),
              (f"| `SB3VecEnv` adapter, {ENV_COUNT} envs | {e['sb3_per_s']:,.0f} steps/s "
              f"({e['sb3_ratio']:.0%} of `evaluate_batch`) | ≥ 100,000 steps/s |"), ""]


def _agents(res: dict[str, Any]) -> list[str]:
    lines = ["## 3. Agents (seed 0; framework time = wall − evaluator time; CPU = the process's CPU time)", "",
             ("| task | BO s / 100 evals (≤ 15) | BO CPU s / 100 | BO regret | GA agent s / 1,000 (≤ 1) | "
              "GA CPU s / 1,000 | GA regret | NSGA-II agent s / 1,000 (≤ 1) | NSGA-II CPU s / 1,000 | "
              "NSGA-II regret |"), "|---|---|---|---|---|---|---|---|---|---|"]
    for task, row in res["agents"].items():
        bo, ga, ns = row["bo"], row["ga"], row["nsga2"]
        lines.append(f"| {task} | {100 * bo['wall_s'] / bo['evaluations']:.1f} | "
                     f"{100 * bo['cpu_s'] / bo['evaluations']:.1f} | {bo['regret']:.2%} | "
                     f"{1000 * ga['agent_s'] / ga['evaluations']:.2f} | {1000 * ga['cpu_s'] / ga['evaluations']:.2f} | "
                     f"{ga['regret']:.2%} | {1000 * ns['agent_s'] / ns['evaluations']:.2f} | "
                     f"{1000 * ns['cpu_s'] / ns['evaluations']:.2f} | {ns['regret']:.2%} |")
    return lines + [""]


def _sweep(res: dict[str, Any]) -> list[str]:
    s = res["sweep"]
    lines = ["## 4. Sweep (analytical ResNet-18, random strategy, fresh SQLite store)", "",
             (f"{s['designs']:,} designs. The rate is the sweep's (evaluation, row encoding, store writes; wall time); "
              f"`evaluate_batch` runs right after each sweep on the same designs in the sweep's chunks of {SWEEP_CHUNK:,} "
              "(wall time, one process). The command also reads its rows back for the closing summary."), "",
             "| run | rows | rows/s | `evaluate_batch` designs/s | ratio (≥ 30 %) | command with the summary |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {label} ({r['workers']} worker{'s' if r['workers'] != 1 else ''}) | {r['rows']:,} | "
              f"{r['sweep_per_s']:,.0f} | {r['batch_per_s']:,.0f} | **{r['ratio']:.0%}** | {r['total_s']:.1f} s |"
              for label, r in s["runs"].items()]
    return [*lines, ""]


def _scalesim(res: dict[str, Any]) -> list[str]:
    lines = ["## 5. `archgym scalesim` vs SCALE-Sim 3.0.0 (conv topology, per layer; target ≥ 100×)", ""]
    if not res["scalesim"]:
        lines.append("Not measured (`--quick`, or SCALE-Sim's Python not found: `make scalesim-venv`).")
    else:
        lines += [("SCALE-Sim runs each layer alone (its time inside its process, after imports); ours is "
                   "the best of 3 in this process. `>`: SCALE-Sim ran past its timeout, a lower bound."), "",
                  "| config | layer | ours s | SCALE-Sim s | speed-up | total, stall cycles and DRAM reads exact |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r['config']} | {r['layer']} | {r['ours_s']:.4f} | {'> ' * r['timed_out']}"
                  f"{r['scalesim_layer_s']:.2f} | {'> ' * r['timed_out']}{r['scalesim_layer_s'] / r['ours_s']:,.0f}× | "
                  f"{'SCALE-Sim timed out' if r['exact'] is None else 'yes' if r['exact'] else 'no'} |"
                  for r in res["scalesim"]]
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (a smoke run, not the table)")
    p.add_argument("--tasks", default="systolic-resnet18-edp,pim-gpt2decode-edp")
    p.add_argument("--sweep-designs", type=int, default=100_000)
    p.add_argument("--sections", default=",".join(SECTIONS), help=f"some of {','.join(SECTIONS)}")
    p.add_argument("--out", default=None, help="default: results/pipeline_speed.md (…-<sections>.md for some)")
    args = p.parse_args()
    q = args.quick
    sections = args.sections.split(",")
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        p.error(f"--sections: {unknown[0]!r} is not a section; allowed: {', '.join(SECTIONS)}")
    if args.out is None:
        some = [x for x in SECTIONS if x in sections]
        args.out = str(RESULTS if len(some) == len(SECTIONS) else RESULTS.with_stem(f"{RESULTS.stem}-{'-'.join(some)}"))
    res: dict[str, Any] = {}
    if "single" in sections:
        res["single"] = single_vs_batch.measure(batch=200 if q else 1000, singles=10 if q else 50,
                                                cycle_designs=4 if q else 25)
    if "envs" in sections:
        res["envs"] = envs(steps=20 if q else 200, vector_steps=2 if q else 8)
    if "agents" in sections:
        res["agents"] = agents(args.tasks.split(","), bo_budget=20 if q else 100, ga_budget=100 if q else 1000)
    if "sweep" in sections:
        res["sweep"] = sweep(5_000 if q else args.sweep_designs)
    if "scalesim" in sections:
        res["scalesim"] = [] if q else scalesim()
    res["load"] = os.getloadavg()
    provenance.write_results(args.out, "Pipeline speed (issue 17): every ratio in one run", report(res))
    print(Path(args.out).read_text())


if __name__ == "__main__":
    main()
