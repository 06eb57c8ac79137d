"""Accuracy metrics and held-out splits for proxy models.

Per target (on log10 values ``y`` and predictions ``p``), first on the scale a user reads (the
metric in its own unit: seconds, joules, mm²):

* ``rmse_pct_range_linear`` — RMSE of the values as a percentage of their range (ArchGym's
  "RMSE % of range"; the headline);
* ``mape_pct`` — mean absolute relative error, ``bias_pct`` — mean signed relative error (a proxy
  that under-predicts everywhere has ``bias ≈ −MAPE``), ``p90_ape_pct`` — its 90th percentile;
* ``kendall_tau`` — rank agreement of predicted and true values (what a search needs);

then on the log10 scale the models are fitted on:

* ``rmse_log10`` — RMSE in log10 space (0.01 ≈ 2.3 % multiplicative error);
* ``rmse_pct_range`` — ``rmse_log10`` as a percentage of the log10 range of the target.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def score(y: np.ndarray, p: np.ndarray, log_range: float, lin_range: float) -> dict[str, float]:
    """Accuracy of log10 predictions ``p`` against log10 truths ``y`` (1-D arrays)."""
    from scipy.stats import kendalltau

    ok = np.isfinite(y) & np.isfinite(p)
    y, p = y[ok], p[ok]
    rmse = float(np.sqrt(np.mean((p - y) ** 2))) if len(y) else float("nan")
    ly, lp = 10.0 ** y, 10.0 ** p
    rmse_lin = float(np.sqrt(np.mean((lp - ly) ** 2))) if len(y) else float("nan")
    tau = float(kendalltau(y, p).statistic) if len(y) > 1 else float("nan")
    rel = (lp - ly) / ly
    nan = float("nan")
    return {
        "rmse_pct_range_linear": 100.0 * rmse_lin / lin_range if lin_range > 0 else nan,
        "mape_pct": float(100.0 * np.mean(np.abs(rel))) if len(y) else nan,
        "bias_pct": float(100.0 * np.mean(rel)) if len(y) else nan,
        "p90_ape_pct": float(100.0 * np.percentile(np.abs(rel), 90)) if len(y) else nan,
        "kendall_tau": tau,
        "rmse_log10": rmse,
        "rmse_pct_range": 100.0 * rmse / log_range if log_range > 0 else nan,
        "n": len(y),
    }


def ranges(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column log10 range and linear range of log10 targets ``y`` (NaNs ignored)."""
    lin = 10.0 ** y
    return np.nanmax(y, 0) - np.nanmin(y, 0), np.nanmax(lin, 0) - np.nanmin(lin, 0)


def random_split(n: int, test_frac: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    perm = rng.permutation(n)
    n_test = max(1, round(test_frac * n)) if n > 1 else 0
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def workload_split(names: list[str], test_frac: float, rng: np.random.Generator,
                   test_workloads: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Hold out whole workloads (unseen layers): ``test_workloads`` or a random ``test_frac`` of them."""
    unique = sorted(set(names))
    if test_workloads is None:
        if len(unique) < 2:
            return np.arange(len(names)), np.zeros(0, dtype=np.int64), []
        k = min(max(1, round(test_frac * len(unique))), len(unique) - 1)
        test_workloads = sorted(rng.choice(unique, k, replace=False).tolist())
    held = set(test_workloads)
    mask = np.array([n in held for n in names])
    return np.flatnonzero(~mask), np.flatnonzero(mask), list(test_workloads)


def summary_row(target: str, split: str, s: dict[str, Any]) -> str:
    return (f"| {target} | {split} | {s['n']} | {s['rmse_pct_range_linear']:.3f} | {s['mape_pct']:.2f} | "
            f"{s['bias_pct']:+.2f} | {s['kendall_tau']:.4f} | {s['rmse_pct_range']:.3f} |")


TABLE_HEADER = ("| target | split | n test | RMSE % of range | MAPE % | bias % | Kendall τ | RMSE % of log10 range |"
                "\n|---|---|---|---|---|---|---|---|")
