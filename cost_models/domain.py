"""The training domain of a proxy: what it has seen, and which designs lie outside it.

A :class:`Domain` records, from the training rows themselves (not from the space they were drawn
from): the simulator and fidelity it imitates, the preset(s) the rows were logged under, the
workloads, every parameter held at one value (``fixed``), the min/max of every varied numeric
parameter (``ranges``) and the values seen of every varied categorical one (``sets``). Per-layer
parameters (``LAYER.key``) are grouped by ``key`` across layers, like the features.

:meth:`Domain.reasons` names, per design, why it lies outside: a tree ensemble predicts a constant
beyond the last split and a fixed parameter is invisible to the fit, so a prediction there is
unsupported (issue 21: a ``clock_mhz=200`` design predicted like the trained 300 MHz). Saved as
plain JSON in ``proxy.json`` (``meta.domain``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from archgym.space import DesignSpace
from cost_models.features import as_strings, base_key

#: prefix of every out-of-domain reason (a violation name, or a flag on a kept prediction)
PREFIX = "out_of_domain:"


@dataclass
class Domain:
    """What a proxy was trained on (see the module docstring)."""

    imitates: str
    presets: list[str]
    workloads: list[str]
    fixed: dict[str, Any] = field(default_factory=dict)
    ranges: dict[str, list[float]] = field(default_factory=dict)
    sets: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, imitates: str, presets: Sequence[str], space: DesignSpace,
                  designs: Sequence[Mapping[str, Any]], workload_layers: Mapping[str, Iterable[str]],
                  workload_names: Sequence[str]) -> Domain:
        """The domain of ``designs`` (row ``i`` on workload ``workload_names[i]``, whose layer
        names ``workload_layers`` gives) in ``space`` (which says which parameters are numeric)."""
        layers = {w: set(v) for w, v in workload_layers.items()}
        numeric = {base_key(p.name, set().union(*layers.values())): p.is_numeric and p.kind != "categorical"
                   for p in space.params}
        seen: dict[str, set[Any]] = {}
        for d, w in zip(designs, workload_names):
            for name, v in d.items():
                seen.setdefault(base_key(name, layers[w]), set()).add(v)
        out = cls(imitates, sorted(set(presets)), sorted(set(workload_names)))
        for key, values in sorted(seen.items()):
            if len(values) == 1:
                out.fixed[key] = _plain(next(iter(values)))
            elif numeric.get(key, False):
                out.ranges[key] = [_plain(min(values)), _plain(max(values))]
            else:
                out.sets[key] = sorted((_plain(v) for v in values), key=str)
        return out

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Domain:
        return cls(str(data["imitates"]), list(data["presets"]), list(data["workloads"]), dict(data["fixed"]),
                   {k: list(v) for k, v in data["ranges"].items()}, {k: list(v) for k, v in data["sets"].items()})

    def reasons(self, columns: Mapping[str, Any], workload_name: str, layer_names: Iterable[str],
                n: int, preset: str | None = None) -> list[list[str]]:
        """Per design (``columns``: name → ``n`` values), the reasons it lies outside the domain
        (empty: inside). ``preset``: the preset the designs' space was built from, if known."""
        out: list[list[str]] = [[] for _ in range(n)]
        common = []
        if workload_name not in self.workloads:
            common.append(f"{PREFIX}workload={workload_name} (trained on {_listing(self.workloads)})")
        if preset is not None and preset not in self.presets:
            common.append(f"{PREFIX}preset={preset} (trained on {_listing(self.presets)})")
        layers = set(layer_names)
        for name, col in columns.items():
            key = base_key(name, layers)
            values = np.broadcast_to(np.asarray(col), (n,))
            for i in np.flatnonzero(~self._inside(key, values)):
                out[i].append(f"{PREFIX}{name}={_plain(values[i])} ({self._allowed(key)})")
        return [common + r for r in out]

    def restrict(self, space: DesignSpace, layer_names: Iterable[str]) -> DesignSpace:
        """``space`` narrowed to the domain's values (to draw fresh designs the proxy covers)."""
        layers = set(layer_names)
        keep = {}
        for p in space.params:
            inside = self._inside(base_key(p.name, layers), np.array(p.values, dtype=object))
            if not inside.all():
                keep[p.name] = [v for v, ok in zip(p.values, inside) if ok]
        return space.restrict(values=keep)

    def _inside(self, key: str, values: np.ndarray) -> np.ndarray:
        if key in self.fixed:
            return _equal(values, self.fixed[key])
        if key in self.ranges:
            lo, hi = self.ranges[key]
            x = _as_float(values)
            return (x >= lo) & (x <= hi)
        if key in self.sets:
            return np.isin(as_strings(values), [str(v) for v in self.sets[key]])
        return np.zeros(len(values), dtype=bool)

    def _allowed(self, key: str) -> str:
        if key in self.fixed:
            return f"training fixed {self.fixed[key]}"
        if key in self.ranges:
            return f"training range [{self.ranges[key][0]}, {self.ranges[key][1]}]"
        if key in self.sets:
            return f"training values {_listing(self.sets[key])}"
        return "not a parameter in training"

    def describe(self) -> str:
        """One line: what the proxy imitates and the extent of its training data."""
        fixed = ", ".join(f"{k}={v}" for k, v in self.fixed.items()) or "none"
        return (f"imitates {self.imitates}; preset {_listing(self.presets)}; {len(self.workloads)} workloads; "
                f"{len(self.ranges) + len(self.sets)} varied parameters; fixed: {fixed}")


def _equal(values: np.ndarray, target: Any) -> np.ndarray:
    if isinstance(target, str):
        return as_strings(values) == target
    return _as_float(values) == float(target)


def _as_float(values: np.ndarray) -> np.ndarray:
    """Floats of ``values``; NaN for anything that is not a number (outside every range)."""
    if values.dtype.kind in "iuf":
        return values.astype(float)
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            out[i] = float(v)
    return out


def _listing(values: Sequence[Any], limit: int = 6) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
