"""What a sweep found: best design per objective, the Pareto set, and why designs were invalid.

Shared by ``archgym sweep`` (printed at the end) and ``archgym report`` (tables and plots).
Works on the DataFrame of :meth:`RunStore.read` (``d.*`` design and ``m.*`` metric columns).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.metrics import Objective, unit

#: objectives assumed for a run whose config is not in the store
DEFAULT_OBJECTIVES = ("latency_s", "energy_j")


@dataclass
class Best:
    """The best feasible row for one objective."""

    objective: str
    cost: float
    step: int
    design: dict[str, Any]
    metrics: dict[str, float]


@dataclass
class RunSummary:
    run_id: str
    rows: int
    feasible: int
    invalid: int
    violations: list[tuple[str, int]] = field(default_factory=list)
    best: list[Best] = field(default_factory=list)
    pareto_size: int = 0
    objectives: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)

    def format(self, top: int = 5) -> str:
        lines = [(f"run {self.run_id}: {self.rows} evaluations, {self.feasible} feasible, "
                 f"{self.invalid} invalid, Pareto set {self.pareto_size} "
                 f"(objectives: {'; '.join(self.objectives)})")]
        if self.constraints:
            lines.append(f"  constraints: {', '.join(self.constraints)}")
        if self.violations:
            reasons = ", ".join(f"{name} ×{count}" for name, count in self.violations[:top])
            lines.append(f"  top violations: {reasons}")
        for b in self.best:
            shown = ", ".join(f"{k}={_fmt(v)}" for k, v in b.design.items())
            lines.append(f"  best for {b.objective}: step {b.step}: {shown}")
            lines.append("    " + ", ".join(f"{m}={_fmt(v)} {unit(m)}".rstrip() for m, v in b.metrics.items()))
        return "\n".join(lines)


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def parse_objectives(specs: Sequence[Any] | None) -> list[Objective]:
    return [Objective.parse(s) for s in (specs or DEFAULT_OBJECTIVES)]


def objectives_of(run_config: Mapping[str, Any] | None) -> list[Objective]:
    """The objectives of a run from its registered config (with its constraints), or defaults."""
    cfg = dict(run_config or {})
    objs = parse_objectives(cfg.get("objectives"))
    bounds = dict(cfg.get("constraints") or {})
    if bounds:
        objs = [replace(o, constraints={**dict(o.constraints), **bounds}) for o in objs]
    return objs


def feasible_mask(df: Any) -> np.ndarray:
    """Rows that are valid and violate no constraint (space, simulator or metric budget)."""
    if len(df) == 0:
        return np.zeros(0, dtype=bool)
    valid = df["valid"].to_numpy(dtype=bool)
    clean = np.array([not v for v in df["violations"]], dtype=bool)
    return valid & clean


def metric_columns(df: Any) -> dict[str, np.ndarray]:
    return {c[2:]: df[c].to_numpy(dtype=float) for c in df.columns if c.startswith("m.")}


def costs(df: Any, objective: Objective, feasible: np.ndarray | None = None) -> np.ndarray | None:
    """Objective cost per row (lower is better); None when a metric it needs is never reported.
    ``feasible``: :func:`feasible_mask` of ``df``, when the caller has it."""
    if any(f"m.{m}" not in df.columns for m in objective.metrics_used):
        return None
    try:
        return objective.cost_batch(metric_columns(df), feasible_mask(df) if feasible is None else feasible)
    except ConfigError:
        return None


def cost_matrix(df: Any, objectives: Sequence[Objective], feasible: np.ndarray | None = None
                ) -> tuple[np.ndarray, list[Objective]]:
    """``(rows, k)`` costs of the objectives whose metrics the run reports, and those objectives
    (``feasible`` as in :func:`costs`)."""
    feasible = feasible_mask(df) if feasible is None else feasible
    cols, used = [], []
    for obj in objectives:
        c = costs(df, obj, feasible)
        if c is not None:
            cols.append(c)
            used.append(obj)
    return (np.stack(cols, axis=1) if cols else np.zeros((len(df), 0))), used


def pareto_mask(points: np.ndarray) -> np.ndarray:
    """Non-dominated rows of ``points`` (all columns minimised), via pymoo's non-dominated sort."""
    points = np.asarray(points, dtype=float)
    mask = np.zeros(len(points), dtype=bool)
    if len(points) == 0 or points.shape[1] == 0:
        return mask
    if len(points) == 1:
        mask[0] = True
        return mask
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    front = NonDominatedSorting().do(points, only_non_dominated_front=True)
    mask[np.asarray(front, dtype=int)] = True
    return mask


def label(objective: Objective) -> str:
    """The objective without its constraints (``minimize latency_s``)."""
    return replace(objective, constraints={}).describe()


def summarize(df: Any, objectives: Sequence[Objective], run_id: str = "") -> RunSummary:
    """Best row per objective, Pareto-set size over the objectives' costs, invalid-design reasons."""
    feasible = feasible_mask(df)
    reasons: Counter[str] = Counter()
    violations = df["violations"].tolist() if len(df) else []
    for i in np.flatnonzero(~feasible).tolist():
        reasons.update(violations[i] or ["invalid"])
    bounds = {m: b for o in objectives for m, b in o.constraints.items()}
    summary = RunSummary(run_id, len(df), int(feasible.sum()), int((~feasible).sum()),
                         reasons.most_common(), objectives=[label(o) for o in objectives],
                         constraints=[f"{m} ≤ {b:g}" for m, b in bounds.items()])
    if not feasible.any():
        return summary
    matrix, used = cost_matrix(df, objectives, feasible)
    idx = np.flatnonzero(feasible)
    summary.pareto_size = int(pareto_mask(matrix[idx]).sum()) if used else 0
    varied = [c for c in df.columns if c.startswith("d.") and df[c].nunique(dropna=False) > 1]
    design_cols = varied or [c for c in df.columns if c.startswith("d.")]
    for j, obj in enumerate(used):
        i = int(idx[np.argmin(matrix[idx, j])])
        row = df.iloc[i]
        shown = list(dict.fromkeys([*obj.metrics_used, "latency_s", "energy_j", "area_mm2"]))
        summary.best.append(Best(
            label(obj), float(matrix[i, j]), int(row["step"]),
            {c[2:]: _py(row[c]) for c in design_cols},
            {m: float(row[f"m.{m}"]) for m in shown if f"m.{m}" in df.columns}))
    return summary


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
