"""BO seconds per 100 evaluations and regret on every benchmark task (issue 17, item 3).

Each run is the benchmark protocol's own (:func:`agents.bench.run_one`: the task's evaluator, BO
with its ``configs/agents/bo.yaml`` defaults, the task's objectives for multi-objective tasks), timed
by wall clock and by the process's CPU time (which the shared machine's load moves less). Regret is
the bench's: % above the exact optimum over feasible designs at the final evaluation; multi-objective
tasks also report the hypervolume ratio of the found front to the exact front (1 = exact).

``--json`` keeps the raw runs; ``--baseline`` names earlier runs' JSON whose numbers fill the
"before" columns of the table (written to ``benchmarks/results/bo_speed.md`` by default);
``--render`` writes the table of stored runs (several files merged) without running anything.

    python -m benchmarks.bo_speed [--tasks ID,...] [--seeds 0,1,2] [--budget 100]
        [--config '{"mo_pool_size": 250}'] [--json OUT] [--baseline BEFORE.json,...] [--markdown OUT]
    python -m benchmarks.bo_speed --render AFTER.json,... --baseline BEFORE.json,...
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import provenance

RESULTS = Path(__file__).parent / "results" / "bo_speed.md"
TARGET_S = 15.0  # issue 17: BO ≤ 15 s per 100 evaluations on every benchmark task


def measure(task_id: str, seed: int, budget: int, config: Mapping[str, Any]) -> dict[str, Any]:
    """One BO run under the bench protocol: seconds (wall, CPU) per 100 evaluations, regret, HV ratio."""
    from agents.bench import hv_ratio, run_one
    from agents.tasks import optimum

    enumeration = time.process_time()
    opt = optimum(task_id)  # enumerated before the clock starts (cached per process)
    enumeration = time.process_time() - enumeration
    cpu = time.process_time()
    run = run_one(task_id, "bo", seed, budget, config)
    cpu = time.process_time() - cpu
    per100 = 100.0 / max(run["evaluations"], 1)
    best = float(np.min(run["feasible_curve"])) if run["feasible_curve"] else np.inf
    out = {"task": task_id, "seed": seed, "evaluations": run["evaluations"],
           "wall_s_per_100": run["wall_time_s"] * per100, "cpu_s_per_100": cpu * per100,
           "regret_pct": float(opt.regret(best)) * 100 if np.isfinite(best) else None,
           "enumeration_cpu_s": enumeration, "load": os.getloadavg()[0]}
    if "front" in run:
        out["hv_ratio"] = hv_ratio(run["front"], opt)
    return out


def summarise(runs: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, list[Any]]]:
    """Per task, by seed: wall and CPU s/100, regret %, HV ratio (multi-objective tasks)."""
    out: dict[str, dict[str, list[Any]]] = {}
    for r in sorted(runs, key=lambda r: r["seed"]):
        t = out.setdefault(r["task"], {"seed": [], "wall": [], "cpu": [], "regret": [], "hv": []})
        t["seed"].append(r["seed"])
        t["wall"].append(r["wall_s_per_100"])
        t["cpu"].append(r["cpu_s_per_100"])
        t["regret"].append(r["regret_pct"])
        if "hv_ratio" in r:
            t["hv"].append(r["hv_ratio"])
    return out


def _order(task: str) -> int:
    """A task's place in the benchmark's own order (``TASKS``)."""
    from agents.tasks import TASKS

    return list(TASKS).index(task) if task in TASKS else len(TASKS)


def _per_seed(values: Sequence[float | None], digits: int = 1) -> str:
    return " / ".join("—" if v is None else f"{v:.{digits}f}" for v in values)


def table(after: Mapping[str, Any], before: Mapping[str, Any] | None) -> str:
    """Markdown: per task, per seed (seed order): wall and CPU s/100, regret %, HV ratio; before
    and after."""
    now = dict(sorted(summarise(after["runs"]).items(), key=lambda kv: _order(kv[0])))
    old = summarise(before["runs"]) if before else {}
    columns = [("seed", "seeds", 0), ("wall", "wall s/100", 1), ("cpu", "CPU s/100", 1), ("regret", "regret %", 2), ("hv", "HV ratio", 3)]
    head = ["task"] + [f"{label} {when}" for _, label, _ in columns
                       for when in (("before", "after") if before else ("",))]
    lines = ["| " + " | ".join(h.strip() for h in head) + " |", "|" + "---|" * len(head)]
    for task, s in now.items():
        cells = [task]
        for key, _, digits in columns:
            if before:
                cells.append(_per_seed(old[task][key], digits) if task in old else "")
            cells.append(_per_seed(s[key], digits))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _split(text: str) -> list[str]:
    return [x for x in text.split(",") if x]


def _load(paths: str) -> dict[str, Any]:
    """Runs merged from comma-separated JSON files (the later file's run wins for a task and seed),
    with each file's meta kept."""
    merged: dict[tuple[str, int], Any] = {}
    metas = []
    for path in _split(paths):
        report = json.loads(Path(path).read_text())
        metas.append(report["meta"])
        merged.update({(r["task"], r["seed"]): r for r in report["runs"]})
    return {"metas": metas, "runs": list(merged.values())}


def _sources(label: str, report: Mapping[str, Any]) -> str:
    lines = []
    for m in report["metas"]:
        p = m["provenance"]
        lines.append(f"- {label}: `{p['command']}` at commit `{p['commit']}`, {p['date']}, seeds "
                     f"{m['seeds']}, BO config {json.dumps(m['config']) if m['config'] else 'bo.yaml defaults'}")
    return "\n".join(lines)


def bench_estimate(report: Mapping[str, Any], seeds: int = 3) -> str:
    """The default ``archgym bench``'s BO share and its enumerations, in CPU seconds, from these runs:
    ``seeds`` × each task's mean BO CPU per run, and each task's enumeration once."""
    by_task: dict[str, list[float]] = {}
    enumeration: dict[str, float] = {}
    for r in report["runs"]:
        by_task.setdefault(r["task"], []).append(r["cpu_s_per_100"] * r["evaluations"] / 100)
        enumeration[r["task"]] = max(enumeration.get(r["task"], 0.0), r.get("enumeration_cpu_s", 0.0))
    bo = seeds * sum(float(np.mean(v)) for v in by_task.values())
    return (f"Default `archgym bench` share from these runs ({len(by_task)} tasks): BO {bo:.0f} CPU s "
            f"({seeds} seeds × each task's mean CPU per run), enumerating the optima "
            f"{sum(enumeration.values()):.0f} CPU s (tasks whose runs recorded it).")


def main(argv: Sequence[str] | None = None) -> None:
    from agents.tasks import TASKS

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", default="", help="task ids, comma-separated (default: every task)")
    p.add_argument("--seeds", default="0", help="seeds, comma-separated")
    p.add_argument("--budget", type=int, default=100, help="evaluations per run")
    p.add_argument("--config", default="{}", help="BO hyperparameters over bo.yaml's, as JSON")
    p.add_argument("--json", type=Path, default=None, help="write the raw runs here")
    p.add_argument("--render", default="", help="no runs: the table of these JSON files (comma-separated)")
    p.add_argument("--baseline", default="", help="earlier runs' JSON files (comma-separated): 'before' columns")
    p.add_argument("--markdown", type=Path, default=RESULTS, help="the table's path")
    p.add_argument("--note", default="", help="a paragraph under the sources (e.g. what runs outside git measured)")
    args = p.parse_args(argv)
    run = provenance.stamp()
    if args.render:
        after = _load(args.render)
    else:
        import botorch  # noqa: F401 - imported before the clock: the first run would pay it

        config = json.loads(args.config)
        seeds = [int(s) for s in _split(args.seeds)]
        runs = []
        for task in _split(args.tasks) or list(TASKS):
            for seed in seeds:
                runs.append(measure(task, seed, args.budget, config))
                r = runs[-1]
                print(f"{task} seed {seed}: {r['wall_s_per_100']:.1f} s/100 wall, {r['cpu_s_per_100']:.1f} CPU, "
                      f"regret {r['regret_pct']}, HV {r.get('hv_ratio')}, load {r['load']:.1f}", flush=True)
                report = {"meta": {"provenance": run, "budget": args.budget, "seeds": seeds, "config": config},
                          "runs": runs}
                if args.json:   # after every run: a stopped measurement keeps what it measured
                    args.json.write_text(json.dumps(report, indent=1))
        after = {"metas": [report["meta"]], "runs": runs}
    before = _load(args.baseline) if args.baseline else None
    loads = [r["load"] for r in after["runs"]]
    body = (f"BO under the bench protocol (`agents.bench.run_one`), 100 evaluations (fewer where the space "
            f"runs out: the coopt tasks have 72 designs; s/100 is scaled to 100). Cells list seeds in order "
            f"(the seeds column names them). Target: ≤ 15 s/100. "
            f"1-min load average {min(loads):.1f}–{max(loads):.1f} on {os.cpu_count()} cores while measuring "
            f"(others' jobs): read CPU time (the process's), which load moves less; wall time is inflated "
            f"by the load. The first run of a process that did not import BoTorch first pays ~2–3 CPU s of imports.\n\n"
            + _sources("after", after) + "\n" + (_sources("before", before) + "\n" if before else "")
            + (f"\n{args.note}\n" if args.note else "")
            + "\n" + table(after, before) + "\n\n" + bench_estimate(after) + "\n")
    provenance.write_results(args.markdown, "BO speed and regret on every benchmark task (issue 17)", body, run)
    print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
