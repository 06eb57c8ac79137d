"""``archgym report``: plots and tables from a run store.

For each run: Pareto-front projections (every pair of objective axes), parameter sensitivity
(objective cost per parameter value), convergence (best cost so far per step), and one
``summary.md`` / ``summary.html`` with the tables and the figures. PNGs are drawn with
matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

import html
import itertools
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from archgym.app.summary import (
    RunSummary,
    cost_matrix,
    feasible_mask,
    label,
    objectives_of,
    pareto_mask,
    summarize,
)
from archgym.errors import ConfigError
from archgym.metrics import Objective, lower_is_better, unit
from archgym.store import RunStore

EXTRA_AXES = ("latency_s", "energy_j", "area_mm2")
MAX_PANELS = 6
PARETO_TABLE_ROWS = 20


@dataclass
class Axis:
    """One plotted quantity: a metric (with its direction) or an objective's cost."""

    name: str
    values: np.ndarray  # as reported
    minimize: bool
    log: bool

    @property
    def cost(self) -> np.ndarray:
        return self.values if self.minimize else -self.values


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Any]]


@dataclass
class RunReport:
    run_id: str
    summary: RunSummary
    tables: list[Table] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "run"


def objective_axes(df: Any, objectives: Sequence[Objective]) -> list[tuple[Objective, Axis]]:
    """One axis per objective whose metrics the run reports: the metric itself for
    minimize/maximize objectives (log scale), the objective's cost otherwise."""
    matrix, used = cost_matrix(df, objectives)
    out = []
    for j, obj in enumerate(used):
        if obj.kind in ("minimize", "maximize"):
            axis = Axis(obj.metric, df[f"m.{obj.metric}"].to_numpy(dtype=float), obj.kind == "minimize", True)
        else:
            axis = Axis(f"cost ({label(obj)})", matrix[:, j], True, False)
        out.append((obj, axis))
    return out


def axes_for(df: Any, objectives: Sequence[Objective]) -> list[Axis]:
    """The objective axes, completed to two with latency, energy or area when the run reports them."""
    out = [axis for _, axis in objective_axes(df, objectives)]
    names = {a.name for a in out}
    for metric in EXTRA_AXES:
        if len(out) >= 2:
            break
        if metric not in names and f"m.{metric}" in df.columns:
            out.append(Axis(metric, df[f"m.{metric}"].to_numpy(dtype=float), lower_is_better(metric), True))
    return out


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _axis_label(name: str) -> str:
    u = unit(name)
    return f"{name} [{u}]" if u and not name.startswith("cost") else textwrap.fill(name, 34)


def plot_pareto(df: Any, objectives: Sequence[Objective], path: Path, title: str) -> Path | None:
    """2-D projections of the feasible designs; the Pareto set over all axes in colour and each
    projection's own 2-D front as a line."""
    feasible = feasible_mask(df)
    axes = axes_for(df[feasible].reset_index(drop=True), objectives) if feasible.any() else []
    if len(axes) < 2:
        return None
    plt = _pyplot()
    full = pareto_mask(np.stack([a.cost for a in axes], axis=1))
    pairs = list(itertools.combinations(range(len(axes)), 2))[:MAX_PANELS]
    cols = min(3, len(pairs))
    rows = -(-len(pairs) // cols)
    fig, grid = plt.subplots(rows, cols, figsize=(4.6 * cols, 4.0 * rows), squeeze=False)
    for k, (i, j) in enumerate(pairs):
        ax = grid[k // cols][k % cols]
        x, y = axes[i], axes[j]
        ax.scatter(x.values, y.values, s=8, c="0.7", label="feasible designs", rasterized=True)
        ax.scatter(x.values[full], y.values[full], s=18, c="tab:blue", label=f"Pareto set ({int(full.sum())})")
        front = pareto_mask(np.stack([x.cost, y.cost], axis=1))
        order = np.argsort(x.values[front])
        ax.step(x.values[front][order], y.values[front][order], where="post", c="tab:red", lw=1.5,
                label="2-D front")
        ax.set_xlabel(_axis_label(x.name))
        ax.set_ylabel(_axis_label(y.name))
        if x.log and np.all(x.values > 0):
            ax.set_xscale("log")
        if y.log and np.all(y.values > 0):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        if k == 0:
            ax.legend(fontsize=7)
    return _save_grid(plt, fig, grid, len(pairs), f"Pareto projections — {title}", path)


def plot_sensitivity(df: Any, objective: Objective, path: Path, title: str) -> Path | None:
    """The objective against each varied parameter: mean and best over the feasible designs."""
    feasible = feasible_mask(df)
    if not feasible.any():
        return None
    data = df[feasible].reset_index(drop=True)
    axes = objective_axes(data, [objective])
    params = [c for c in data.columns if c.startswith("d.") and data[c].nunique() > 1]
    if not axes or not params:
        return None
    axis = axes[0][1]
    plt = _pyplot()
    cols = min(3, len(params))
    rows = -(-len(params) // cols)
    fig, grid = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    pick = np.min if axis.minimize else np.max
    for k, name in enumerate(params):
        ax = grid[k // cols][k % cols]
        column = data[name]
        values = sorted(column.unique(), key=lambda v: (isinstance(v, str), v))
        groups = [axis.values[(column == v).to_numpy()] for v in values]
        pos = np.arange(len(values))
        for v_i, pts in enumerate(groups):
            ax.scatter(np.full(len(pts), v_i) + np.linspace(-0.15, 0.15, len(pts)), pts, s=4, c="0.75",
                       rasterized=True)
        ax.plot(pos, [float(np.mean(g)) for g in groups], "o-", c="tab:blue", label="mean")
        ax.plot(pos, [float(pick(g)) for g in groups], "s--", c="tab:green", label="best")
        ax.set_xticks(pos, [str(v) for v in values], rotation=30 if len(values) > 5 else 0, fontsize=8)
        ax.set_xlabel(name[2:])
        ax.set_ylabel(_axis_label(axis.name))
        if axis.log and np.all(axis.values > 0):
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        if k == 0:
            ax.legend(fontsize=7)
    return _save_grid(plt, fig, grid, len(params),
                      f"Parameter sensitivity of {label(objective)} (feasible designs) — {title}", path)


def _save_grid(plt: Any, fig: Any, grid: Any, used: int, title: str, path: Path) -> Path:
    """Blank the unused panels of a subplot grid, title it and write it to ``path``."""
    rows, cols = len(grid), len(grid[0])
    for k in range(used, rows * cols):
        grid[k // cols][k % cols].axis("off")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_convergence(df: Any, objectives: Sequence[Objective], path: Path, title: str) -> Path | None:
    """Best feasible value found so far against the evaluation step, one panel per objective."""
    feasible = feasible_mask(df)
    axes = objective_axes(df, objectives)
    if not axes or not feasible.any():
        return None
    plt = _pyplot()
    order = np.argsort(df["step"].to_numpy())
    steps = df["step"].to_numpy()[order]
    fig, grid = plt.subplots(1, len(axes), figsize=(4.2 * len(axes), 3.2), squeeze=False)
    for j, (obj, axis) in enumerate(axes):
        ax = grid[0][j]
        cost = np.where(feasible, axis.cost, np.inf)[order]
        best = np.minimum.accumulate(cost)
        seen, ok = np.isfinite(cost), np.isfinite(best)
        sign = 1.0 if axis.minimize else -1.0
        ax.scatter(steps[seen], sign * cost[seen], s=4, c="0.75", rasterized=True, label="feasible designs")
        ax.step(steps[ok], sign * best[ok], where="post", c="tab:red", lw=1.5, label="best so far")
        ax.set_xlabel("evaluation step")
        ax.set_ylabel(_axis_label(axis.name))
        if axis.log and np.all(axis.values[feasible] > 0):
            ax.set_yscale("log")
        ax.set_title(label(obj), fontsize=9)
        ax.grid(alpha=0.3)
        if j == 0:
            ax.legend(fontsize=7)
    fig.suptitle(f"Convergence — {title}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def tables_for(df: Any, summary: RunSummary, objectives: Sequence[Objective]) -> list[Table]:
    """The summary, best-design, violation and Pareto-set tables of one run."""
    tables = [Table("Summary", ["evaluations", "feasible", "invalid", "Pareto set", "objectives", "constraints"],
                    [[summary.rows, summary.feasible, summary.invalid, summary.pareto_size,
                      "; ".join(summary.objectives), ", ".join(summary.constraints) or "—"]])]
    if summary.best:
        tables.append(Table("Best design per objective", ["objective", "step", "metrics", "design"],
                            [[b.objective, b.step, _kv(b.metrics), _kv(b.design)] for b in summary.best]))
    if summary.violations:
        tables.append(Table("Top violation reasons", ["constraint", "designs"],
                            [[name, count] for name, count in summary.violations[:10]]))
    feasible = feasible_mask(df)
    axes = axes_for(df[feasible].reset_index(drop=True), objectives) if feasible.any() else []
    if len(axes) >= 2:
        data = df[feasible].reset_index(drop=True)
        front = np.flatnonzero(pareto_mask(np.stack([a.cost for a in axes], axis=1)))
        front = front[np.argsort(axes[0].cost[front])][:PARETO_TABLE_ROWS]
        varied = [c for c in data.columns if c.startswith("d.") and data[c].nunique() > 1]
        tables.append(Table(
            f"Pareto set (first {min(len(front), PARETO_TABLE_ROWS)} by {axes[0].name})",
            ["step", *[_axis_label(a.name) for a in axes], *[c[2:] for c in varied]],
            [[int(data["step"].iloc[i]), *[f"{a.values[i]:.4g}" for a in axes],
              *[data[c].iloc[i] for c in varied]] for i in front]))
    return tables


def _kv(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in mapping.items())


def build_report(store: RunStore, out_dir: str | Path, run_ids: Sequence[str] | None = None) -> list[RunReport]:
    """Write the figures of every run (or of ``run_ids``) and ``summary.md`` / ``summary.html``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    known = store.runs()
    if not known:
        raise ConfigError(f"report: the store {store.path!r} has no rows")
    for r in run_ids or []:
        if r not in known:
            raise ConfigError.bad_value("--run", r, known)
    reports = []
    for run_id in run_ids or known:
        df = store.read(run_id)
        objectives = objectives_of(store.run_config(run_id))
        summary = summarize(df, objectives, run_id)
        name = slug(run_id)
        figures = [plot_pareto(df, objectives, out / f"pareto_{name}.png", run_id),
                   plot_sensitivity(df, objectives[0], out / f"sensitivity_{name}.png", run_id),
                   plot_convergence(df, objectives, out / f"convergence_{name}.png", run_id)]
        reports.append(RunReport(run_id, summary, tables_for(df, summary, objectives),
                                 [f for f in figures if f is not None]))
    (out / "summary.md").write_text(render_markdown(reports))
    (out / "summary.html").write_text(render_html(reports))
    return reports


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(reports: Sequence[RunReport]) -> str:
    lines = ["# archgym sweep report", ""]
    for rep in reports:
        lines += [f"## {rep.run_id}", ""]
        for t in rep.tables:
            lines += [f"### {t.title}", "", "| " + " | ".join(t.headers) + " |",
                      "|" + "---|" * len(t.headers)]
            lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in t.rows]
            lines.append("")
        lines += [f"![{f.stem}]({f.name})" for f in rep.figures] + [""]
    return "\n".join(lines)


def render_html(reports: Sequence[RunReport]) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>archgym sweep report</title>",
             ("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
             "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;text-align:left}"
             "img{max-width:100%;display:block;margin:1em 0}</style></head><body>"),
             "<h1>archgym sweep report</h1>"]
    for rep in reports:
        parts.append(f"<h2>{e(rep.run_id)}</h2>")
        for t in rep.tables:
            parts.append(f"<h3>{e(t.title)}</h3><table><tr>" + "".join(f"<th>{e(h)}</th>" for h in t.headers)
                         + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>" for row in t.rows]
            parts.append("</table>")
        parts += [f"<img src='{e(f.name)}' alt='{e(f.stem)}'>" for f in rep.figures]
    parts.append("</body></html>")
    return "\n".join(parts)
