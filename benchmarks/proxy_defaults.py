"""Which proxy should ``fit-proxy`` give a user by default? Candidates fitted on the project's
proxy-data recipe (``configs/sweeps/proxy-data-systolic.yaml``: systolic, preset tpu-v1,
analytical fidelity, five workloads) and scored on the scale a user reads: latency in seconds on
300 fresh random designs of ``archgym/Systolic-v1`` evaluated through the env with and without
``backend="proxy:DIR"`` (issue 21's check), and on the 20 % of rows the fit never saw.

Run (after ``benchmarks/proxy_issue_check.py`` has filled the store):
``OMP_NUM_THREADS=2 .venv/bin/python benchmarks/proxy_defaults.py [--only gbm-roofline,…]``
Writes ``benchmarks/results/proxy_defaults.md`` (+ ``.json``) with provenance.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archgym.store import RunStore
from benchmarks.provenance import stamp, write_results
from benchmarks.proxy_issue_check import check
from cost_models.data import load_dataset
from cost_models.fit import fit_and_report

TARGETS = ["latency_s"]   # the headline target (one regressor per candidate keeps the run short)
#: name → (model, feature set, hyperparameters); empty hyperparameters = the model's defaults
CANDIDATES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "gbm-roofline": ("gbm", "roofline", {}),
    "gbm-roofline-raw": ("gbm", "roofline", {"residual": 0}),
    "mlp-roofline-raw": ("mlp", "roofline", {"epochs": 100, "residual": 0}),
    "gbm-basic": ("gbm", "basic", {}),
    "gbm-roofline-deep": ("gbm", "roofline", {"n_estimators": 1000, "learning_rate": 0.1, "max_depth": 8}),
    "rf-roofline": ("rf", "roofline", {"n_estimators": 100}),
    "mlp-roofline": ("mlp", "roofline", {"epochs": 100}),
    "gbm-multifidelity": ("gbm", "multifidelity", {}),
}


def run(store: str, names: list[str], designs: int, seed: int) -> list[dict[str, Any]]:
    with RunStore(store) as s:
        data = load_dataset(s)
    rows = []
    for name in names:
        kind, features, params = CANDIDATES[name]
        t0 = time.perf_counter()
        model, rep = fit_and_report(data, TARGETS, kind, features, seed=seed, test_workloads=[],
                                    speed=features == "multifidelity", fresh=0, **dict(params))
        fit_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            env = check(str(model.save(tmp)), designs, 21)
        row = {"name": name, "model": kind, "features": features, "params": params, "fit_s": fit_s,
               "split": rep["splits"]["random"]["scores"]["latency_s"], "env": env,
               "speedup_batched": rep.get("speed", {}).get("speedup_batched")}
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    lines = [("Latency of the proxy against the simulator, in seconds (the user's scale). *env*: 300 fresh "
             "random designs of `archgym/Systolic-v1` (ResNet-18, preset tpu-v1) with and without "
             "`backend=\"proxy:DIR\"`, RMSE as % of their latency range; *split*: the 20 % of the recipe's "
             "20 000 rows the fit never saw (five workloads), RMSE as % of the data set's latency range."), "",
             ("| candidate | model | features | env τ | env RMSE % range | env MAPE % | split τ | split RMSE % range "
             "| split MAPE % | split bias % | fit s |"), "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: r["env"]["rmse_pct_range"]):
        e, s = r["env"], r["split"]
        lines.append(f"| {r['name']} | {r['model']} | {r['features']} | {e['kendall_tau']:.4f} | "
                     f"{e['rmse_pct_range']:.3f} | {e['mape_pct']:.2f} | {s['kendall_tau']:.4f} | "
                     f"{s['rmse_pct_range_linear']:.3f} | {s['mape_pct']:.2f} | {s['bias_pct']:+.2f} | {r['fit_s']:.0f} |")
    lines += ["", ("Rows may come from several runs (`--append`); each row's own commit and date are in the JSON "
              "(`rows[].provenance`). One seed each; `-raw` = `residual=0` (no roofline offset). "
              "`multifidelity` on analytical rows is exact because the model it imitates is one of its features.")]
    sp = [r for r in rows if r["speedup_batched"]]
    if sp:
        lines += ["", "Batched speed-up over the analytical model it imitates: " + ", ".join(
            f"{r['name']} {r['speedup_batched']:.2f}×" for r in sp) + " (a proxy built on the model's own "
            "output is no faster than the model)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--store", default="runs/proxy-systolic.db")
    ap.add_argument("--only", default=",".join(CANDIDATES))
    ap.add_argument("--designs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="benchmarks/results/proxy_defaults.md")
    ap.add_argument("--append", action="store_true", help="keep the other candidates' rows of --out's JSON")
    args = ap.parse_args()
    run_stamp = stamp()
    rows = run(args.store, [n for n in args.only.split(",") if n], args.designs, args.seed)
    for r in rows:
        r["provenance"] = run_stamp
    out = Path(args.out)
    if args.append and out.with_suffix(".json").exists():
        names = {r["name"] for r in rows}
        rows = [r for r in json.loads(out.with_suffix(".json").read_text())["rows"] if r["name"] not in names] + rows
    out.with_suffix(".json").write_text(json.dumps({"meta": {"provenance": run_stamp}, "rows": rows}, indent=1))
    write_results(out, "Proxy defaults: candidates on the proxy-data recipe", render(rows), run_stamp)


if __name__ == "__main__":
    main()
