"""The proxy-folder schema: what ``proxy.json`` and ``weights.safetensors`` may hold, checked with
bounds before any regressor is built (a proxy folder is untrusted input).

Every failure is one :class:`~archgym.errors.ConfigError` line naming the file, the field, the
value and what is allowed. The bounds (``LIMITS``) are far above what ``fit-proxy`` writes and
keep a hostile folder from recursing, hanging or exhausting memory; see ``docs/robustness.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.simulator import KNOWN_FIDELITIES, MAPPING_MODES, SIMULATORS

#: bounds on a proxy folder's contents (each far above what ``fit-proxy`` writes)
LIMITS: dict[str, int] = {
    "json_bytes": 16 << 20,        # proxy.json: 16 MiB (a 10-workload multifidelity spec is < 1 MiB)
    "weights_bytes": 2 << 30,      # weights.safetensors: 2 GiB
    "targets": 32,
    "tree_depth": 512,             # scikit-learn trees on ≤ 10⁶ rows stay far below
    "trees": 100_000,
    "mlp_hidden": 8192,
    "mlp_layers": 32,
    "mlp_epochs": 100_000,
    "gp_points": 20_000,
    "domain_entries": 100_000,     # parameters, workloads, presets and categorical values of meta.domain
}
_METRIC = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _fail(where: str, field: str, value: Any, allowed: str) -> ConfigError:
    text = repr(value)
    return ConfigError(f"{where}: {field}: {text[:80] + '…' if len(text) > 80 else text} is not allowed; "
                       f"allowed: {allowed}")


def _int_in(where: str, field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(where, field, value, f"an integer in [{low}, {high}]")
    return value


def _finite(where: str, field: str, value: Any, positive: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (positive and value <= 0):
        raise _fail(where, field, value, "a finite number" + (" > 0" if positive else ""))
    return float(value)


def _choice(where: str, field: str, value: Any, allowed: Iterable[str]) -> str:
    allowed = list(allowed)
    if not isinstance(value, str) or value not in allowed:
        raise _fail(where, field, value, ", ".join(allowed))
    return value


def check_files(d: Path) -> None:
    """Both files exist and are within their size limits."""
    for name, limit in (("proxy.json", LIMITS["json_bytes"]), ("weights.safetensors", LIMITS["weights_bytes"])):
        f = d / name
        if not f.is_file():
            raise ConfigError(f"proxy: {str(d)!r} is not a proxy directory (needs proxy.json and weights.safetensors)")
        size = f.stat().st_size
        if size > limit:
            raise _fail(str(f), "size", size, f"at most {limit} bytes")


def check_doc(doc: Any, where: str, fmt: str, regressors: Mapping[str, Any]) -> None:
    """``proxy.json``'s structure and bounds (before the weights are read)."""
    if not isinstance(doc, dict):
        raise _fail(where, "document", type(doc).__name__, "a JSON object")
    if doc.get("format") != fmt:
        raise _fail(where, "format", doc.get("format"), fmt)
    targets = doc.get("targets")
    if not isinstance(targets, list) or not 1 <= len(targets) <= LIMITS["targets"] or \
            not all(isinstance(t, str) and _METRIC.match(t) for t in targets) or len(set(targets)) != len(targets):
        raise _fail(where, "targets", targets, f"1-{LIMITS['targets']} distinct metric names (lower_case_with_units)")
    meta = doc.get("meta")
    if not isinstance(meta, dict):
        raise _fail(where, "meta", meta, "a JSON object")
    _choice(where, "meta.simulator", meta.get("simulator"), SIMULATORS)   # a real simulator, never a proxy
    _choice(where, "meta.fidelity", meta.get("fidelity"), KNOWN_FIDELITIES)
    _choice(where, "meta.mapping", meta.get("mapping"), MAPPING_MODES)
    if meta.get("preset") is not None and not isinstance(meta.get("preset"), str):
        raise _fail(where, "meta.preset", meta.get("preset"), "a preset name")
    kind = _choice(where, "meta.model", meta.get("model"), regressors)
    features = doc.get("features")
    if not isinstance(features, dict) or not isinstance(features.get("names"), list) or \
            not isinstance(features.get("params"), list):
        raise _fail(where, "features", type(features).__name__, "a feature spec with names and params")
    n_features = len(features["names"])
    offsets = meta.get("offsets", [None] * len(targets))
    if not isinstance(offsets, list) or len(offsets) != len(targets) or not all(
            o is None or (isinstance(o, int) and not isinstance(o, bool) and 0 <= o < n_features) for o in offsets):
        raise _fail(where, "meta.offsets", offsets, f"one feature index in [0, {n_features}) or null per target")
    reg = doc.get("regressor")
    if not isinstance(reg, dict) or not isinstance(reg.get("params"), dict):
        raise _fail(where, "regressor", reg, "an object with params")
    _check_params(where, kind, reg, len(targets))
    _check_domain(where, meta.get("domain"))
    _check_validity(where, doc.get("validity"))


def _scalar(v: Any) -> bool:
    return isinstance(v, str) or (isinstance(v, (int, float)) and math.isfinite(v))


def _check_domain(where: str, dom: Any) -> None:
    """``meta.domain`` (:class:`cost_models.domain.Domain`): bounded lists and maps of plain values."""
    keys = ("imitates", "presets", "workloads", "fixed", "ranges", "sets")
    if not isinstance(dom, dict) or set(dom) != set(keys):
        raise _fail(where, "meta.domain", type(dom).__name__, "an object with " + ", ".join(keys)
                    + " (proxies before format 2 have none: refit them with archgym fit-proxy)")
    if not isinstance(dom["imitates"], str):
        raise _fail(where, "meta.domain.imitates", dom["imitates"], "SIMULATOR/FIDELITY")
    for name in ("presets", "workloads"):
        v = dom[name]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise _fail(where, f"meta.domain.{name}", v, "a list of names")
    for name in ("fixed", "ranges", "sets"):
        if not isinstance(dom[name], dict):
            raise _fail(where, f"meta.domain.{name}", dom[name], "an object")
    for k, v in dom["fixed"].items():
        if not _scalar(v):
            raise _fail(where, f"meta.domain.fixed.{k}", v, "a string or a finite number")
    for k, v in dom["ranges"].items():
        if not (isinstance(v, list) and len(v) == 2 and all(_scalar(x) and not isinstance(x, str) for x in v)
                and v[0] <= v[1]):
            raise _fail(where, f"meta.domain.ranges.{k}", v, "[min, max], finite numbers, min <= max")
    for k, v in dom["sets"].items():
        if not (isinstance(v, list) and v and all(_scalar(x) for x in v)):
            raise _fail(where, f"meta.domain.sets.{k}", v, "a non-empty list of strings or finite numbers")
    entries = sum(len(dom[n]) for n in ("presets", "workloads", "fixed", "ranges")) + sum(
        len(v) for v in dom["sets"].values())
    if entries > LIMITS["domain_entries"]:
        raise _fail(where, "meta.domain", f"{entries} entries", f"at most {LIMITS['domain_entries']}")


def _check_validity(where: str, val: Any) -> None:
    """``validity`` (:class:`cost_models.validity.ValidityModel`'s JSON state)."""
    if not isinstance(val, dict) or not isinstance(val.get("counts"), dict):
        raise _fail(where, "validity", type(val).__name__, "an object with counts (the validity classifier)")
    for k in ("valid", "invalid"):
        _int_in(where, f"validity.counts.{k}", val["counts"].get(k), 0, 2**53)
    if val.get("constant") is not None and not isinstance(val.get("constant"), bool):
        raise _fail(where, "validity.constant", val.get("constant"), "true, false or null")
    _finite(where, "validity.init", val.get("init"))
    _finite(where, "validity.learning_rate", val.get("learning_rate"))


def _check_params(where: str, kind: str, reg: dict[str, Any], n_targets: int) -> None:
    p = reg["params"]
    if kind in ("rf", "gbm"):
        _int_in(where, "regressor.params.n_estimators", p.get("n_estimators"), 1, LIMITS["trees"])
    if kind == "gbm":
        _finite(where, "regressor.params.learning_rate", p.get("learning_rate"), positive=True)
        init = reg.get("init")
        if not isinstance(init, list) or len(init) != n_targets:
            raise _fail(where, "regressor.init", init, f"{n_targets} numbers (one per target)")
        for v in init:
            _finite(where, "regressor.init", v)
    if kind == "mlp":
        _int_in(where, "regressor.params.hidden", p.get("hidden"), 1, LIMITS["mlp_hidden"])
        _int_in(where, "regressor.params.layers", p.get("layers"), 1, LIMITS["mlp_layers"])
        _int_in(where, "regressor.params.epochs", p.get("epochs"), 1, LIMITS["mlp_epochs"])
    if kind == "gp":
        _int_in(where, "regressor.params.max_points", p.get("max_points"), 1, LIMITS["gp_points"])


def check_arrays(arrays: Mapping[str, np.ndarray], where: str, kind: str, doc: Mapping[str, Any]) -> None:
    """The weights: finite numbers, tree arrays that index within themselves and the features,
    MLP and GP arrays of the shapes their parameters say (checked before anything is built)."""
    n_targets, n_features = len(doc["targets"]), len(doc["features"]["names"])
    for name, a in arrays.items():
        if a.dtype.kind not in "biuf":
            raise _fail(where, name, str(a.dtype), "numeric arrays")
        bound = "_constraint." in name          # GP constraint bounds are ±inf when one-sided
        if a.dtype.kind == "f" and not (~np.isnan(a) if bound else np.isfinite(a)).all():
            raise _fail(where, name, "non-finite values", "finite numbers" + (" or ±inf" if bound else ""))
    if doc["validity"].get("constant") is None:
        _check_trees(arrays, where, "validity.", 1, n_features)
    if kind == "rf":
        _check_trees(arrays, where, "rf.", n_targets, n_features)
    elif kind == "gbm":
        prefixes = sorted({k.split(".")[0] for k in arrays if k.startswith("gbm")})
        if len(prefixes) != n_targets:
            raise _fail(where, "gbm ensembles", len(prefixes), f"{n_targets} (one per target)")
        for j in range(n_targets):
            _check_trees(arrays, where, f"gbm{j}.", 1, n_features)
    elif kind == "mlp":
        _check_shapes(arrays, where, _mlp_shapes(doc["regressor"]["params"], n_features, n_targets))
    elif kind == "gp":
        n = arrays["train.x"].shape[0] if "train.x" in arrays else 0
        _int_in(where, "train.x rows", n, 1, LIMITS["gp_points"])
        _check_shapes(arrays, where, {"train.x": (n, n_features), "train.y": (n, n_targets)})


def _mlp_shapes(p: Mapping[str, Any], d: int, t: int) -> dict[str, tuple[int, ...]]:
    """State-dict shapes of :class:`~cost_models.models.MLP` (Linear layers at even indices)."""
    h, layers = p["hidden"], p["layers"]
    shapes: dict[str, tuple[int, ...]] = {"stats.x_mean": (d,), "stats.x_std": (d,),
                                          "stats.y_mean": (t,), "stats.y_std": (t,)}
    width = d
    for i in range(layers):
        shapes[f"mlp.{2 * i}.weight"], shapes[f"mlp.{2 * i}.bias"] = (h, width), (h,)
        width = h
    shapes[f"mlp.{2 * layers}.weight"], shapes[f"mlp.{2 * layers}.bias"] = (t, width), (t,)
    return shapes


def _check_shapes(arrays: Mapping[str, np.ndarray], where: str, shapes: Mapping[str, tuple[int, ...]]) -> None:
    for name, shape in shapes.items():
        got = arrays[name].shape if name in arrays else "missing"
        if got != shape:
            raise _fail(where, name, got, f"an array of shape {shape}")


def _check_trees(a: Mapping[str, np.ndarray], where: str, prefix: str, outputs: int, n_features: int) -> None:
    keys = ("left", "right", "feature", "threshold", "value", "roots", "depth")
    missing = [k for k in keys if prefix + k not in a]
    if missing:
        raise _fail(where, prefix + missing[0], "missing", "the tree arrays " + ", ".join(keys))
    left, right, feature, roots = (a[prefix + k] for k in ("left", "right", "feature", "roots"))
    nodes = len(left)
    if not (left.ndim == right.ndim == feature.ndim == 1 and len(right) == len(feature) == nodes
            == len(a[prefix + "threshold"]) and a[prefix + "value"].shape[:1] == (nodes,)):
        raise _fail(where, prefix + "left", f"{nodes} nodes with mismatched arrays", "equal-length node arrays")
    if a[prefix + "value"].ndim != 2 or a[prefix + "value"].shape[1] != outputs:
        raise _fail(where, prefix + "value", a[prefix + "value"].shape, f"(nodes, {outputs})")
    for name, idx in (("left", left), ("right", right), ("roots", roots)):
        if idx.size and (idx.min() < 0 or idx.max() >= nodes):
            raise _fail(where, prefix + name, int(idx.max() if idx.max() >= nodes else idx.min()),
                        f"node indices in [0, {nodes})")
    if not 1 <= len(roots) <= LIMITS["trees"]:
        raise _fail(where, prefix + "roots", len(roots), f"1-{LIMITS['trees']} trees")
    if feature.size and (feature.min() < 0 or feature.max() >= n_features):
        raise _fail(where, prefix + "feature", int(feature.max()), f"feature indices in [0, {n_features})")
    depth = a[prefix + "depth"].reshape(-1)
    if depth.size != 1:
        raise _fail(where, prefix + "depth", depth.tolist()[:4], "one integer")
    _int_in(where, prefix + "depth", int(depth[0]), 0, min(LIMITS["tree_depth"], nodes))
