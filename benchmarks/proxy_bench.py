"""Proxy cost models on the systolic cycle-level simulator: accuracy, speed-up, proxy-in-the-loop search.

Run (≈ 10 min on 2 cores at the default sizes):
``OMP_NUM_THREADS=2 .venv/bin/python benchmarks/proxy_bench.py [--designs 4000] [--out benchmarks/results/proxy.md]``

1. *Held-out designs* — ``--designs`` random designs of the ``scalesim``-preset space on ResNet-18,
   simulated at ``cycle`` fidelity and logged to a run store; each model is fitted on 80 % and scored
   on the other 20 % (RMSE as % of the log10 range and in log10, linear RMSE % of range, MAPE,
   Kendall τ), for the ``roofline``, ``basic`` and ``multifidelity`` feature sets.
2. *Held-out workloads* — single-layer workloads (conv / GEMM / GEMV layers of the zoo), fitted on
   most of them and scored on layers never seen in training.
3. *Speed* — seconds per evaluation of the cycle-level simulator vs the proxy (batched and single),
   same process, same designs.
4. *Search* — ``proxy-screen`` (random pool, and screening for simulated annealing) vs the same agent
   without the proxy, on the analytical model of the same space (exact optimum by enumeration);
   evaluations each needs to reach the baseline's final regret, median over seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archgym.evaluator import Evaluator
from archgym.metrics import derive
from archgym.store import RunStore
from benchmarks.provenance import committed_in, header, stamp, write_results
from cost_models.data import Dataset, collect, load_dataset
from cost_models.evaluation import TABLE_HEADER, summary_row
from cost_models.fit import fit_and_report

TARGETS = ["latency_s", "energy_j", "area_mm2"]
PRESET = "scalesim"
MODELS: dict[str, dict[str, Any]] = {
    "gbm": {"n_estimators": 300, "learning_rate": 0.1, "max_depth": 6},
    "rf": {"n_estimators": 100, "max_features": 0.5},
    "mlp": {"epochs": 100, "hidden": 256, "layers": 3, "batch_size": 256},
    "gp": {"max_points": 1000, "maxiter": 100},
}
FEATURE_SETS = {"gbm": ("roofline", "basic", "multifidelity"), "mlp": ("roofline", "multifidelity"),
                "rf": ("roofline",), "gp": ("roofline",)}
LAYER_WORKLOADS = [
    "conv2d:C=64,K=64,H=56,W=56,R=3,S=3,pad=1", "conv2d:C=128,K=128,H=28,W=28,R=3,S=3,pad=1",
    "conv2d:C=256,K=256,H=14,W=14,R=3,S=3,pad=1", "conv2d:C=3,K=64,H=224,W=224,R=7,S=7,stride=2,pad=3",
    "conv2d:C=64,K=256,H=56,W=56,R=1,S=1", "conv2d:C=512,K=512,H=7,W=7,R=3,S=3,pad=1",
    "gemm:M=128,N=768,K=768", "gemm:M=128,N=3072,K=768", "gemm:M=512,N=512,K=512",
    "gemm:M=1024,N=256,K=64", "gemv:M=4096,K=4096", "gemv:M=768,K=3072,B=4",
]
HELD_OUT_LAYERS = ["conv2d:C=128,K=128,H=28,W=28,R=3,S=3,pad=1", "gemm:M=128,N=3072,K=768", "gemv:M=768,K=3072,B=4"]


def current_rows(store: RunStore, run_id: str | None = None) -> Dataset:
    """The store's cycle-level rows; :func:`load_dataset` refuses rows another model version logged
    (resuming :func:`collect` keeps them, and a proxy fitted on them imitates that version)."""
    return load_dataset(store, fidelity="cycle", run_id=run_id)


def accuracy(store_path: Path, designs: int, models: list[str], seed: int) -> list[dict[str, Any]]:
    reports = []
    with RunStore(store_path) as store:
        t0 = time.perf_counter()
        collect(store, "systolic", ["resnet18"], designs, "cycle", PRESET, seed=seed, run_prefix="bench-designs")
        print(f"collected {store.count()} cycle-level rows in {time.perf_counter() - t0:.0f} s")
        data = current_rows(store, "bench-designs-systolic-cycle-0")
    for kind in models:
        for feature_set in FEATURE_SETS[kind]:
            t0 = time.perf_counter()
            _, rep = fit_and_report(data, TARGETS, kind, feature_set, seed=seed, **MODELS[kind])
            rep["fit_s"] = time.perf_counter() - t0
            reports.append(rep)
            r = rep["splits"]["random"]["scores"]
            print(f"{kind:4s} {feature_set:9s} fit {rep['fit_s']:6.1f} s  " + "  ".join(
                f"{t}: {r[t]['rmse_pct_range']:.3f}% τ={r[t]['kendall_tau']:.3f}" for t in TARGETS)
                + f"  speed-up {rep['speed']['speedup_batched']:.0f}×")
    return reports


def held_out_layers(store_path: Path, per_layer: int, kind: str, seed: int) -> list[dict[str, Any]]:
    with RunStore(store_path) as store:
        collect(store, "systolic", LAYER_WORKLOADS, per_layer, "cycle", PRESET, seed=seed, run_prefix="bench-layers")
        data = current_rows(store)
    data = data.subset(np.flatnonzero([w in LAYER_WORKLOADS for w in data.workload_names]))
    reports = []
    for feature_set in ("roofline", "multifidelity"):
        _, rep = fit_and_report(data, TARGETS, kind, feature_set, seed=seed, test_workloads=HELD_OUT_LAYERS,
                                speed=False, **MODELS[kind])
        w = rep["splits"]["workload"]["scores"]
        print(f"held-out layers ({kind}, {feature_set}): " + "  ".join(
            f"{t}: {w[t]['rmse_pct_range']:.3f}% τ={w[t]['kendall_tau']:.3f}" for t in TARGETS))
        reports.append(rep)
    return reports


def exact_costs(ev: Evaluator) -> np.ndarray:
    out = []
    for idx in ev.space.iter_index_chunks(65536):
        cols = ev.space.indices_to_columns(idx)
        bad = np.any(np.stack(list(ev.space.violations_batch(cols).values())), axis=0) if ev.space.constraints \
            else np.zeros(len(idx), bool)
        br = ev.simulator.evaluate_batch(cols, ev.workload)
        out.append(ev.objective.cost_batch(derive(br.metrics), br.valid & ~bad))
    return np.concatenate(out)


def search(seeds: int, budget: int, workload: str) -> dict[str, Any]:
    from agents.base import run
    from agents.registry import make_agent
    from agents.screening import ProxyScreenAgent

    ev0 = Evaluator.build("systolic", workload, preset=PRESET, objective="edp")
    optimum = float(exact_costs(ev0).min())
    pairs = [("random", {}), ("sa", {}), ("ga", {})]
    rows = []
    for base, hp in pairs:
        curves: dict[str, list[np.ndarray]] = {"base": [], "proxy": []}
        for seed in range(seeds):
            for which in ("base", "proxy"):
                ev = Evaluator.build("systolic", workload, preset=PRESET, objective="edp")
                agent = (make_agent(base, ev.space, ev.objective, seed, hp) if which == "base" else
                         ProxyScreenAgent(ev.space, ev.objective, seed, base=base,
                                          pool=2000 if base == "random" else 400))
                h = run(agent, ev, budget, batch_size=8)
                curves[which].append(h.best_so_far - optimum)
        final = float(np.median([c[-1] for c in curves["base"]]))
        need = {w: [int(np.argmax(c <= final + 1e-12)) + 1 if (c <= final + 1e-12).any() else None
                    for c in curves[w]] for w in curves}
        med = {w: (float(np.median([n if n is not None else np.inf for n in v]))) for w, v in need.items()}
        row = {"agent": base, "budget": budget, "seeds": seeds, "target_regret": final,
               "evals_base": med["base"], "evals_proxy": med["proxy"], "saving": med["base"] / med["proxy"],
               "final_regret_proxy": float(np.median([c[-1] for c in curves["proxy"]])),
               "per_seed_proxy": need["proxy"], "per_seed_base": need["base"]}
        print(f"search {base}: base reaches regret {final:.4f} in {med['base']:.0f} evals (median), "
              f"proxy-screen in {med['proxy']:.0f} → {row['saving']:.1f}× fewer")
        rows.append(row)
    return {"workload": workload, "optimum_cost": optimum, "space_size": ev0.space.size, "rows": rows}


def markdown(reports: list[dict[str, Any]], layers: dict[str, Any] | None, srch: dict[str, Any] | None,
             args: argparse.Namespace, measured: str) -> str:
    out = [measured, "",
           (f"Settings: `--designs {args.designs} --per-layer {args.per_layer} "
           f"--seeds {args.seeds} --budget {args.budget}` (seed {args.seed}). Preset `{PRESET}` space "
           "(rows, cols 4–128, dataflow os/ws/is, three SRAMs, DRAM bandwidth), cycle fidelity, "
           "targets fitted as log10. `RMSE % range (log)` = RMSE of log10 predictions / log10 range of the "
           "target over the data set; `(linear)` = RMSE of the values / their range. Rows logged by another "
           "model version of the simulator are refused (every row records its model version)."
           + (f" Parts kept from the previous results (`--skip {args.skip}`): {args.skip.replace(',', ', ')}."
              if args.skip else "")), "",
           "## Held-out designs (ResNet-18, random 80/20 split)", ""]
    for rep in reports:
        sp = rep["speed"]
        out += [f"### {rep['model']} — {rep['feature_set']} features ({rep['rows']} rows, fit {rep['fit_s']:.0f} s)", "",
                TABLE_HEADER]
        out += [summary_row(t, "random", s) for t, s in rep["splits"]["random"]["scores"].items()]
        out += ["", (f"Speed on {sp['workload']}: cycle simulator {sp['sim_s_per_eval'] * 1e3:.2f} ms/eval, proxy "
                    f"{sp['proxy_s_per_eval_batched'] * 1e6:.1f} µs/eval in batches of {sp['proxy_batch']} "
                    f"(**{sp['speedup_batched']:.0f}×**), {sp['proxy_s_per_eval_single'] * 1e3:.2f} ms for one design "
                    f"({sp['speedup_single']:.1f}×)."), ""]
    if layers:
        w0 = layers[0]["splits"]["workload"]
        out += ["## Held-out workloads (unseen layers)", "",
                (f"Trained on {len(layers[0]['workloads']) - len(w0['test_workloads'])} single-layer workloads, "
                f"tested on {', '.join(f'`{x}`' for x in w0['test_workloads'])} (never seen in training)."), ""]
        for rep in layers:
            w = rep["splits"]["workload"]
            out += [f"### {rep['model']} — {rep['feature_set']} features ({w['n_train']} train / {w['n_test']} test rows)",
                    "", TABLE_HEADER]
            out += [summary_row(t, "workload", s) for t, s in w["scores"].items()]
            out.append("")
    if srch:
        out += ["## Proxy-in-the-loop search", "",
                (f"`proxy-screen` vs the same agent without the proxy, EDP on `{srch['workload']}` "
                f"(analytical model of the same space, {srch['space_size']} designs, exact optimum by enumeration). "
                "Evaluations = real simulator calls until the best design's regret reaches the baseline's "
                "median final regret; median over seeds."), "",
                ("| agent | seeds | budget | target regret (= final without proxy) | evals without proxy | "
                "evals with proxy | saving | final regret with proxy |"),
                "|---|---|---|---|---|---|---|---|"]
        for r in srch["rows"]:
            out.append(f"| {r['agent']} | {r['seeds']} | {r['budget']} | {r['target_regret']:.4f} | "
                       f"{r['evals_base']:.0f} | {r['evals_proxy']:.0f} | **{r['saving']:.1f}×** | "
                       f"{r['final_regret_proxy']:.4f} |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--designs", type=int, default=8000)
    p.add_argument("--per-layer", type=int, default=300)
    p.add_argument("--models", default="mlp,gbm,rf,gp")
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--budget", type=int, default=400)
    p.add_argument("--search-workload", default="resnet18")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--store", default="runs/proxy_bench.db")
    p.add_argument("--out", default="benchmarks/results/proxy.md")
    p.add_argument("--skip", default="", help="comma list of parts to skip (accuracy,layers,search); "
                   "skipped parts are kept from the previous JSON results when present")
    args = p.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    store = Path(args.store)
    store.parent.mkdir(parents=True, exist_ok=True)
    results = Path(args.out).with_suffix(".json")
    previous = json.loads(results.read_text()) if skip and results.is_file() else {}
    reports = previous.get("accuracy", []) if "accuracy" in skip else \
        accuracy(store, args.designs, args.models.split(","), args.seed)
    layers = previous.get("layers") if "layers" in skip else held_out_layers(store, args.per_layer, "gbm", args.seed)
    srch = previous.get("search") if "search" in skip else search(args.seeds, args.budget, args.search_workload)
    rendered_only = skip >= {"accuracy", "layers", "search"}
    run = previous.get("provenance") if rendered_only else stamp()
    measured = f"Measured: {header(run)}" if run else \
        f"Measured before runs recorded their provenance; results JSON committed in {committed_in(results)}."
    write_results(args.out, "Proxy cost models of the systolic cycle-level simulator",
                  markdown(reports, layers, srch, args, measured))
    if not rendered_only:
        results.write_text(json.dumps({"accuracy": reports, "layers": layers, "search": srch, "provenance": run},
                                      indent=1, default=str))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
