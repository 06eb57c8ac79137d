"""Pareto fronts and hypervolume (pymoo's indicator) for multi-objective results.

Objectives are minimised. Hypervolume is measured in the log10 space of the metrics (they span
orders of magnitude), normalised so that the exact front's ideal point is 0 and its nadir is 1,
with the reference point at 1.1 in every objective; the ratio HV(found) / HV(exact front) is then
scale-free and 1 at the optimum.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

REFERENCE = 1.1


def pareto_mask(F: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``F`` (``(n, k)``, minimised; duplicates kept once)."""
    F = np.asarray(F, dtype=float)
    n = len(F)
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    order = np.lexsort(F.T[::-1])  # by first objective, ties by the next
    front: list[int] = []
    for i in order:
        if front:
            P = F[front]
            dominated = np.any(np.all(P <= F[i], axis=1))  # an equal point counts: keep one copy
            if dominated:
                continue
        front.append(int(i))
    mask[front] = True
    return mask


def pareto_front(F: np.ndarray) -> np.ndarray:
    F = np.asarray(F, dtype=float)
    return F[pareto_mask(F)]


def normaliser(exact_front: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ideal and nadir points of ``exact_front`` (log10 metrics)."""
    ideal, nadir = exact_front.min(axis=0), exact_front.max(axis=0)
    return ideal, np.where(nadir > ideal, nadir, ideal + 1.0)


def hypervolume(F: np.ndarray, ideal: np.ndarray, nadir: np.ndarray) -> float:
    """pymoo hypervolume of ``F`` (log10 metrics) after normalising with ``ideal``/``nadir``."""
    from pymoo.indicators.hv import HV

    F = np.asarray(F, dtype=float)
    if len(F) == 0:
        return 0.0
    Z = (F - ideal) / (nadir - ideal)
    Z = Z[np.all(Z < REFERENCE, axis=1)]
    if len(Z) == 0:
        return 0.0
    return float(HV(ref_point=np.full(F.shape[1], REFERENCE))(pareto_front(Z)))


def log_metrics(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(np.asarray(values, dtype=float))


def metric_names(objectives: Sequence[str]) -> list[str]:
    """``["latency_s", "min:energy_j"]`` → metric names (minimised)."""
    return [o.split(":", 1)[-1] for o in objectives]
