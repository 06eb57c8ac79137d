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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.metrics import BatchResult, Result, derive
from archgym.simulator import Simulator, get_simulator
from archgym.space import DesignSpace
from archgym.store import UNKNOWN_VERSION
from archgym.workload import Workload
from cost_models import schema
from cost_models.data import Dataset
from cost_models.domain import Domain
from cost_models.features import FeatureSpec, to_columns
from cost_models.models import REGRESSORS, Regressor, make_regressor
from cost_models.validity import PREFIX as VALIDITY_PREFIX
from cost_models.validity import THRESHOLD, ValidityModel

#: version 2 adds the training domain (``meta.domain``) and the validity classifier (``validity``)
FORMAT = "archgym-proxy/2"
META_FILE = "proxy.json"
WEIGHTS_FILE = "weights.safetensors"
DEFAULT_TARGETS = ("latency_s", "energy_j", "area_mm2")


@dataclass
class Answer:
    """A proxy's answer for ``n`` designs: log10 means ``(n, t)`` (and std where the model has
    one), ``P(valid)`` per design, and per design the reasons it lies outside the training domain."""

    mean: np.ndarray
    std: np.ndarray | None
    p_valid: np.ndarray
    out_of_domain: list[list[str]]


class ProxyModel:
    """A fitted proxy: features → log10 targets, with the metadata of what it imitates."""

    def __init__(self, regressor: Regressor, spec: FeatureSpec, targets: Sequence[str], meta: dict[str, Any],
                 validity: ValidityModel):
        self.regressor, self.spec, self.targets, self.meta = regressor, spec, list(targets), dict(meta)
        self.validity = validity
        self.domain = Domain.from_json(self.meta["domain"])
        self.doc: dict[str, Any] = {}

    # -- fitting ------------------------------------------------------------------------------
    @classmethod
    def fit(cls, data: Dataset, targets: Sequence[str] = DEFAULT_TARGETS, kind: str = "gbm",
            feature_set: str = "roofline", seed: int = 0, **params: Any) -> ProxyModel:
        """Fit the regressor on the valid rows of ``data`` (rows with a missing or non-positive
        target dropped), the validity classifier on every row, and record the training domain.
        ``residual=0`` among ``params`` fits the targets themselves, not their residual over the
        roofline estimate (:func:`_offsets`; analytical offsets of ``multifidelity`` stay)."""
        roofline = bool(params.pop("residual", True))
        regressor = make_regressor(kind, **params)
        space = data.space()
        spec = FeatureSpec.from_space(space, data.workloads[data.workload_names[0]], feature_set, data.simulator)
        x = featurize(spec, data)
        y = data.targets(targets)
        featured = np.isfinite(x).all(axis=1)
        ok = featured & data.valid & np.isfinite(y).all(axis=1)
        if ok.sum() < 2:
            raise ConfigError(f"proxy: only {int(ok.sum())} usable rows for targets {list(targets)}")
        offsets = _offsets(spec, targets, roofline)
        regressor.fit(x[ok], y[ok] - _offset_values(x[ok], offsets), seed=seed)
        validity = ValidityModel.fit(x[featured], data.valid[featured], seed)
        imitates = f"{data.simulator}/{data.fidelity}"
        domain = Domain.from_rows(imitates, [data.preset], space, data.designs,
                                  {w: [op.name for op in wl.layers] for w, wl in data.workloads.items()},
                                  data.workload_names)
        meta = {"simulator": data.simulator, "fidelity": data.fidelity, "imitates": imitates, "preset": data.preset,
                "mapping": data.mapping, "workloads": sorted(set(data.workload_names)),
                "params": [{"name": p.name, "kind": p.kind, "values": list(p.values)} for p in space.params],
                "model_version": data.model_version, "n_train": int(ok.sum()), "model": kind, "seed": seed,
                "offsets": offsets, "domain": domain.to_json()}
        return cls(regressor, spec, targets, meta, validity)

    # -- prediction ---------------------------------------------------------------------------
    def features(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any], workload: Workload) -> np.ndarray:
        return self.spec.transform(designs, workload)

    def predict_log10(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any], workload: Workload,
                      with_std: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """``(n, t)`` log10 predictions (and their standard deviation where the model has one)."""
        return self.predict_features(self.features(designs, workload), with_std)

    def predict_features(self, x: np.ndarray, with_std: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """:meth:`predict_log10` from a feature matrix ``x`` already built."""
        base = _offset_values(x, self.meta.get("offsets", [None] * len(self.targets)))
        return self.regressor.predict(x) + base, (self.regressor.predict_std(x) if with_std else None)

    def predict(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any], workload: Workload) -> dict[str, np.ndarray]:
        """Target name → predicted values in the metric's own unit (no domain or validity check:
        :meth:`answer` does those)."""
        mean, _ = self.predict_log10(designs, workload)
        return {t: 10.0 ** mean[:, j] for j, t in enumerate(self.targets)}

    def answer(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any], workload: Workload,
               preset: str | None = None, with_std: bool = False) -> Answer:
        """Predictions with what the proxy knows of them: ``P(valid)`` from the validity
        classifier and, per design, the reasons it lies outside the training domain."""
        cols = designs if isinstance(designs, Mapping) else to_columns(designs)
        x = self.features(cols, workload)
        mean, std = self.predict_features(x, with_std)
        reasons = self.domain.reasons(cols, workload.name, [op.name for op in workload.layers], len(x), preset)
        return Answer(mean, std, self.validity.probability(x), reasons)

    # -- persistence --------------------------------------------------------------------------
    def save(self, directory: str | Path, extra: Mapping[str, Any] | None = None) -> Path:
        """Write ``proxy.json`` + ``weights.safetensors`` into ``directory`` (created if needed)."""
        from safetensors.numpy import save_file

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        reg_meta, arrays = self.regressor.state()
        val_meta, val_arrays = self.validity.state()
        arrays = {**arrays, **val_arrays}
        doc = {"format": FORMAT, "targets": self.targets, "meta": self.meta, "regressor": reg_meta,
               "validity": val_meta, "features": self.spec.to_json(), **dict(extra or {})}
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
        own = {k: v for k, v in arrays.items() if not k.startswith(VALIDITY_PREFIX)}
        try:
            regressor = REGRESSORS[kind].from_state(doc["regressor"], own)
            validity = ValidityModel.from_state(doc["validity"], arrays)
            spec = FeatureSpec.from_json(doc["features"])
        except ConfigError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, RuntimeError) as exc:
            raise ConfigError(f"proxy: {d}: damaged model ({type(exc).__name__}: {_first_line(exc)})") from None
        model = cls(regressor, spec, doc["targets"], doc["meta"], validity)
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


#: per target, the roofline feature holding a cheap estimate of it (systolic fold arithmetic, see
#: :mod:`cost_models.features`); the regressor fits the residual against it when no analytical one exists
ROOFLINE_OFFSETS = {"latency_s": "x.log10_roofline_cycles", "cycles": "x.log10_roofline_cycles"}
ROOFLINE_OFFSET_SIMULATORS = ("systolic",)


def _offsets(spec: FeatureSpec, targets: Sequence[str], roofline: bool = True) -> list[int | None]:
    """Per target, the feature column holding an estimate of its log10 value: the analytical
    model's (``multifidelity`` features), else for the systolic family the roofline cycle estimate
    of latency (a clock held fixed in the space is a constant the regressor absorbs). The regressor
    then learns only the residual ``log10(target) − estimate``, which trees approximate far better
    than the identity (``benchmarks/results/proxy_defaults.md``)."""
    def column(t: str) -> int | None:
        estimate = ROOFLINE_OFFSETS.get(t) if roofline and spec.simulator in ROOFLINE_OFFSET_SIMULATORS else None
        for name in (f"a.log10_{t}", estimate):
            if name in spec.names:
                return spec.names.index(name)
        return None
    return [column(t) for t in targets]


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


#: what a proxy does with a design outside its training domain: answer ``valid=False`` naming the
#: reasons (default), or keep its prediction and flag it (``out_of_domain:…`` entries in violations)
OUT_OF_DOMAIN_MODES = ("invalid", "flag")


class ProxySimulator(Simulator):
    """A fitted proxy served as a simulator over the imitated simulator's design space.

    It offers only the fidelity it imitates. A design outside the training domain is
    ``valid=False`` with ``out_of_domain:…`` violations and no metrics (``out_of_domain="flag"``:
    the prediction is kept, valid, with the same entries as flags); a design the validity
    classifier rejects is ``valid=False`` with ``predicted_invalid:p_valid=…``.
    """

    def __init__(self, model: ProxyModel, source: str = "", out_of_domain: str = "invalid"):
        if out_of_domain not in OUT_OF_DOMAIN_MODES:
            raise ConfigError.bad_value("proxy out_of_domain", out_of_domain, OUT_OF_DOMAIN_MODES)
        self.model, self.source, self.out_of_domain = model, source, out_of_domain
        self.real = get_simulator(model.meta["simulator"])
        self.name = f"proxy-{self.real.name}"
        self.fidelities = (model.meta["fidelity"],)
        self.default_preset = model.meta["preset"]
        self._preset: str | None = None
        self._spaces: dict[tuple[str, str | None, str], DesignSpace] = {}

    def presets(self) -> dict[str, Any]:
        return self.real.presets()

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        """The real simulator's space; the preset is remembered and checked against the domain."""
        trained = self.model.meta["mapping"]
        if self.check_mapping(mapping) != trained:
            raise ConfigError.bad_value(f"proxy {self.source or self.name}: mapping", mapping, [trained])
        self._preset = preset or self.default_preset
        key = (workload.name, self._preset, mapping)
        if key not in self._spaces:
            self._spaces[key] = self.real.space(workload, self._preset, mapping)
        return self._spaces[key]

    def evaluate(self, design: Mapping[str, Any], workload: Workload, fidelity: str = "") -> Result:
        batch, std = self._answer([dict(design)], workload, fidelity or self.fidelities[0], with_std=True)
        result = batch.row(0)
        if std is not None:
            result.info["std_log10"] = {t: float(std[0, j]) for j, t in enumerate(self.model.targets)}
        return result

    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any], workload: Workload,
                       fidelity: str = "") -> BatchResult:
        """Vectorised prediction for a list of designs or name → value arrays."""
        return self._answer(designs, workload, fidelity or self.fidelities[0])[0]

    def _answer(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any], workload: Workload, fidelity: str,
                with_std: bool = False) -> tuple[BatchResult, np.ndarray | None]:
        self.check_fidelity(fidelity)
        if not isinstance(designs, Mapping):
            designs = [dict(d) for d in designs]
        ans = self.model.answer(designs, workload, self._preset, with_std)
        with np.errstate(over="ignore", invalid="ignore"):
            metrics = {k: np.asarray(v, dtype=float) for k, v in derive(
                {t: 10.0 ** ans.mean[:, j] for j, t in enumerate(self.model.targets)}).items()}
        n = len(ans.p_valid)
        finite = np.all([np.isfinite(v) for v in metrics.values()], axis=0)
        accepted = ans.p_valid >= THRESHOLD
        inside = np.array([not r for r in ans.out_of_domain], dtype=bool)
        refuse = ~inside if self.out_of_domain == "invalid" else np.zeros(n, dtype=bool)
        valid = finite & accepted & ~refuse
        for v in metrics.values():
            v[refuse] = np.nan
        violations: list[list[str]] = [[]] * n      # shared and never mutated: BatchResult.row copies
        for i in np.flatnonzero(~(valid & inside)):
            violations[i] = ans.out_of_domain[i] if refuse[i] else [
                *ans.out_of_domain[i], *([] if accepted[i] else [f"predicted_invalid:p_valid={ans.p_valid[i]:.2f}"]),
                *_non_finite({k: v[i] for k, v in metrics.items()})]
        return BatchResult(metrics, valid, violations, self._info()), ans.std

    def model_version(self, fidelity: str) -> str:
        """The model version of the rows the proxy was trained on (``unknown`` for older proxies)."""
        return str(self.model.meta.get("model_version", UNKNOWN_VERSION))

    def _info(self) -> dict[str, Any]:
        m = self.model.meta
        return {"predicted": True, "imitates": f"{m['simulator']}/{m['fidelity']}", "proxy_model": m["model"]}

    def describe(self) -> str:
        m = self.model.meta
        return f"proxy ({m['model']}) imitating {m['simulator']}/{m['fidelity']}"


def _non_finite(metrics: Mapping[str, Any]) -> list[str]:
    """Violations naming each predicted metric that is not a finite number (the proxy extrapolated
    beyond float range: its answer says nothing)."""
    return [f"non_finite_prediction:{k}" for k, v in metrics.items() if not np.isfinite(v)]


def load_proxy_simulator(spec: str | Path) -> ProxySimulator:
    """``get_simulator("proxy:DIR")`` lands here; ``proxy:DIR?out_of_domain=flag`` keeps (and
    flags) predictions outside the training domain instead of answering ``valid=False``."""
    directory, sep, query = str(spec).partition("?")
    options: dict[str, str] = {}
    for item in query.split("&") if sep else []:
        key, eq, value = item.partition("=")
        if key != "out_of_domain" or not eq:
            raise ConfigError.bad_value(f"proxy:{spec} option", item, ["out_of_domain=invalid", "out_of_domain=flag"])
        options[key] = value
    return ProxySimulator(ProxyModel.load(directory), directory, **options)


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
