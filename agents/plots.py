"""Figures from a benchmark JSON (``archgym bench --json``): anytime regret curves per task and
Pareto fronts of the multi-objective tasks, as PNG files."""

from __future__ import annotations

import json
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
        fig, ax = plt.subplots(figsize=(6, 4))
        for name, a in entry["agents"].items():
            c = a["curve"]
            x = np.asarray(c["evals"])
            med = np.maximum(np.asarray(c["median"]), FLOOR_PCT)
            ax.plot(x, med, label=name)
            ax.fill_between(x, np.maximum(c["q25"], FLOOR_PCT), np.maximum(c["q75"], FLOOR_PCT), alpha=0.2)
        ax.axhline(5.0, color="grey", lw=0.8, ls="--")
        ax.set(xscale="log", yscale="log", xlabel="simulator evaluations",
               ylabel="regret, % above the exact optimum", title=f"{tid}\n{entry.get('objective', '')}")
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out / f"regret_{tid}.png"
        fig.savefig(path, dpi=120)
        plt.close(fig)
        written.append(path)
        if "exact_front" in entry:
            written.append(_pareto(plt, entry, out / f"pareto_{tid}.png"))
    return written


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
