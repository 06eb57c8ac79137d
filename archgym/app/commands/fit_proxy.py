"""``archgym fit-proxy --store RUNS.db [--env ID] --targets latency_s,energy_j,area_mm2
--model rf|gbm|mlp|gp --out DIR [--json]``: fit a proxy cost model from a run store, report its
held-out accuracy (headline: latency error in seconds on fresh random designs, else on held-out
rows; then random split, unseen workloads, validity) and speed-up, and save it (JSON +
safetensors, with its training domain) for ``--backend proxy:DIR`` / ``archgym simulate proxy:DIR``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from archgym.app.limits import seed_arg
from archgym.errors import ConfigError

MODELS = ("rf", "gbm", "mlp", "gp")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", required=True, help="SQLite run store with logged evaluations")
    p.add_argument("--env", default=None, help="only rows of this env id")
    p.add_argument("--run", default=None, help="only rows of this run id")
    p.add_argument("--simulator", default=None, help="simulator of the rows (default: the most frequent)")
    p.add_argument("--fidelity", default=None, help="fidelity of the rows (default: the most frequent)")
    p.add_argument("--preset", default=None, help="preset of the logged space (default: inferred)")
    p.add_argument("--allow-mixed-versions", action="store_true",
                   help="train on rows of other model versions of the simulator too (refused by default)")
    p.add_argument("--targets", default="latency_s,energy_j,area_mm2", help="comma-separated metrics")
    p.add_argument("--model", default="mlp", choices=MODELS,
                   help="regressor (default mlp: the measured best, benchmarks/results/proxy_defaults.md and proxy.md)")
    p.add_argument("--features", default="auto", choices=("auto", "roofline", "basic", "multifidelity"),
                   help="auto (default): the measured best for the rows' fidelity (multifidelity for cycle-level "
                        "rows, roofline for analytical ones; cost_models/README.md); roofline: add fold/traffic "
                        "estimates; basic: parameters, workload, simple derived; multifidelity: roofline + the "
                        "simulator's analytical metrics")
    p.add_argument("--test-frac", type=float, default=0.2, help="held-out fraction (designs, and workloads)")
    p.add_argument("--test-workloads", default=None, help="comma-separated workloads to hold out")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="model hyperparameter, e.g. n_estimators=300 (repeatable)")
    p.add_argument("--seed", type=seed_arg, default=0)
    p.add_argument("--no-speed", action="store_true", help="skip the speed-up measurement")
    p.add_argument("--fresh", type=int, default=300,
                   help="fresh random designs simulated for the headline error when cheap (0: skip)")
    p.add_argument("--out", required=True, help="directory to write proxy.json + weights.safetensors")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")


def _params(items: list[str]) -> dict[str, float | int | str]:
    out: dict[str, float | int | str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--param: expected KEY=VALUE, got {item!r}")
        for cast in (int, float):
            try:
                out[key.strip()] = cast(value)
                break
            except ValueError:
                continue
        else:
            out[key.strip()] = value
    return out


def run(args: argparse.Namespace) -> int:
    from archgym.store import RunStore
    from cost_models.data import load_dataset
    from cost_models.fit import default_features, fit_and_report, format_report

    if not Path(args.store).is_file():
        raise ConfigError(f"--store: {args.store!r} does not exist")
    if not 0.0 < args.test_frac < 1.0:
        raise ConfigError.bad_value("--test-frac", args.test_frac, "a fraction in (0, 1)")
    if not 0 <= args.fresh <= 100_000:
        raise ConfigError.bad_value("--fresh", args.fresh, "an integer in [0, 100000]")
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not targets:
        raise ConfigError("--targets: name at least one metric")
    held = [w.strip() for w in args.test_workloads.split(",")] if args.test_workloads else None
    with RunStore(args.store) as store:
        data = load_dataset(store, args.env, args.simulator, args.fidelity, args.preset, args.run,
                            allow_mixed_versions=args.allow_mixed_versions)
    features = default_features(data.fidelity) if args.features == "auto" else args.features
    model, report = fit_and_report(data, targets, args.model, features, args.test_frac, args.seed,
                                   held, speed=not args.no_speed, fresh=args.fresh, **_params(args.param))
    out = model.save(args.out, {"report": report})
    report["out"] = str(out)
    if args.json:
        print(json.dumps(report, default=str))
    else:
        print(format_report(report))
        print(f"\nsaved to {out} (use backend proxy:{out})")
    return 0
