"""Figures from a benchmark JSON (``archgym bench --json``): anytime regret curves per task (regret
in % over feasible designs, with the fraction of runs that have one) and Pareto fronts of the
multi-objective tasks, as PNG files."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import ConfigError

FLOOR_PCT = 0.01  # regret 0 is drawn at this value on the log axis


def load_bench(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable benchmark JSON ({exc})") from None
    if not isinstance(data, dict) or "tasks" not in data:
        raise ConfigError(f"{path}: not a benchmark JSON (no 'tasks'; write one with `archgym bench --json`)")
    return data


def plot_bench(bench_json_path: str | Path, out_dir: str | Path) -> list[Path]:
    """Draw ``regret_<task>.png`` for every task and ``pareto_<task>.png`` for multi-objective
    tasks into ``out_dir``; returns the paths written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = load_bench(bench_json_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for tid, entry in data["tasks"].items():
        fig = regret_figure(plt, tid, entry)
        fig.savefig(out / f"regret_{tid}.png", dpi=120)
        plt.close(fig)
        written.append(out / f"regret_{tid}.png")
        if "exact_front" in entry:
            written.append(_pareto(plt, entry, out / f"pareto_{tid}.png"))
    return written


def regret_figure(plt: Any, tid: str, entry: dict[str, Any]) -> Any:
    """Top: median and IQR regret (%, log axis) over feasible designs, drawn only where a median
    exists (an IQR open above reaches the top of the axis); bottom: the fraction of runs that have
    found a feasible design."""
    fig, (ax, feas) = plt.subplots(2, 1, figsize=(6.4, 5.6), sharex=True, height_ratios=(3, 1),
                                   layout="constrained")
    curves = {name: _curve(a["curve"]) for name, a in entry["agents"].items()}
    finite = np.concatenate([c[k][np.isfinite(c[k])] for c in curves.values() for k in ("median", "q75")])
    top = max(10 ** np.ceil(np.log10(max(finite.max(initial=0.0), 10 * FLOOR_PCT))), 10.0)
    for k, (name, c) in enumerate(curves.items()):
        has = np.isfinite(c["median"])
        ax.plot(c["evals"], np.where(has, np.maximum(c["median"], FLOOR_PCT), np.nan), color=f"C{k}", label=name)
        q75 = np.where(np.isfinite(c["q75"]), c["q75"], top)
        ax.fill_between(c["evals"], np.maximum(np.nan_to_num(c["q25"], nan=top), FLOOR_PCT),
                        np.maximum(q75, FLOOR_PCT), where=has, color=f"C{k}", alpha=0.2, lw=0)
        feas.plot(c["evals"], c["feasible_fraction"], color=f"C{k}", label=name)
    ax.axhline(5.0, color="grey", lw=0.8, ls="--")
    ax.set(xscale="log", yscale="log", ylim=(FLOOR_PCT, top),
           ylabel="regret, % above optimum\n(feasible designs only)")
    ax.set_title("\n".join(textwrap.wrap(f"{tid}: {entry.get('objective', '')}", 60)), fontsize=10)
    ax.legend(fontsize=8)
    feas.set(xscale="log", ylim=(-0.05, 1.05), xlabel="simulator evaluations",
             ylabel="runs with a\nfeasible design")
    return fig


def _curve(curve: dict[str, Any]) -> dict[str, np.ndarray]:
    """A bench curve as float arrays, ``null`` (no feasible design) as NaN; a JSON from before the
    feasible-only protocol has no ``feasible_fraction``, which is then NaN (not drawn)."""
    out = {k: np.array([np.nan if v is None else v for v in curve[k]], dtype=float)
           for k in ("evals", "median", "q25", "q75")}
    out["feasible_fraction"] = np.asarray(curve.get("feasible_fraction", np.full(len(out["evals"]), np.nan)), dtype=float)
    return out


def _pareto(plt: Any, entry: dict[str, Any], path: Path) -> Path:
    """Latency × energy projection of the exact front and each agent's found front (seed 0);
    colour encodes the third objective (area)."""
    names = [o.split(":", 1)[-1] for o in entry.get("objectives", [])]
    exact = np.asarray(entry["exact_front"])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    sc = ax.scatter(10 ** exact[:, 0], 10 ** exact[:, 1], c=exact[:, 2] if exact.shape[1] > 2 else None,
                    s=14, marker="s", cmap="viridis", label="exact front (enumerated)", alpha=0.6)
    markers = "o^vD*xP"
    for k, (name, a) in enumerate(entry["agents"].items()):
        front = np.asarray(a.get("front") or [])
        if len(front):
            hv = a.get("hv_ratio", {}).get("median")
            label = f"{name} (HV ratio {hv:.3f})" if hv is not None else name
            ax.scatter(10 ** front[:, 0], 10 ** front[:, 1], s=22, marker=markers[k % len(markers)],
                       facecolors="none", edgecolors=f"C{k}", label=label)
    if exact.shape[1] > 2:
        fig.colorbar(sc, ax=ax, label=f"log10 {names[2] if len(names) > 2 else 'objective 3'}")
    ax.set(xscale="log", yscale="log", xlabel=names[0] if names else "objective 1",
           ylabel=names[1] if len(names) > 1 else "objective 2", title=f"Pareto front: {entry['id']}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
