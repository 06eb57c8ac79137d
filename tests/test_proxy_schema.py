"""Proxy folders are untrusted input: every damaged or hostile folder is one ConfigError line
before anything is built, and a proxy whose output is not finite answers valid=False."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from archgym.errors import ConfigError
from archgym.simulator import get_simulator
from archgym.store import RunStore
from archgym.workload import get_workload
from cost_models.data import collect, load_dataset
from cost_models.proxy import META_FILE, WEIGHTS_FILE, ProxyModel

WORKLOAD = "gemm:M=256,N=512,K=128"


@pytest.fixture(scope="module")
def proxies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("schema")
    store = RunStore(root / "runs.db")
    collect(store, "systolic", [WORKLOAD], 60, fidelity="analytical", preset="scalesim", seed=3)
    data = load_dataset(store)
    params = {"rf": {"n_estimators": 4}, "gbm": {"n_estimators": 5, "max_depth": 3},
              "mlp": {"epochs": 2, "hidden": 8, "layers": 1}}
    return {k: ProxyModel.fit(data, ["latency_s", "energy_j"], k, **p).save(root / k) for k, p in params.items()}


def _copy(src: Path, dst: Path, doc_edit: Callable[[dict[str, Any]], None] | None = None,
          arrays_edit: Callable[[dict[str, np.ndarray]], None] | None = None) -> Path:
    shutil.copytree(src, dst)
    if doc_edit:
        doc = json.loads((dst / META_FILE).read_text())
        doc_edit(doc)
        (dst / META_FILE).write_text(json.dumps(doc))
    if arrays_edit:
        arrays = dict(load_file(str(dst / WEIGHTS_FILE)))
        arrays_edit(arrays)
        save_file(arrays, str(dst / WEIGHTS_FILE))
    return dst


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        keys = path.split(".")
        node = doc
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return edit


def _array(name: str, fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[dict[str, np.ndarray]], None]:
    def edit(arrays: dict[str, np.ndarray]) -> None:
        arrays[name] = np.ascontiguousarray(fn(arrays[name]))
    return edit


HOSTILE = [  # (model, doc edit, arrays edit, words the one-line error must contain)
    ("rf", _set("meta.simulator", "proxy:."), None, "meta.simulator"),
    ("rf", _set("meta.model", "xgboost"), None, "meta.model"),
    ("rf", _set("targets", []), None, "targets"),
    ("rf", _set("meta.offsets", [10**9, None]), None, "meta.offsets"),
    ("rf", _set("regressor.params.n_estimators", 10**12), None, "n_estimators"),
    ("rf", None, _array("rf.depth", lambda a: np.array([10**12])), "rf.depth"),
    ("rf", None, _array("rf.value", lambda a: np.full_like(a, np.inf)), "rf.value"),
    ("rf", None, _array("rf.left", lambda a: a + 10**6), "rf.left"),
    ("rf", None, _array("rf.feature", lambda a: a + 10**6), "rf.feature"),
    ("gbm", _set("regressor.init", [float("nan"), 0.0]), None, "regressor.init"),
    ("gbm", _set("regressor.params.learning_rate", -1), None, "learning_rate"),
    ("mlp", _set("regressor.params.hidden", 10**7), None, "regressor.params.hidden"),
    ("mlp", _set("regressor.params.layers", 4), None, "mlp."),
    ("mlp", None, _array("stats.x_mean", lambda a: np.zeros(10**5)), "stats.x_mean"),
]


@pytest.mark.parametrize("kind,doc_edit,arrays_edit,words", HOSTILE)
def test_hostile_folders_are_one_line_errors(proxies, tmp_path, kind, doc_edit, arrays_edit, words) -> None:
    d = _copy(proxies[kind], tmp_path / "p", doc_edit, arrays_edit)
    with pytest.raises(ConfigError) as err:
        get_simulator(f"proxy:{d}")
    text = str(err.value)
    assert words in text and "\n" not in text and len(text) < 400


@pytest.mark.parametrize("damage", ["truncate-json", "not-utf8", "deep-json", "truncate-weights", "empty-weights",
                                    "no-weights", "json-list"])
def test_damaged_files_are_one_line_errors(proxies, tmp_path, damage) -> None:
    d = _copy(proxies["rf"], tmp_path / "p")
    meta, weights = d / META_FILE, d / WEIGHTS_FILE
    if damage == "truncate-json":
        meta.write_text(meta.read_text()[: 200])
    elif damage == "not-utf8":
        meta.write_bytes(b"\xff\xfe" + meta.read_bytes())
    elif damage == "deep-json":
        meta.write_text("[" * 100_000 + "]" * 100_000)
    elif damage == "truncate-weights":
        weights.write_bytes(weights.read_bytes()[: 100])
    elif damage == "empty-weights":
        weights.write_bytes(b"")
    elif damage == "no-weights":
        weights.unlink()
    else:
        meta.write_text("[1, 2]")
    with pytest.raises(ConfigError) as err:
        get_simulator(f"proxy:{d}")
    assert "\n" not in str(err.value)


def test_non_finite_prediction_is_invalid_and_says_why(proxies, tmp_path) -> None:
    """Leaf values of 400 (log10) overflow to inf: the answer is invalid, naming the metric."""
    d = _copy(proxies["rf"], tmp_path / "p", arrays_edit=_array("rf.value", lambda a: np.full_like(a, 400.0)))
    sim = get_simulator(f"proxy:{d}")
    wl = get_workload(WORKLOAD)
    design = sim.space(wl).default()
    one = sim.evaluate(design, wl)
    assert not one.valid and "non_finite_prediction:latency_s" in one.violations
    batch = sim.evaluate_batch([design, design], wl)
    assert not batch.valid.any() and "non_finite_prediction:energy_j" in batch.violations[1]


def test_good_folders_still_load(proxies) -> None:
    wl = get_workload(WORKLOAD)
    for d in proxies.values():
        sim = get_simulator(f"proxy:{d}")
        r = sim.evaluate(sim.space(wl).default(), wl)
        assert r.valid and np.isfinite(r.metrics["latency_s"])
