"""Rebuild the accuracy tables (nas/data/<space>-<task>.json) and write benchmarks/results/nas_table.md.

Resumable: a table's existing rows (same version, recipe and seeds) are kept and only missing
architectures are trained; the JSON is rewritten after every architecture.

    python -m benchmarks.nas_table                      # all tables, 1 worker
    python -m benchmarks.nas_table --tables cell-digits --workers 2
    python -m benchmarks.nas_table --report-only        # the results table from the shipped JSONs
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata as md
import json
import os
import time
from collections.abc import Iterator
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import kendalltau

from benchmarks.provenance import ROOT, met, stamp, write_results
from benchmarks.provenance import header as header_line
from nas.archs import Arch
from nas.predictor import holdout_tau
from nas.space import get_space
from nas.table import DATA, FORMAT, SPLITS, TABLE_VERSION, AccuracyTable, table_path
from nas.tasks import TASKS, get_task
from nas.train import RECIPE, SEEDS, recipe_dict, train

#: (space, task, architectures): the cell space exhaustively; the MobileNetV2-style space as a
#: balanced sample (63 blocks of 6) so that digits has ≥ 500 architectures (docs/nas.md)
TABLES = {"cell-digits": ("cell", "digits", None), "cell-digits-rot": ("cell", "digits-rot", None),
          "mbv2-digits": ("mbv2", "digits", 378)}
SAMPLE_SEED = 0
RESULTS = ROOT / "benchmarks" / "results" / "nas_table.md"


def archs_of(name: str) -> list[Arch]:
    space_name, _, n = TABLES[name]
    space = get_space(space_name)
    return list(space.enumerate()) if n is None else space.stratified(np.random.default_rng(SAMPLE_SEED), n)


def header(space: str, task: str) -> dict[str, Any]:
    """A new table's header: what makes its numbers what they are."""
    t = get_task(task)
    return {"format": FORMAT, "version": TABLE_VERSION, "space": space, "task": task,
            "dataset": {"source": "sklearn.datasets.load_digits (ships in scikit-learn; no download)",
                        "classes": t.classes, "sizes": {k: len(v) for k, v in t.y.items()},
                        "resolution": get_space(space).resolution},
            "recipe": recipe_dict(), "seeds": list(SEEDS),
            "versions": {p: md.version(p) for p in ("torch", "scikit-learn", "numpy")},
            "provenance": stamp(), "archs": {}}


def _job(args: tuple[Arch, str]) -> tuple[Arch, list[dict[str, float]]]:
    arch, task = args
    return arch, [train(arch, task, seed) for seed in SEEDS]


def build(name: str, workers: int, root: Path) -> dict[str, Any]:
    """Train the table's missing architectures; return the table."""
    space, task, _ = TABLES[name]
    path = table_path(space, task, root)
    fresh = header(space, task)
    data = json.loads(path.read_text()) if path.exists() else fresh
    for field in ("version", "recipe", "seeds"):
        if data[field] != fresh[field]:
            raise SystemExit(f"{path}: {field} {data[field]!r} differs from this code's {fresh[field]!r}; "
                             "move the file away to rebuild")
    root.mkdir(parents=True, exist_ok=True)
    todo = [(a, task) for a in archs_of(name) if a.key not in data["archs"]]
    print(f"{name}: {len(data['archs'])} done, {len(todo)} to train", flush=True)
    with Pool(workers) if workers > 1 else contextlib.nullcontext() as pool:
        results: Iterator[tuple[Arch, list[dict[str, float]]]] = pool.imap(_job, todo) if pool else map(_job, todo)
        for i, (arch, runs) in enumerate(results, 1):
            data["archs"][arch.key] = {
                **{s: [r[s] for r in runs] for s in SPLITS},
                **{t: [round(r[t], 3) for r in runs] for t in ("wall_s", "cpu_s")},
                "params": int(runs[0]["params"]), "epochs": RECIPE.epochs}
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1))
            os.replace(tmp, path)
            if i % 10 == 0:
                print(f"{name}: {i}/{len(todo)} {time.strftime('%H:%M:%S')}", flush=True)
    return data


def _stats(table: AccuracyTable) -> dict[str, Any]:
    rows = [table.row(a) for a in table.archs()]
    test = table.accuracies()
    seeds = np.array([r["test"] for r in rows])
    wall, cpu = (np.array([x for r in rows for x in r[k]]) for k in ("wall_s", "cpu_s"))
    tau, held = holdout_tau(table) if len(rows) >= 20 else (float("nan"), 0)
    return {"archs": len(rows), "runs": len(wall), "acc": test, "gap": np.abs(seeds[:, 0] - seeds[:, 1]).mean(),
            "seed_tau": float(kendalltau(seeds[:, 0], seeds[:, 1]).statistic), "tau": tau, "held": held,
            "wall": wall, "cpu": cpu}


def report(names: list[str], root: Path) -> str:
    """The results table of the shipped JSONs (what each measured, how long it took, the predictor)."""
    lines = [("| table | archs | runs | test acc min / median / max | mean seed gap | seed-0 vs seed-1 τ | "
             "predictor τ (held out) | wall s per run (mean / median) | CPU s per run | total wall h | total CPU h |"),
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    digits_archs, cpu_total, wall_total, taus, built = 0, 0.0, 0.0, [], ["", "Each table was built by:"]
    for name in names:
        space, task, _ = TABLES[name]
        if not table_path(space, task, root).exists():
            continue
        table = AccuracyTable.load(table_path(space, task, root))
        st = _stats(table)
        built.append(f"- `{name}`: {header_line(table.data['provenance'])}")
        digits_archs += st["archs"] if task == "digits" else 0
        cpu_total, wall_total = cpu_total + st["cpu"].sum(), wall_total + st["wall"].sum()
        taus.append(st["tau"])
        a = st["acc"]
        lines.append(f"| {name} | {st['archs']} | {st['runs']} | {a.min():.3f} / {np.median(a):.3f} / {a.max():.3f} "
                     f"| {st['gap']:.3f} | {st['seed_tau']:.2f} | {st['tau']:.2f} (n={st['held']}) "
                     f"| {st['wall'].mean():.2f} / {np.median(st['wall']):.2f} | {st['cpu'].mean():.2f} "
                     f"| {st['wall'].sum() / 3600:.2f} | {st['cpu'].sum() / 3600:.2f} |")
    two_core_h = cpu_total / 2 / 3600
    lines += ["", "| target | measured | met? |", "|---|---|---|",
              (f"| digits tables cover ≥ 500 architectures × ≥ 2 seeds | {digits_archs} × {len(SEEDS)} "
              f"| {met(digits_archs, 500, at_most=False)} |"),
              (f"| rebuilt ≤ 1 h on 2 cores | {wall_total / 3600:.2f} h: the runs' wall time summed, one "
               f"process on the 2 shared, loaded cores (CPU time / 2 = {two_core_h:.2f} h: what 2 idle cores "
               f"with `--workers 2` would take, projected) | {met(wall_total / 3600, 1.0)} |"),
              (f"| predictor Kendall τ ≥ 0.8 on held-out architectures | "
              f"{', '.join(f'{t:.2f}' for t in taus)} | {met(min(taus, default=None), 0.8, at_most=False)} |")]
    return "\n".join(lines + built)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tables", default=",".join(TABLES), help=f"comma-separated, of {', '.join(TABLES)}")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--root", type=Path, default=DATA, help="where the JSON tables are")
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args()
    names = args.tables.split(",")
    bad = [n for n in names if n not in TABLES]
    if bad:
        raise SystemExit(f"--tables: {bad[0]!r} is not allowed; allowed: {', '.join(TABLES)}")
    assert {t for _, t, _ in TABLES.values()} <= set(TASKS)
    if not args.report_only:
        for name in names:
            build(name, args.workers, args.root)
    body = (f"Recipe: {recipe_dict()}; seeds {list(SEEDS)}; tables in `nas/data/` (format version "
            f"{TABLE_VERSION}); each table's JSON header has its own provenance. Predictor: "
            "`nas.predictor` (gradient-boosted trees); τ is 5-fold cross-validated: every architecture "
            "predicted by a model fitted without it. Seed-0 vs seed-1 τ is the ranking agreement of two trainings of the same "
            "architectures: a ceiling no predictor of a single seed's ranking can beat by much.\n\n"
            + report(list(TABLES), args.root))
    write_results(RESULTS, "Accuracy tables of the architecture spaces (issue 24)", body)
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
