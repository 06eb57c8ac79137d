"""Proxy cost models: fit from logged evaluations, save/load without pickles, serve as a simulator.

A :class:`ProxyModel` = a :class:`~cost_models.features.FeatureSpec` + a
:class:`~cost_models.models.Regressor` predicting log10 of each target metric, plus metadata
naming what it imitates (simulator, fidelity, model version, preset, mapping mode, workloads,
parameters).

On disk a proxy is a directory with ``proxy.json`` (metadata, feature spec, scores) and
``weights.safetensors`` (arrays only); loading parses JSON and tensors, never unpickles.

:class:`ProxySimulator` wraps a model as an :class:`archgym.simulator.Simulator` over the real
simulator's design space: ``get_simulator("proxy:DIR")`` and
``gymnasium.make("archgym/Systolic-v1", backend="proxy:DIR")`` use it. Its results carry
``info["predicted"] = True``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.metrics import BatchResult, Result, derive
from archgym.simulator import FIDELITIES, Simulator, get_simulator
from archgym.space import DesignSpace
from archgym.store import UNKNOWN_VERSION
from archgym.workload import Workload
from cost_models import schema
from cost_models.data import Dataset
from cost_models.features import FeatureSpec
from cost_models.models import REGRESSORS, Regressor, make_regressor

FORMAT = "archgym-proxy/1"
META_FILE = "proxy.json"
WEIGHTS_FILE = "weights.safetensors"
DEFAULT_TARGETS = ("latency_s", "energy_j", "area_mm2")


class ProxyModel:
    """A fitted proxy: features → log10 targets, with the metadata of what it imitates."""

    def __init__(self, regressor: Regressor, spec: FeatureSpec, targets: Sequence[str], meta: dict[str, Any]):
        self.regressor, self.spec, self.targets, self.meta = regressor, spec, list(targets), dict(meta)

    # -- fitting ------------------------------------------------------------------------------
    @classmethod
    def fit(cls, data: Dataset, targets: Sequence[str] = DEFAULT_TARGETS, kind: str = "gbm",
            feature_set: str = "roofline", seed: int = 0, **params: Any) -> ProxyModel:
        """Fit on every row of ``data`` (rows with a missing or non-positive target are dropped)."""
        regressor = make_regressor(kind, **params)
        space = data.space()
        spec = FeatureSpec.from_space(space, data.workloads[data.workload_names[0]], feature_set, data.simulator)
        x = featurize(spec, data)
        y = data.targets(targets)
        ok = np.isfinite(y).all(axis=1) & np.isfinite(x).all(axis=1)
        if ok.sum() < 2:
            raise ConfigError(f"proxy: only {int(ok.sum())} usable rows for targets {list(targets)}")
        offsets = _offsets(spec, targets)
        regressor.fit(x[ok], y[ok] - _offset_values(x[ok], offsets), seed=seed)
        meta = {"simulator": data.simulator, "fidelity": data.fidelity, "preset": data.preset,
                "mapping": data.mapping, "workloads": sorted(set(data.workload_names)),
                "params": [{"name": p.name, "kind": p.kind, "values": list(p.values)} for p in space.params],
                "model_version": data.model_version, "n_train": int(ok.sum()), "model": kind, "seed": seed,
                "offsets": offsets}
        return cls(regressor, spec, targets, meta)

    # -- prediction ---------------------------------------------------------------------------
    def features(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any], workload: Workload) -> np.ndarray:
        return self.spec.transform(designs, workload)

    def predict_log10(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any], workload: Workload,
                      with_std: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """``(n, t)`` log10 predictions (and their standard deviation where the model has one)."""
        x = self.features(designs, workload)
        base = _offset_values(x, self.meta.get("offsets", [None] * len(self.targets)))
        return self.regressor.predict(x) + base, (self.regressor.predict_std(x) if with_std else None)

    def predict(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any], workload: Workload) -> dict[str, np.ndarray]:
        """Target name → predicted values in the metric's own unit."""
        mean, _ = self.predict_log10(designs, workload)
        return {t: 10.0 ** mean[:, j] for j, t in enumerate(self.targets)}

    # -- persistence --------------------------------------------------------------------------
    def save(self, directory: str | Path, extra: Mapping[str, Any] | None = None) -> Path:
        """Write ``proxy.json`` + ``weights.safetensors`` into ``directory`` (created if needed)."""
        from safetensors.numpy import save_file

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        reg_meta, arrays = self.regressor.state()
        doc = {"format": FORMAT, "targets": self.targets, "meta": self.meta, "regressor": reg_meta,
               "features": self.spec.to_json(), **dict(extra or {})}
        (out / META_FILE).write_text(json.dumps(doc, indent=1, default=_json_default))
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(out / WEIGHTS_FILE))
        return out

    @classmethod
    def load(cls, directory: str | Path) -> ProxyModel:
        """Read a proxy directory (JSON + safetensors only), validated against
        :mod:`cost_models.schema` before anything is built; a bad folder is one ConfigError line."""
        from safetensors import SafetensorError
        from safetensors.numpy import load_file

        d = Path(directory)
        schema.check_files(d)
        meta_file, weights_file = d / META_FILE, d / WEIGHTS_FILE
        try:
            doc = json.loads(meta_file.read_bytes().decode("utf-8"))
        except UnicodeDecodeError:
            raise ConfigError(f"proxy: {meta_file}: not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"proxy: {meta_file}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise ConfigError(f"proxy: {meta_file}: JSON nested too deeply") from None
        schema.check_doc(doc, str(meta_file), FORMAT, REGRESSORS)
        kind = doc["meta"]["model"]
        try:
            arrays = load_file(str(weights_file))
        except (SafetensorError, OSError, ValueError) as exc:
            raise ConfigError(f"proxy: {weights_file}: not a readable safetensors file ({_first_line(exc)})") from None
        schema.check_arrays(arrays, str(weights_file), kind, doc)
        try:
            regressor = REGRESSORS[kind].from_state(doc["regressor"], arrays)
            spec = FeatureSpec.from_json(doc["features"])
        except ConfigError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
            raise ConfigError(f"proxy: {d}: damaged model ({type(exc).__name__}: {_first_line(exc)})") from None
        model = cls(regressor, spec, doc["targets"], doc["meta"])
        model.doc = doc
        return model


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__


def _json_default(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def _offsets(spec: FeatureSpec, targets: Sequence[str]) -> list[int | None]:
    """Per target, the feature column holding the analytical model's log10 value of the same
    metric (``multifidelity`` features): the regressor then learns only the residual
    ``log10(target) − log10(analytical)``, which trees approximate far better than the identity."""
    return [spec.names.index(f"a.log10_{t}") if f"a.log10_{t}" in spec.names else None for t in targets]


def _offset_values(x: np.ndarray, offsets: Sequence[int | None]) -> np.ndarray:
    cols = [x[:, i] if i is not None else np.zeros(len(x)) for i in offsets]
    return np.stack(cols, axis=1) if cols else np.zeros((len(x), 0))


def featurize(spec: FeatureSpec, data: Dataset) -> np.ndarray:
    """Feature matrix of every row of ``data`` (vectorised per workload)."""
    x = np.zeros((len(data), len(spec.names)))
    names = np.array(data.workload_names)
    for wl_name in sorted(set(data.workload_names)):
        idx = np.flatnonzero(names == wl_name)
        x[idx] = spec.transform([data.designs[i] for i in idx], data.workloads[wl_name])
    return x


class ProxySimulator(Simulator):
    """A fitted proxy served as a simulator over the imitated simulator's design space."""

    fidelities = FIDELITIES

    def __init__(self, model: ProxyModel, source: str = ""):
        self.model, self.source = model, source
        self.real = get_simulator(model.meta["simulator"])
        self.name = f"proxy-{self.real.name}"
        self.default_preset = model.meta["preset"]
        self._spaces: dict[tuple[str, str | None, str], DesignSpace] = {}

    def presets(self) -> dict[str, Any]:
        return self.real.presets()

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        trained = self.model.meta["mapping"]
        if self.check_mapping(mapping) != trained:
            raise ConfigError.bad_value(f"proxy {self.source or self.name}: mapping", mapping, [trained])
        key = (workload.name, preset, mapping)
        if key not in self._spaces:
            self._spaces[key] = self.real.space(workload, preset or self.default_preset, mapping)
        return self._spaces[key]

    def evaluate(self, design: Mapping[str, Any], workload: Workload, fidelity: str = "analytical") -> Result:
        self.check_fidelity(fidelity)
        mean, std = self.model.predict_log10([dict(design)], workload, with_std=True)
        with np.errstate(over="ignore", invalid="ignore"):
            metrics = derive({t: float(10.0 ** mean[0, j]) for j, t in enumerate(self.model.targets)})
        info = self._info()
        if std is not None:
            info["std_log10"] = {t: float(std[0, j]) for j, t in enumerate(self.model.targets)}
        bad = _non_finite(metrics)
        return Result(metrics, not bad, bad, [], info)

    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any], workload: Workload,
                       fidelity: str = "analytical") -> BatchResult:
        """Vectorised prediction for a list of designs or name → value arrays."""
        self.check_fidelity(fidelity)
        if not isinstance(designs, Mapping):
            designs = [dict(d) for d in designs]
        with np.errstate(over="ignore", invalid="ignore"):
            preds = self.model.predict(designs, workload)
            metrics = {k: np.asarray(v, dtype=float) for k, v in derive(preds).items()}
        n = len(next(iter(preds.values())))
        valid = np.all([np.isfinite(v) for v in metrics.values()], axis=0)
        violations: list[list[str]] = [[]] * n      # shared and never mutated: BatchResult.row copies
        for i in np.flatnonzero(~valid):
            violations[i] = _non_finite({k: v[i] for k, v in metrics.items()})
        return BatchResult(metrics, valid, violations, self._info())

    def model_version(self, fidelity: str) -> str:
        """The model version of the rows the proxy was trained on (``unknown`` for older proxies)."""
        return str(self.model.meta.get("model_version", UNKNOWN_VERSION))

    def _info(self) -> dict[str, Any]:
        m = self.model.meta
        return {"predicted": True, "imitates": f"{m['simulator']}/{m['fidelity']}", "proxy_model": m["model"]}

    def describe(self) -> str:
        m = self.model.meta
        return f"proxy ({m['model']}) of {m['simulator']} at {m['fidelity']} fidelity"


def _non_finite(metrics: Mapping[str, Any]) -> list[str]:
    """Violations naming each predicted metric that is not a finite number (the proxy extrapolated
    beyond float range: its answer says nothing)."""
    return [f"non_finite_prediction:{k}" for k, v in metrics.items() if not np.isfinite(v)]


def load_proxy_simulator(directory: str | Path) -> ProxySimulator:
    """``archgym.simulator.get_simulator("proxy:DIR")`` lands here."""
    return ProxySimulator(ProxyModel.load(directory), str(directory))


def time_per_eval(fn: Any, n: int, min_time_s: float = 0.2) -> float:
    """Seconds per evaluation of ``fn()`` which evaluates ``n`` designs (repeated ≥ ``min_time_s``)."""
    fn()  # warm-up
    reps, start = 0, time.perf_counter()
    while True:
        fn()
        reps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time_s:
            return elapsed / (reps * n)
