"""Issue 21 point 2, as a user would check it: the project's proxy-data recipe, ``fit-proxy
--model gbm`` with the default features (``--model ''``: every default), then fresh random designs on ``archgym/Systolic-v1``
evaluated through the env with and without ``backend="proxy:DIR"``.

Run: ``OMP_NUM_THREADS=2 .venv/bin/python benchmarks/proxy_issue_check.py --label after``
(``--store`` reuses a recipe store; the sweep is resumable). Writes
``benchmarks/results/proxy_issue_check.md`` (+ ``.json``), one row per ``--label``, with provenance.
The scores are on the scale a user reads: Kendall τ of latency, RMSE of latency in seconds as % of
the fresh designs' latency range, and the mean relative latency error.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from scipy.stats import kendalltau

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import envs  # noqa: F401  (registers the env ids)
from benchmarks.provenance import header, stamp

RECIPE = ROOT / "configs/sweeps/proxy-data-systolic.yaml"
ENV_ID = "archgym/Systolic-v1"
RESULTS = ROOT / "benchmarks/results/proxy_issue_check"


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "archgym", *args], cwd=ROOT, check=True)


def env_latency(backend: str | None, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Latency (s) and validity of the designs ``idx`` (value indices) through the env's evaluator."""
    kw = {"backend": backend} if backend else {}
    env = gym.make(ENV_ID, objective="min:latency_s", **kw)   # the objective does not change the latency
    batch = env.unwrapped.evaluator.evaluate_indices(idx)
    return np.asarray(batch.metrics["latency_s"], dtype=float), np.asarray(batch.valid, dtype=bool)


def check(proxy: str, n: int, seed: int) -> dict[str, Any]:
    """Scores of the proxy on ``n`` fresh random designs of the env's space."""
    env = gym.make(ENV_ID)
    idx = env.unwrapped.space.sample_indices(n, np.random.default_rng(seed))
    true, true_ok = env_latency(None, idx)
    pred, pred_ok = env_latency(f"proxy:{proxy}", idx)
    both = true_ok & pred_ok & np.isfinite(pred)
    t, p = true[both], pred[both]
    return {"designs": n, "valid_sim": int(true_ok.sum()), "valid_proxy": int(pred_ok.sum()),
            "validity_agreement": float(np.mean(true_ok == pred_ok)), "scored": int(both.sum()),
            "kendall_tau": float(kendalltau(t, p).statistic),
            "rmse_pct_range": float(100 * np.sqrt(np.mean((p - t) ** 2)) / (t.max() - t.min())),
            "mape_pct": float(100 * np.mean(np.abs(p - t) / t))}


def render(rows: list[dict[str, Any]]) -> str:
    lines = ["# Issue 21 point 2: proxy-data recipe → `fit-proxy` → fresh designs via the env", "",
             ("*before*/*after*: `fit-proxy --model gbm` with the default features, as in the issue; "
             "*after-defaults*: `fit-proxy` with every default."), ""]
    lines += [("| label | run | designs | valid sim / proxy | validity agreement | scored | latency τ | "
              "latency RMSE % range | latency MAPE % |"), "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['label']} | {header(r['provenance'])} | {r['designs']} | {r['valid_sim']} / "
                     f"{r['valid_proxy']} | {r['validity_agreement']:.3f} | {r['scored']} | {r['kendall_tau']:.4f} | "
                     f"{r['rmse_pct_range']:.3f} | {r['mape_pct']:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--label", required=True, help="row label, e.g. before / after")
    ap.add_argument("--store", default="runs/proxy-systolic.db")
    ap.add_argument("--out", default="runs/proxy-issue-check")
    ap.add_argument("--designs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--model", default="gbm", help="fit-proxy --model (the issue's check: gbm; '' = fit-proxy's default)")
    args = ap.parse_args()
    cli("sweep", str(RECIPE), "--store", args.store)
    cli("fit-proxy", "--store", args.store, *(["--model", args.model] if args.model else []), "--out", args.out,
        "--no-speed")
    row = {"label": args.label, "provenance": stamp(), **check(args.out, args.designs, args.seed)}
    print(json.dumps(row))
    path = RESULTS.with_suffix(".json")
    rows = [r for r in (json.loads(path.read_text()) if path.exists() else []) if r["label"] != args.label]
    rows.append(row)
    path.write_text(json.dumps(rows, indent=1))
    RESULTS.with_suffix(".md").write_text(render(rows))


if __name__ == "__main__":
    main()
