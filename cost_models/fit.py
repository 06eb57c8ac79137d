"""Fit a proxy and measure it: held-out accuracy (a random split of the rows, unseen workloads,
and fresh random designs of the training domain simulated for the purpose where that is cheap),
the validity classifier's held-out accuracy, and the speed-up over the simulator it imitates.
The headline is the latency error on the user's scale (seconds): on the fresh designs when they
were simulated, else on the held-out split. Used by ``archgym fit-proxy`` and the benchmarks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.evaluator import Evaluator
from archgym.metrics import Objective
from archgym.simulator import get_simulator
from cost_models.data import Dataset
from cost_models.domain import Domain
from cost_models.evaluation import random_split, ranges, score, workload_split
from cost_models.proxy import DEFAULT_TARGETS, ProxyModel, featurize, time_per_eval
from cost_models.validity import THRESHOLD, accuracy

#: fresh designs simulated for the headline when the imitated simulator is cheap enough
FRESH_DESIGNS = 300
#: at most this many seconds of (estimated) simulation for the fresh designs
FRESH_BUDGET_S = 60.0
#: the target the headline leads with
HEADLINE_TARGET = "latency_s"


def default_features(fidelity: str) -> str:
    """The feature set ``fit-proxy`` uses unless told: the measured best for rows of ``fidelity``.
    Cycle-level rows: ``multifidelity`` (``benchmarks/results/proxy.md``: latency RMSE 0.05-0.07 %
    of the log10 range against 0.80-0.99 % for the others). Analytical rows: ``roofline``
    (``benchmarks/results/proxy_defaults.md``; ``multifidelity`` there would feed the proxy the very
    model it imitates, at that model's cost)."""
    return "roofline" if fidelity == "analytical" else "multifidelity"


def evaluate_split(model: ProxyModel, data: Dataset, test_idx: np.ndarray, log_range: np.ndarray,
                   lin_range: np.ndarray) -> dict[str, Any]:
    """Scores of ``model`` on the valid rows among ``test_idx`` of ``data`` per target, and the
    validity classifier's accuracy on all of them (key ``validity``)."""
    test = data.subset(test_idx)
    x = featurize(model.spec, test)
    pred, _ = model.predict_features(x)
    y = test.targets(model.targets)
    ok = test.valid
    out: dict[str, Any] = {t: score(y[ok, j], pred[ok, j], float(log_range[j]), float(lin_range[j]))
                           for j, t in enumerate(model.targets)}
    return {"scores": out, "validity": accuracy(model.validity, x, test.valid),
            "by_workload": by_workload(y[ok], pred[ok], np.array(test.workload_names)[ok], model.targets)}


def by_workload(y: np.ndarray, pred: np.ndarray, names: np.ndarray, targets: Sequence[str]) -> dict[str, Any]:
    """Scores of the headline target per workload, each on that workload's own range (a user
    reads the error of the designs of one workload, whose range is far narrower than all rows')."""
    if HEADLINE_TARGET not in targets:
        return {}
    j = list(targets).index(HEADLINE_TARGET)
    out = {}
    for name in sorted(set(names.tolist())):
        rows = names == name
        if rows.sum() > 2:
            log_range, lin_range = ranges(y[rows][:, j:j + 1])
            out[name] = score(y[rows, j], pred[rows, j], float(log_range[0]), float(lin_range[0]))
    return out


def fresh_designs(model: ProxyModel, data: Dataset, n: int = FRESH_DESIGNS, seed: int = 0,
                  budget_s: float = FRESH_BUDGET_S) -> dict[str, Any]:
    """Scores on ``n`` fresh random designs of the training domain (spread over the training
    workloads), simulated now; each target's range is that of the fresh designs. Skipped (with
    the reason) when the logged simulation time says it would take more than ``budget_s``."""
    logged = float(np.nanmedian(data.wall_time_s)) if np.isfinite(data.wall_time_s).any() else float("nan")
    estimate = logged * n
    if not estimate <= budget_s:
        return {"skipped": f"{n} designs × {logged:.3g} s logged per evaluation > {budget_s:g} s"}
    rng = np.random.default_rng([seed, 21])
    sim = get_simulator(data.simulator)
    workloads = sorted(set(data.workload_names))
    y, pred, valid, p_valid, names = [], [], [], [], []
    for i, name in enumerate(workloads):
        wl = data.workloads[name]
        space = model.domain.restrict(data.space(name), [op.name for op in wl.layers])
        designs = space.sample(n // len(workloads) + (i < n % len(workloads)), rng)
        results = Evaluator(sim, wl, space, Objective(), data.fidelity).evaluate(designs)
        ans = model.answer(designs, wl)
        y.append(np.log10([[r.metrics.get(t, np.nan) if r.valid else np.nan for t in model.targets]
                           for r in results]))
        pred.append(ans.mean)
        valid.append([r.valid for r in results])
        p_valid.append(ans.p_valid)
        names += [name] * len(designs)
    y_all, p_all, v_all = np.concatenate(y), np.concatenate(pred), np.concatenate(valid).astype(bool)
    if v_all.sum() < 2:
        return {"skipped": f"{int(v_all.sum())} of {len(v_all)} fresh designs valid"}
    log_range, lin_range = ranges(y_all[v_all])
    pv = np.concatenate(p_valid)
    hits = (pv >= THRESHOLD) == v_all
    return {"n": len(v_all), "n_valid": int(v_all.sum()),
            "scores": {t: score(y_all[v_all, j], p_all[v_all, j], float(log_range[j]), float(lin_range[j]))
                       for j, t in enumerate(model.targets)},
            "validity": {"accuracy": float(hits.mean()), "n": len(v_all), "n_invalid": int((~v_all).sum())},
            "by_workload": by_workload(y_all[v_all], p_all[v_all], np.array(names)[v_all], model.targets)}


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
                   test_workloads: list[str] | None = None, speed: bool = True, fresh: int = FRESH_DESIGNS,
                   **params: Any) -> tuple[ProxyModel, dict[str, Any]]:
    """Fit on a random training split, score on the held-out rows; separately fit on some
    workloads and score on the others (unseen layers); score on ``fresh`` new designs (0: skip);
    time proxy vs simulator.

    The returned model is the one trained on the random split (its scores are the ``random``
    ones). Invalid rows train and test the validity classifier; the regressor's scores are on
    valid rows."""
    rng = np.random.default_rng(seed)
    y_all = data.targets(targets)
    usable = np.flatnonzero(~data.valid | np.isfinite(y_all).all(axis=1))
    if int(np.sum(data.valid[usable])) < 10:
        raise ConfigError(f"proxy: {int(np.sum(data.valid[usable]))} usable valid rows; at least 10 are needed "
                          "to fit and test")
    data = data.subset(usable)
    log_range, lin_range = ranges(data.targets(targets)[data.valid])
    train, test = random_split(len(data), test_frac, rng)
    model = ProxyModel.fit(data.subset(train), targets, kind, feature_set, seed, **params)
    report: dict[str, Any] = {
        "simulator": data.simulator, "fidelity": data.fidelity, "imitates": model.meta["imitates"],
        "preset": data.preset, "mapping": data.mapping, "model": kind, "feature_set": feature_set,
        "params": params, "rows": len(data), "invalid_rows": int((~data.valid).sum()),
        "workloads": sorted(set(data.workload_names)), "domain": model.meta["domain"],
        "splits": {"random": {"n_train": len(train), "n_test": len(test),
                              **evaluate_split(model, data, test, log_range, lin_range)}}}
    wtrain, wtest, held = workload_split(data.workload_names, test_frac, rng, test_workloads)
    if len(wtest) and len(wtrain) >= 2:
        wmodel = ProxyModel.fit(data.subset(wtrain), targets, kind, feature_set, seed, **params)
        report["splits"]["workload"] = {"n_train": len(wtrain), "n_test": len(wtest), "test_workloads": held,
                                        **evaluate_split(wmodel, data, wtest, log_range, lin_range)}
    if len(data.wall_time_s) and np.isfinite(data.wall_time_s).any():
        report["logged_sim_s_per_eval_median"] = float(np.nanmedian(data.wall_time_s))
    if fresh:
        report["fresh"] = fresh_designs(model, data, fresh, seed)
    report["headline"] = headline(report)
    if speed:
        report["speed"] = measure_speed(model, data, test[data.valid[test]])
    return model, report


def headline(report: dict[str, Any]) -> dict[str, Any]:
    """The error a user should read first: latency (else the first target) on the fresh designs
    when they were simulated, else on the held-out split; with the validity accuracy there."""
    fresh = report.get("fresh", {})
    source, block = ("fresh", fresh) if "scores" in fresh else ("random", report["splits"]["random"])
    target = HEADLINE_TARGET if HEADLINE_TARGET in block["scores"] else next(iter(block["scores"]))
    out = {"on": source, "target": target, **block["scores"][target], "validity_accuracy": block["validity"]["accuracy"]}
    per = block["by_workload"] if target == HEADLINE_TARGET else {}
    if per:   # RMSE % of range and τ as a user of one workload reads them: the worst workload's
        worst = max(per, key=lambda w: per[w]["rmse_pct_range_linear"])
        out.update(rmse_pct_range_linear=per[worst]["rmse_pct_range_linear"], worst_workload=worst,
                   rmse_pct_range_linear_mean=float(np.mean([s["rmse_pct_range_linear"] for s in per.values()])),
                   kendall_tau=min(s["kendall_tau"] for s in per.values()), workloads=len(per))
    return out


def format_report(report: dict[str, Any]) -> str:
    """The headline, then a Markdown table of a :func:`fit_and_report` report."""
    from cost_models.evaluation import TABLE_HEADER, summary_row

    h = report["headline"]
    on = (f"{report['fresh']['n']} fresh random designs of the training domain" if h["on"] == "fresh"
          else f"{report['splits']['random']['n_test']} held-out rows")
    per = (f" on the worst of {h['workloads']} workloads ({h['worst_workload']}; mean "
           f"{h['rmse_pct_range_linear_mean']:.2f} %)" if "worst_workload" in h else "")
    lines = [(f"held-out error of {h['target']} on {on}: RMSE {h['rmse_pct_range_linear']:.2f} % of its range{per}, "
              f"mean |error| {h['mape_pct']:.2f} % (bias {h['bias_pct']:+.2f} %, p90 {h['p90_ape_pct']:.1f} %), "
              f"Kendall τ {h['kendall_tau']:.3f}{' (worst workload)' if per else ''}; validity predicted right for "
              f"{100 * h['validity_accuracy']:.1f} %"),
             (f"proxy {report['model']} ({report['feature_set']} features) imitating {report['imitates']} "
              f"(preset {report['preset']}, mapping {report['mapping']}), {report['rows']} rows "
              f"({report['invalid_rows']} invalid), {len(report['workloads'])} workloads"),
             "domain: " + Domain.from_json(report["domain"]).describe(), "", TABLE_HEADER]
    blocks = {**report["splits"], **({"fresh": report["fresh"]} if "scores" in report.get("fresh", {}) else {})}
    for split, block in blocks.items():
        for target, s in block["scores"].items():
            lines.append(summary_row(target, split, s))
    lines.append("")
    lines.append("validity classifier: " + ", ".join(
        f"{split} {100 * b['validity']['accuracy']:.1f} % right ({b['validity']['n_invalid']} invalid of "
        f"{b['validity']['n']})" for split, b in blocks.items()))
    if "skipped" in report.get("fresh", {}):
        lines.append(f"fresh designs skipped: {report['fresh']['skipped']}")
    if "workload" in report["splits"]:
        lines.append("held-out workloads: " + ", ".join(report["splits"]["workload"]["test_workloads"]))
    if "speed" in report:
        sp = report["speed"]
        lines += ["", (f"speed on {sp['workload']}: simulator {sp['sim_s_per_eval'] * 1e6:.1f} µs/eval, "
                      f"proxy {sp['proxy_s_per_eval_batched'] * 1e6:.2f} µs/eval batched "
                      f"({sp['speedup_batched']:.0f}×), {sp['proxy_s_per_eval_single'] * 1e6:.0f} µs single "
                      f"({sp['speedup_single']:.1f}×)")]
    return "\n".join(lines)
