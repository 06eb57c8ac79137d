"""Fit a proxy and measure it: held-out accuracy (random designs and unseen workloads) and the
speed-up over the simulator it imitates. Used by ``archgym fit-proxy`` and the benchmarks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.simulator import get_simulator
from cost_models.data import Dataset
from cost_models.evaluation import random_split, ranges, score, workload_split
from cost_models.proxy import DEFAULT_TARGETS, ProxyModel, _offset_values, featurize, time_per_eval


def evaluate_split(model: ProxyModel, data: Dataset, test_idx: np.ndarray, log_range: np.ndarray,
                   lin_range: np.ndarray) -> dict[str, dict[str, float]]:
    """Scores of ``model`` on the rows ``test_idx`` of ``data``, per target."""
    test = data.subset(test_idx)
    x = featurize(model.spec, test)
    pred = model.regressor.predict(x) + _offset_values(x, model.meta["offsets"])
    y = test.targets(model.targets)
    return {t: score(y[:, j], pred[:, j], float(log_range[j]), float(lin_range[j]))
            for j, t in enumerate(model.targets)}


def measure_speed(model: ProxyModel, data: Dataset, idx: np.ndarray, n_sim: int = 16,
                  proxy_batch: int = 4096, min_time_s: float = 0.3) -> dict[str, float]:
    """Seconds per evaluation of the real simulator (its batched path, ``n_sim`` designs) and of
    the proxy (a batch of ``proxy_batch`` designs, and one design at a time), on the most frequent
    workload among ``idx``."""
    names = [data.workload_names[i] for i in idx]
    wl_name = Counter(names).most_common(1)[0][0]
    rows = [data.designs[i] for i in idx if data.workload_names[i] == wl_name]
    wl = data.workloads[wl_name]
    sim = get_simulator(data.simulator)
    sim_designs = rows[:n_sim]
    sim_s = time_per_eval(lambda: sim.evaluate_batch(sim_designs, wl, data.fidelity), len(sim_designs), min_time_s)
    batch = (rows * (proxy_batch // len(rows) + 1))[:proxy_batch]
    cols = {k: np.array([d[k] for d in batch], dtype=object if isinstance(batch[0][k], str) else None)
            for k in batch[0]}
    proxy_s = time_per_eval(lambda: model.predict(cols, wl), len(batch), min_time_s)
    single_s = time_per_eval(lambda: model.predict([rows[0]], wl), 1, min_time_s / 3)
    return {"workload": wl_name, "sim_s_per_eval": sim_s, "proxy_s_per_eval_batched": proxy_s,
            "proxy_s_per_eval_single": single_s, "speedup_batched": sim_s / proxy_s,
            "speedup_single": sim_s / single_s, "proxy_batch": proxy_batch, "sim_designs": len(sim_designs)}


def fit_and_report(data: Dataset, targets: Sequence[str] = DEFAULT_TARGETS, kind: str = "gbm",
                   feature_set: str = "roofline", test_frac: float = 0.2, seed: int = 0,
                   test_workloads: list[str] | None = None, speed: bool = True,
                   **params: Any) -> tuple[ProxyModel, dict[str, Any]]:
    """Fit on a random training split, score on the held-out designs; separately fit on some
    workloads and score on the others (unseen layers); time proxy vs simulator.

    The returned model is the one trained on the random split (its scores are the ``random``
    ones)."""
    rng = np.random.default_rng(seed)
    y_all = data.targets(targets)
    usable = np.flatnonzero(np.isfinite(y_all).all(axis=1))
    if len(usable) < 10:
        raise ConfigError(f"proxy: {len(usable)} usable rows; at least 10 are needed to fit and test")
    data = data.subset(usable)
    log_range, lin_range = ranges(data.targets(targets))
    train, test = random_split(len(data), test_frac, rng)
    model = ProxyModel.fit(data.subset(train), targets, kind, feature_set, seed, **params)
    report: dict[str, Any] = {
        "simulator": data.simulator, "fidelity": data.fidelity, "preset": data.preset, "mapping": data.mapping,
        "model": kind, "feature_set": feature_set, "params": params, "rows": len(data),
        "workloads": sorted(set(data.workload_names)),
        "splits": {"random": {"n_train": len(train), "n_test": len(test),
                              "scores": evaluate_split(model, data, test, log_range, lin_range)}}}
    wtrain, wtest, held = workload_split(data.workload_names, test_frac, rng, test_workloads)
    if len(wtest) and len(wtrain) >= 2:
        wmodel = ProxyModel.fit(data.subset(wtrain), targets, kind, feature_set, seed, **params)
        report["splits"]["workload"] = {"n_train": len(wtrain), "n_test": len(wtest), "test_workloads": held,
                                        "scores": evaluate_split(wmodel, data, wtest, log_range, lin_range)}
    if len(data.wall_time_s) and np.isfinite(data.wall_time_s).any():
        report["logged_sim_s_per_eval_median"] = float(np.nanmedian(data.wall_time_s))
    if speed:
        report["speed"] = measure_speed(model, data, test)
    return model, report


def format_report(report: dict[str, Any]) -> str:
    """A Markdown table of a :func:`fit_and_report` report."""
    from cost_models.evaluation import TABLE_HEADER, summary_row

    lines = [(f"proxy {report['model']} ({report['feature_set']} features) of {report['simulator']}/"
             f"{report['fidelity']} (preset {report['preset']}, mapping {report['mapping']}), "
             f"{report['rows']} rows, {len(report['workloads'])} workloads"), "", TABLE_HEADER]
    for split, block in report["splits"].items():
        for target, s in block["scores"].items():
            lines.append(summary_row(target, split, s))
    if "workload" in report["splits"]:
        lines.append("")
        lines.append("held-out workloads: " + ", ".join(report["splits"]["workload"]["test_workloads"]))
    if "speed" in report:
        sp = report["speed"]
        lines += ["", (f"speed on {sp['workload']}: simulator {sp['sim_s_per_eval'] * 1e6:.1f} µs/eval, "
                      f"proxy {sp['proxy_s_per_eval_batched'] * 1e6:.2f} µs/eval batched "
                      f"({sp['speedup_batched']:.0f}×), {sp['proxy_s_per_eval_single'] * 1e6:.0f} µs single "
                      f"({sp['speedup_single']:.1f}×)")]
    return "\n".join(lines)
