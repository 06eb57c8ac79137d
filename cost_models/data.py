"""Training data for proxy models: read a run store, or collect one by sampling a space.

A :class:`Dataset` holds, for one simulator / fidelity / preset / mapping, the simulated (not
predicted) rows of a :class:`~archgym.store.RunStore`: the designs as dicts, the workload objects,
the metric values and whether the simulator accepted each design (the regressors fit the valid
rows, the validity classifier all of them). The preset is the one the runs registered (sweeps and
envs record it), else the preset whose space accepts the designs and whose defaults agree with
most parameters the rows hold at one value (an FPGA sweep fixed to ``device: u280`` is ``u280``,
not the family's default board). Rows logged by another model version of the
simulator (or before versions were recorded: ``"unknown"``) are refused unless
``allow_mixed_versions=True``: a proxy fitted on them would imitate a model that no longer exists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.evaluator import Evaluator
from archgym.metrics import Objective
from archgym.simulator import MAPPING_MODES, Simulator, get_simulator
from archgym.space import DesignSpace
from archgym.store import EvalRecord, RunStore
from archgym.workload import Workload, get_workload


@dataclass
class Dataset:
    """Valid simulated rows of one simulator family, ready for featurisation."""

    simulator: str
    fidelity: str
    preset: str
    mapping: str
    designs: list[dict[str, Any]]
    workload_names: list[str]
    metrics: dict[str, np.ndarray]
    workloads: dict[str, Workload] = field(default_factory=dict)
    wall_time_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: model version of the rows (several, comma-separated, when mixed versions were allowed)
    model_version: str = "unknown"
    #: per row: did the simulator accept the design (default: all valid)
    valid: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if len(self.valid) != len(self.designs):
            self.valid = np.ones(len(self.designs), dtype=bool)

    def __len__(self) -> int:
        return len(self.designs)

    def targets(self, names: Sequence[str]) -> np.ndarray:
        """``(n, t)`` log10 targets; raises when a target is missing or not positive."""
        cols = []
        for t in names:
            if t not in self.metrics:
                raise ConfigError.bad_value("target", t, sorted(self.metrics))
            v = self.metrics[t]
            cols.append(np.log10(np.where(v > 0, v, np.nan)))
        return np.stack(cols, axis=1)

    def subset(self, idx: np.ndarray) -> Dataset:
        idx = np.asarray(idx)
        return Dataset(self.simulator, self.fidelity, self.preset, self.mapping,
                       [self.designs[i] for i in idx], [self.workload_names[i] for i in idx],
                       {k: v[idx] for k, v in self.metrics.items()}, self.workloads,
                       self.wall_time_s[idx] if len(self.wall_time_s) else self.wall_time_s, self.model_version,
                       self.valid[idx])

    def space(self, workload: str | None = None) -> DesignSpace:
        """The real simulator's space for ``workload`` (default: the first one)."""
        wl = self.workloads[workload or self.workload_names[0]]
        return get_simulator(self.simulator).space(wl, self.preset, self.mapping)


def _usable(r: EvalRecord) -> bool:
    return not r.predicted and not r.simulator.startswith("proxy")


def load_dataset(store: RunStore, env_id: str | None = None, simulator: str | None = None,
                 fidelity: str | None = None, preset: str | None = None, run_id: str | None = None,
                 allow_mixed_versions: bool = False) -> Dataset:
    """Rows of ``store`` (optionally one env/run) for one simulator and fidelity.

    ``simulator``/``fidelity`` default to the most frequent ones in the rows; the preset and the
    mapping mode are inferred from the designs when not given (the space that accepts them).
    Rows of a model version other than the simulator's current one raise :class:`ConfigError`
    unless ``allow_mixed_versions``.
    """
    records = [r for r in store.records(run_id, env_id) if _usable(r)]
    if not any(r.valid for r in records):
        raise ConfigError(f"store {store.path}: no valid simulated rows"
                          + (f" for env {env_id!r}" if env_id else ""))
    simulator = simulator or Counter(r.simulator for r in records).most_common(1)[0][0]
    records = [r for r in records if r.simulator == simulator]
    if not records:
        raise ConfigError(f"store {store.path}: no rows of simulator {simulator!r}")
    fidelity = fidelity or Counter(r.fidelity for r in records).most_common(1)[0][0]
    records = [r for r in records if r.fidelity == fidelity]
    if not records:
        raise ConfigError(f"store {store.path}: no rows of {simulator} at fidelity {fidelity!r}")
    sim = get_simulator(simulator)
    versions = _check_versions(store, records, sim.model_version(fidelity), allow_mixed_versions)
    workloads = {name: get_workload(name) for name in sorted({r.workload for r in records})}
    valid = [r for r in records if r.valid]
    first = workloads[valid[0].workload]
    preset = preset or _registered_preset(store, records)
    preset, mapping = _infer_space(sim, first, [r.design for r in valid if r.workload == first.name], preset)
    keys = sorted({k for r in records for k in r.metrics})
    metrics = {k: np.array([_num(r.metrics.get(k)) for r in records]) for k in keys}
    return Dataset(simulator, fidelity, preset, mapping, [r.design for r in records],
                   [r.workload for r in records], metrics, workloads,
                   np.array([r.wall_time_s for r in records], dtype=float), versions,
                   np.array([r.valid for r in records], dtype=bool))


def _check_versions(store: RunStore, records: list[EvalRecord], current: str, allow_mixed: bool) -> str:
    """The rows' model version(s), comma-separated; refuses rows not of ``current`` unless allowed."""
    versions = Counter(r.model_version for r in records)
    other = sorted(v for v in versions if v != current)
    if other and not allow_mixed:
        r = records[0]
        n = sum(versions[v] for v in other)
        raise ConfigError(f"store {store.path}: {n} of {len(records)} {r.simulator}/{r.fidelity} rows have model "
                          f"version {', '.join(other)}, not the current {current!r}; "
                          "pass allow_mixed_versions=True (--allow-mixed-versions) to train on them")
    return ",".join(sorted(versions))


def _num(v: Any) -> float:
    return float(v) if v is not None else np.nan


def _registered_preset(store: RunStore, records: list[EvalRecord]) -> str | None:
    """The one preset the rows' runs registered (``None`` when none did, or they differ)."""
    presets = {(store.run_config(run) or {}).get("preset") for run in {r.run_id for r in records}}
    return presets.pop() if len(presets) == 1 else None


def _infer_space(sim: Simulator, workload: Workload, designs: list[dict[str, Any]],
                 preset: str | None) -> tuple[str, str]:
    """The (preset, mapping) whose space has exactly the designs' parameters and accepts them;
    among several presets, the one whose defaults match most parameters the designs hold fixed
    (the default preset on ties)."""
    sample = designs[:: max(len(designs) // 50, 1)]
    keys = set(sample[0])
    fixed = {k: v for k, v in sample[0].items() if all(d.get(k) == v for d in designs)}
    presets = [preset] if preset else [sim.default_preset, *[p for p in sim.presets() if p != sim.default_preset]]
    found: list[tuple[int, str, str]] = []
    for p in presets:
        for mapping in MAPPING_MODES:
            space = sim.space(workload, p, mapping)
            if set(space.names) != keys:
                continue
            try:
                for d in sample:
                    space.validate(d)
            except ConfigError:
                continue
            default = space.default()
            found.append((sum(default.get(k) == v for k, v in fixed.items()), p, mapping))
            break
    if found:
        best = max(f[0] for f in found)
        return next((p, m) for score, p, m in found if score == best)
    raise ConfigError(f"{sim.name}: no preset/mapping space accepts the logged designs"
                      + (f" (preset {preset!r})" if preset else "; pass --preset"))


def collect(store: RunStore, simulator: str | Simulator, workloads: Sequence[str | Workload], n_per_workload: int,
            fidelity: str = "analytical", preset: str | None = None, mapping: str = "auto", seed: int = 0,
            run_prefix: str = "proxy-data", batch: int = 256) -> int:
    """Sample ``n_per_workload`` random designs of each workload's space, evaluate them with the
    real simulator and log them to ``store`` (one run per workload; resumable). Returns the number
    of rows in those runs."""
    sim = get_simulator(simulator)
    total = 0
    for i, spec in enumerate(workloads):
        wl = get_workload(spec)
        ev = Evaluator(sim, wl, sim.space(wl, preset, mapping), Objective(), fidelity, store,
                       f"{run_prefix}-{sim.name}-{fidelity}-{i}", agent="random", seed=seed + i)
        done = store.count(ev.run_id)
        ev.step_offset, ev.evaluations = 0, done
        designs = ev.space.sample(n_per_workload, np.random.default_rng([seed, i]))
        for start in range(done, n_per_workload, batch):
            ev.evaluate(designs[start:start + batch])
        total += store.count(ev.run_id)
    return total
