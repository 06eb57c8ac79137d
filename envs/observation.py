"""Observations of a design environment: normalised design, metrics and workload features.

Every entry lies in ``[0, 1]``:

* design — each parameter's value index / (size − 1) (:meth:`DesignSpace.indices_to_unit`);
* metrics — ``0.5 + 0.5·tanh(log10(m / m_ref) / 2)`` where ``m_ref`` is the metric of the
  preset design, so 0.5 means "as the preset", 0.83 "ten times the preset", 0.17 "a tenth";
  a metric that is missing (invalid design, or before any evaluation) reads 0.5;
* valid — 1 when the last evaluation was valid (and at reset), 0 otherwise;
* workload — :meth:`Workload.features`: fractions as they are, other features squashed with
  ``0.5 + 0.5·tanh(v / scale)``;
* fixed (sequential mode) — 1 for each parameter already chosen in this episode.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from gymnasium import spaces

from archgym.space import DesignSpace
from archgym.workload import Workload

DEFAULT_OBS_METRICS = ("latency_s", "energy_j", "area_mm2", "power_w")


def _feature_scale(name: str) -> float:
    return 10.0 if name.startswith("log10_") else 100.0


def workload_features(workload: Workload) -> np.ndarray:
    """Workload features squashed into ``[0, 1]``."""
    out = []
    for name, value in workload.features().items():
        if name.startswith("frac_"):
            out.append(float(np.clip(value, 0.0, 1.0)))
        else:
            out.append(0.5 + 0.5 * float(np.tanh(value / _feature_scale(name))))
    return np.asarray(out, dtype=np.float32)


class ObservationBuilder:
    """Builds ``Box`` (flat) or ``Dict`` observations for one space, workload and metric list."""

    def __init__(self, space: DesignSpace, workload: Workload, metrics: Sequence[str],
                 reference: Mapping[str, float], sequential: bool, kind: str = "box"):
        self.space = space
        self.metrics = list(metrics)
        self.reference = np.array([_positive(reference.get(m)) for m in self.metrics], dtype=float)
        self._reference = self.reference.tolist()
        self.features = workload_features(workload)
        self.sequential = sequential
        self.kind = kind
        self._unit = 1.0 / np.maximum(space.nvec - 1, 1)   # value index → [0, 1] (DesignSpace.indices_to_unit)
        d = len(space)
        parts = {"design": d, "metrics": len(self.metrics), "valid": 1, "workload": len(self.features)}
        if sequential:
            parts["fixed"] = d
        self.parts = parts
        if kind == "dict":
            self.observation_space: spaces.Space = spaces.Dict(
                {k: spaces.Box(0.0, 1.0, (n,), np.float32) for k, n in parts.items()})
        else:
            self.observation_space = spaces.Box(0.0, 1.0, (sum(parts.values()),), np.float32)

    def normalise_metrics(self, metrics: Mapping[str, float] | None, logs: Sequence[float] | None = None
                          ) -> np.ndarray:
        """One design's metrics as observed (``(k,)`` float32; see the module docstring):
        :meth:`observed_values` as float32."""
        return np.array(self.observed_values(metrics, logs), dtype=np.float32)

    def observed_values(self, metrics: Mapping[str, float] | None, logs: Sequence[float] | None = None
                        ) -> list[float]:
        """:meth:`normalise_metrics` as Python floats that round to its float32 entries: where
        :meth:`ratios` gives ratios, ``0.5 + 0.5·tanh(log / 2)`` of their numpy log10 (``logs``, when the
        caller took them) in Python floats, with numpy's ``tanh``; else :meth:`_squash`'s array way (0.5
        for no metrics)."""
        if logs is None:
            ratios = self.ratios(metrics)
            logs = None if ratios is None else np.log10(ratios).tolist()
        if logs is not None:
            return [0.5 + 0.5 * t for t in np.tanh([log / 2.0 for log in logs]).tolist()]
        if not metrics or not self.metrics:
            return [0.5] * len(self.metrics)
        return self._squash(np.array([[metrics.get(m, np.nan) for m in self.metrics]], dtype=float))[0].tolist()

    def ratios(self, metrics: Mapping[str, float] | None) -> list[float] | None:
        """The ratios to the reference whose numpy log10 :meth:`normalise_metrics` squashes in Python floats
        (+ − × ÷ and max rounded as numpy's; a NaN or missing metric reads 1 as in :meth:`_squash`); ``None``
        where that way does not apply: no metrics, a value not a Python float, a ratio numpy would warn about."""
        if not metrics or not self.metrics:
            return None
        ratio = [((v if v > 1e-300 else 1e-300) / ref if v == v else 1.0) if type(v) is float else 0.0
                 for v, ref in zip([metrics.get(m, math.nan) for m in self.metrics], self._reference)]
        return ratio if 0.0 < min(ratio) and max(ratio) < math.inf else None

    def normalise_batch(self, metrics: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        """``(n, k)`` observed metrics of ``n`` designs from name → ``(n,)`` arrays (missing: 0.5)."""
        raw = np.full((n, len(self.metrics)), np.nan)
        for j, m in enumerate(self.metrics):
            if m in metrics:
                raw[:, j] = np.asarray(metrics[m], dtype=float).reshape(-1)
        return self._squash(raw)

    def _squash(self, raw: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.log10(np.maximum(raw, 1e-300) / self.reference)
        out = 0.5 + 0.5 * np.tanh(ratio / 2.0)
        return np.where(np.isfinite(out), out, 0.5).astype(np.float32)

    def build(self, indices: np.ndarray, metrics: Mapping[str, float] | None, valid: bool,
              fixed: np.ndarray | None = None) -> np.ndarray | dict[str, np.ndarray]:
        """One design's observation."""
        obs = self.assemble(np.asarray(indices)[None, :], self.normalise_metrics(metrics)[None, :],
                            np.array([valid]), None if fixed is None else np.asarray(fixed)[None, :])
        return {k: v[0] for k, v in obs.items()} if isinstance(obs, dict) else obs[0]

    def assemble(self, indices: np.ndarray, metrics: np.ndarray, valid: np.ndarray,
                 fixed: np.ndarray | None = None) -> np.ndarray | dict[str, np.ndarray]:
        """Observations of ``n`` designs: ``indices`` ``(n, d)``, observed ``metrics`` ``(n, k)``
        (:meth:`normalise_batch`), ``valid`` ``(n,)``, ``fixed`` ``(n, d)`` in sequential mode;
        a ``(n, D)`` float32 array, or a dict of ``(n, ·)`` arrays."""
        n = len(indices)
        parts = {
            "design": np.asarray(indices) * self._unit,
            "metrics": metrics,
            "valid": np.asarray(valid, dtype=np.float32).reshape(n, 1),
            "workload": np.broadcast_to(self.features, (n, len(self.features))),
        }
        if self.sequential:
            parts["fixed"] = np.asarray(fixed, dtype=np.float32)
        if self.kind == "dict":
            return {k: np.clip(v, 0.0, 1.0).astype(np.float32) for k, v in parts.items()}
        out = np.concatenate([np.asarray(parts[k], dtype=np.float32) for k in self.parts], axis=1)
        return np.clip(out, 0.0, 1.0, out=out)


def _positive(value: float | None) -> float:
    if value is None or not np.isfinite(value) or value <= 0:
        return 1.0
    return float(value)
