"""Metrics with units, simulator results, and objectives that turn metrics into rewards.

Metric names carry their unit (``latency_s``, ``energy_j``, ``area_mm2`` …) so that a JSON row
is self-describing. :data:`METRICS` is the vocabulary every simulator speaks; a simulator may
report more (its own resource counts, say), but the shared ones mean the same everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from archgym.errors import ConfigError

# name -> (unit, description, lower_is_better)
METRICS: dict[str, tuple[str, str, bool]] = {
    "latency_s": ("s", "end-to-end time of one inference / token", True),
    "cycles": ("cycles", "end-to-end clock cycles", True),
    "compute_cycles": ("cycles", "cycles with the array computing, stalls excluded", True),
    "stall_cycles": ("cycles", "cycles lost waiting for memory", True),
    "energy_j": ("J", "energy of one inference / token", True),
    "area_mm2": ("mm²", "silicon area", True),
    "power_w": ("W", "average power = energy / latency", True),
    "edp_js": ("J·s", "energy-delay product", True),
    "throughput_ops_per_s": ("op/s", "achieved operations per second (2 per MAC)", False),
    "throughput_inf_per_s": ("inferences/s", "inferences (or tokens) per second", False),
    "peak_ops_per_s": ("op/s", "peak operations per second of the hardware", False),
    "utilization": ("fraction", "achieved / peak operations, 0..1", False),
    "mapping_efficiency": ("fraction", "PEs holding useful work while computing, 0..1", False),
    "dram_bytes": ("B", "off-chip traffic", True),
    "sram_bytes": ("B", "on-chip buffer traffic", True),
}


def unit(metric: str) -> str:
    return METRICS.get(metric, ("", "", True))[0]


def lower_is_better(metric: str) -> bool:
    return METRICS.get(metric, ("", "", True))[2]


def derive(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Add derived metrics (EDP, power) when their inputs are present; works on arrays too."""
    out = dict(metrics)
    if "latency_s" in out and "energy_j" in out and not ("edp_js" in out and "power_w" in out):
        lat, energy = out["latency_s"], out["energy_j"]
        floats = type(lat) is float and type(energy) is float
        if floats or (_one_float64(lat) and _one_float64(energy)):    # one design: Python's × and ÷,
            e, t = (energy, lat) if floats else (energy.item(), lat.item())
            edp, power = e * t, (e / t if t > 0 else 0.0)
            if math.isfinite(edp) and math.isfinite(power):      # rounded as numpy's; else numpy's way,
                                                                 # which may warn
                out.setdefault("edp_js", edp if floats else np.array([edp]))
                out.setdefault("power_w", power if floats else np.array([power]))
                return out
        lat = np.asarray(lat, dtype=float)
        energy = np.asarray(energy, dtype=float)
        shape = lat.shape if lat.shape == energy.shape else np.broadcast(energy, lat).shape
        power = np.divide(energy, lat, out=np.zeros(shape), where=lat > 0)
        scalar = lat.ndim == 0 and energy.ndim == 0
        out.setdefault("edp_js", float(energy * lat) if scalar else energy * lat)
        out.setdefault("power_w", float(power) if scalar else power)
    return out


def _one_float64(x: Any) -> bool:
    """Whether ``x`` is a float64 array of shape ``(1,)`` (a batch of one's metric row)."""
    return type(x) is np.ndarray and x.shape == (1,) and x.dtype == np.float64


class _LayerRows:
    """``Result.layers``: a list, or a zero-argument callable that builds it on first read (a family's
    ``evaluate`` passes one: most callers, agents and envs among them, never read the rows)."""

    @overload
    def __get__(self, obj: None, owner: Any = None) -> tuple[()]: ...

    @overload
    def __get__(self, obj: Result, owner: Any = None) -> list[dict[str, Any]]: ...

    def __get__(self, obj: Result | None, owner: Any = None) -> tuple[()] | list[dict[str, Any]]:
        if obj is None:
            return ()                      # the dataclass field's default: no rows
        rows = obj.__dict__["_layers"]
        if callable(rows):
            rows = obj.__dict__["_layers"] = rows()
        return rows

    def __set__(self, obj: Result, value: Sequence[dict[str, Any]] | Callable[[], list[dict[str, Any]]]) -> None:
        obj.__dict__["_layers"] = value if callable(value) else list(value)


@dataclass
class Result:
    """The outcome of evaluating one design on one workload.

    ``metrics`` maps metric names (see :data:`METRICS`) to floats; an invalid design has
    ``valid=False``, the names of the violated constraints in ``violations``, and whatever
    metrics could still be computed (possibly none). ``layers`` is the per-layer breakdown (given
    as rows, or as a callable that builds them when first read); ``info`` carries extras such as
    the mapping the simulator chose, or ``predicted=True`` for proxy models.
    """

    metrics: dict[str, float]
    valid: bool = True
    violations: list[str] = field(default_factory=list)
    layers: _LayerRows = _LayerRows()
    info: dict[str, Any] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with its rows built (a pending builder may be a closure)."""
        return {**self.__dict__, "_layers": self.layers}

    @classmethod
    def invalid(cls, violations: Sequence[str], metrics: Mapping[str, float] | None = None,
                **info: Any) -> Result:
        return cls(dict(metrics or {}), False, list(violations), [], dict(info))

    def to_json(self, with_layers: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {k: _json_number(v) for k, v in self.metrics.items()}
        out["valid"] = self.valid
        out["violations"] = list(self.violations)
        if self.info:
            out["info"] = self.info
        if with_layers:
            out["layers"] = self.layers
        return out


def _finite(x: Any) -> float:
    """``x`` when it is a finite Python float, else NaN."""
    return x if type(x) is float and math.isfinite(x) else math.nan


def _positive(x: Any) -> float:
    """``x`` when it is a finite Python float > 0 (numpy's log10 of it gives no warning), else NaN."""
    return x if type(x) is float and 0.0 < x < math.inf else math.nan


def _exact_float(v: float) -> float:
    """An objective's number as the float numpy computes with (a Python int converts exactly up to
    2⁵³); NaN for an int that would round."""
    f = float(v)
    return f if f == v else math.nan


def _json_number(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


@dataclass
class BatchResult:
    """Many designs at once: one array per metric, a validity mask, violations per design, and
    ``info`` shared by every row (e.g. ``predicted=True`` for proxy models)."""

    metrics: dict[str, np.ndarray]
    valid: np.ndarray
    violations: list[list[str]]
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.valid)

    def row(self, i: int) -> Result:
        return Result({k: float(v[i]) for k, v in self.metrics.items()}, bool(self.valid[i]),
                      list(self.violations[i]), [], dict(self.info))

    def rows(self) -> list[Result]:
        return [self.row(i) for i in range(len(self))]

    @classmethod
    def from_results(cls, results: Sequence[Result], info: dict[str, Any] | None = None) -> BatchResult:
        keys = sorted({k for r in results for k in r.metrics})
        metrics = {k: np.array([r.metrics.get(k, np.nan) for r in results], dtype=float) for k in keys}
        return cls(metrics, np.array([r.valid for r in results], dtype=bool),
                   [list(r.violations) for r in results], dict(info or {}))


OBJECTIVE_KINDS = ("minimize", "maximize", "weighted_log", "target")


@dataclass(frozen=True)
class Objective:
    """Turns metrics into a scalar *cost* (lower is better) and a *reward* (= −cost, higher is better).

    kinds:
      ``minimize``/``maximize`` — one ``metric``; cost is log10 of it (or of its inverse), so that
        rewards are scale-free across workloads.
      ``weighted_log`` — ``Σ wᵢ · log10(metricᵢ)`` over ``weights`` (e.g. latency and energy: log EDP).
      ``target`` — ArchGym's target-spec distance ``Σ |mᵢ − tᵢ| / tᵢ`` over ``targets``.
    ``constraints`` are upper bounds on metrics (``{"area_mm2": 100}``); each violated bound adds
    ``penalty × relative excess`` to the cost. Invalid designs cost ``invalid_cost``.
    """

    kind: str = "minimize"
    metric: str = "latency_s"
    weights: Mapping[str, float] = field(default_factory=dict)
    targets: Mapping[str, float] = field(default_factory=dict)
    constraints: Mapping[str, float] = field(default_factory=dict)
    penalty: float = 10.0
    invalid_cost: float = 100.0

    def __post_init__(self) -> None:
        if self.kind not in OBJECTIVE_KINDS:
            raise ConfigError.bad_value("objective.kind", self.kind, OBJECTIVE_KINDS)
        if self.kind == "weighted_log" and not self.weights:
            raise ConfigError("objective.weights: weighted_log needs at least one metric weight")
        if self.kind == "target" and not self.targets:
            raise ConfigError("objective.targets: target needs at least one metric target")
        if self.kind == "target" and any(t <= 0 for t in self.targets.values()):
            raise ConfigError("objective.targets: targets must be > 0")
        for field_name, table in (("weights", self.weights), ("targets", self.targets),
                                  ("constraints", self.constraints)):
            for m, v in table.items():
                if not isinstance(m, str) or not m:
                    raise ConfigError.bad_value(f"objective.{field_name} metric", m, "a metric name")
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or \
                        (field_name == "constraints" and v <= 0):
                    allowed = "a finite number > 0" if field_name == "constraints" else "a finite number"
                    raise ConfigError.bad_value(f"objective.{field_name}.{m}", v, allowed)
        if not isinstance(self.metric, str) or not self.metric:
            raise ConfigError.bad_value("objective.metric", self.metric, "a metric name")
        for name in ("penalty", "invalid_cost"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ConfigError.bad_value(f"objective.{name}", v, "a finite number")

    @classmethod
    def parse(cls, spec: str | Mapping[str, Any] | Objective | None) -> Objective:
        """``"latency_s"``, ``"edp"``, ``"min:energy_j"``, ``"max:throughput_ops_per_s"``,
        ``"log:latency_s=1,energy_j=1"``, ``"target:latency_s=1e-3,area_mm2=10"`` or a mapping."""
        if spec is None:
            return cls()
        if isinstance(spec, Objective):
            return spec
        if isinstance(spec, Mapping):
            try:
                return cls(**spec)
            except TypeError as exc:
                raise ConfigError(f"objective: {exc}") from None
        text = spec.strip()
        if text == "edp":
            return cls("weighted_log", weights={"latency_s": 1.0, "energy_j": 1.0})
        kind, sep, rest = text.partition(":")
        if not sep:
            return cls("minimize", metric=kind)
        if not rest.strip():
            raise ConfigError(f"objective: {spec!r} names no metric after '{kind}:'")
        if kind in ("min", "minimize"):
            return cls("minimize", metric=rest)
        if kind in ("max", "maximize"):
            return cls("maximize", metric=rest)
        pairs = dict(p.split("=", 1) for p in rest.split(",") if "=" in p)
        try:
            values = {k.strip(): float(v) for k, v in pairs.items()}
        except ValueError:
            raise ConfigError(f"objective: numbers expected in {spec!r}") from None
        if kind in ("log", "weighted_log"):
            return cls("weighted_log", weights=values)
        if kind == "target":
            return cls("target", targets=values)
        raise ConfigError.bad_value("objective", spec, "edp, METRIC, min:M, max:M, log:M=w,…, target:M=t,…")

    @property
    def metrics_used(self) -> list[str]:
        if self.kind in ("minimize", "maximize"):
            names = [self.metric]
        elif self.kind == "weighted_log":
            names = list(self.weights)
        else:
            names = list(self.targets)
        return names + [m for m in self.constraints if m not in names]

    def cost_batch(self, metrics: Mapping[str, np.ndarray], valid: np.ndarray) -> np.ndarray:
        """Vectorised cost; the scalar :meth:`cost` calls this with arrays of length one."""
        valid = np.asarray(valid, dtype=bool)
        n = valid.shape[0]

        def get(name: str) -> np.ndarray:
            if name not in metrics:
                if not valid.any():
                    return np.full(n, np.nan)
                raise ConfigError.bad_value("objective metric", name, sorted(metrics))
            return np.asarray(metrics[name], dtype=float).reshape(n)

        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "minimize":
                cost = np.log10(get(self.metric))
            elif self.kind == "maximize":
                cost = -np.log10(get(self.metric))
            elif self.kind == "weighted_log":
                cost = sum(w * np.log10(get(m)) for m, w in self.weights.items())
            else:
                cost = sum(np.abs(get(m) - t) / t for m, t in self.targets.items())
            for m, bound in self.constraints.items():
                excess = np.maximum(get(m) / bound - 1.0, 0.0)
                cost = cost + self.penalty * excess
        cost = np.asarray(cost, dtype=float)
        bad = ~valid | ~np.isfinite(cost)
        return np.where(bad, self.invalid_cost, cost)

    def cost(self, result: Result) -> float:
        return self.cost_one(result.metrics, result.valid)

    def cost_one(self, metrics: Mapping[str, Any], valid: bool, logs: Sequence[float] | None = None) -> float:
        """One design's cost from its metrics (floats; NaN: not computed): :meth:`cost_batch` of a batch
        of one, bit for bit, warnings and errors included. A valid design whose metrics are Python floats
        is worked out in floats (+ − × ÷ round as numpy's do; the logs are one numpy ``log10`` call, as
        ``math.log10`` differs from it in the last bit: ``logs``, numpy's log10 of :meth:`log_terms`, when the
        caller took them); whatever that cannot give exactly, or where numpy would warn (an overflow, a log
        of zero), goes the array way. An invalid design costs ``invalid_cost`` either way; its metrics are
        still worked out, for numpy's warnings and errors."""
        cost = self._float_cost(metrics, logs)
        if cost == cost:
            return cost if valid else float(self.invalid_cost)
        arrays = {k: np.array([v], dtype=float) for k, v in metrics.items()}
        return float(self.cost_batch(arrays, np.array([valid]))[0])

    def log_terms(self, metrics: Mapping[str, Any]) -> list[float]:
        """The values whose log10 :meth:`cost_one` takes (NaN for a metric missing or not a finite Python
        float > 0: left to :meth:`cost_batch`). A caller may take their numpy log10 in one call with others'
        (numpy's log10 of an entry does not depend on its neighbours) and pass them to :meth:`cost_one`."""
        if self.kind == "target":
            return []
        names = [self.metric] if self.kind in ("minimize", "maximize") else list(self.weights)
        return [_positive(metrics.get(m)) for m in names]

    def _float_cost(self, metrics: Mapping[str, Any], logs: Sequence[float] | None = None) -> float:
        """:meth:`cost_batch`'s arithmetic, in its order, on one design's Python floats (``logs``: see
        :meth:`cost_one`); NaN when the result would not be finite or some input is not a finite float
        (missing, NaN, ±inf, another type), or a logged metric not > 0: the cases left to :meth:`cost_batch`."""
        if logs is None:
            terms = self.log_terms(metrics)
            logs = np.log10(terms).tolist() if terms else []
        if self.kind == "target":
            cost = 0.0
            for m, t in self.targets.items():
                t = _exact_float(t)
                cost = cost + abs(_finite(metrics.get(m)) - t) / t
        elif self.kind == "minimize":
            cost = logs[0]
        elif self.kind == "maximize":
            cost = -logs[0]
        else:
            cost = 0.0
            for w, log in zip(self.weights.values(), logs):
                cost = cost + _exact_float(w) * log
        for m, bound in self.constraints.items():
            over = _finite(metrics.get(m)) / _exact_float(bound) - 1.0
            if not math.isfinite(over):            # numpy warns of an overflow the clamp would hide
                return math.nan
            cost = cost + _exact_float(self.penalty) * (over if over > 0.0 else 0.0)
        return cost if math.isfinite(cost) else math.nan

    def reward(self, result: Result) -> float:
        return -self.cost(result)

    def describe(self) -> str:
        if self.kind in ("minimize", "maximize"):
            text = f"{self.kind} {self.metric}"
        elif self.kind == "weighted_log":
            text = "minimize " + " + ".join(f"{w:g}·log10({m})" for m, w in self.weights.items())
        else:
            text = "target " + ", ".join(f"{m}={t:g}" for m, t in self.targets.items())
        if self.constraints:
            text += " subject to " + ", ".join(f"{m} ≤ {b:g}" for m, b in self.constraints.items())
        return text
