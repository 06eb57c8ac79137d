"""The evaluator: one object that agents, sweeps, environments and proxy fitting share to turn
designs into results, count the evaluations (the budget), and log every one to a run store."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from archgym.metrics import BatchResult, Objective, Result, derive
from archgym.simulator import Simulator, get_simulator
from archgym.space import Design, DesignSpace
from archgym.store import EvalRecord, RunStore
from archgym.version import __version__
from archgym.workload import Workload, get_workload


class Evaluated(NamedTuple):
    """One design evaluated (:meth:`Evaluator.evaluate_one`): the design, its metrics as Python floats
    (NaN: not computed), whether it is valid, the violations, and whether a proxy predicted it."""

    design: Design
    metrics: dict[str, float]
    valid: bool
    violations: list[str]
    predicted: bool

    @classmethod
    def of(cls, design: Design, result: Result) -> Evaluated:
        """``design`` with its :class:`Result` (``predicted`` read from its ``info``)."""
        return cls(design, result.metrics, result.valid, result.violations, bool(result.info.get("predicted", False)))


@dataclass
class Evaluator:
    """Evaluates designs of ``space`` with ``simulator`` on ``workload``.

    Each call to :meth:`evaluate` counts ``len(designs)`` evaluations and, when a ``store`` is
    attached, logs one row per design under ``run_id`` with consecutive step numbers
    (``step_offset`` lets a resumed run continue its numbering). Designs are checked against
    the space's constraints first: an invalid design is a result with its violations, never
    an exception. Analytical batches go through :meth:`Simulator.evaluate_batch`.
    """

    simulator: Simulator
    workload: Workload
    space: DesignSpace
    objective: Objective = field(default_factory=Objective)
    fidelity: str = "analytical"
    store: RunStore | None = None
    run_id: str = ""
    env_id: str = ""
    agent: str = ""
    seed: int | None = None
    step_offset: int = 0
    evaluations: int = 0

    @classmethod
    def build(cls, simulator: str | Simulator, workload: str | Workload, preset: str | None = None,
              mapping: str = "auto", objective: Any = None, **kw: Any) -> Evaluator:
        """Convenience constructor from names (``Evaluator.build("systolic", "resnet18")``)."""
        sim = get_simulator(simulator)
        wl = get_workload(workload)
        sim.check_fidelity(kw.get("fidelity", "analytical"))
        return cls(sim, wl, sim.space(wl, preset, mapping), Objective.parse(objective), **kw)

    def evaluate(self, designs: Sequence[Mapping[str, Any]]) -> list[Result]:
        """Evaluate (and log) ``designs``; returns one :class:`Result` per design, in order."""
        if not designs:
            return []
        start = time.perf_counter()
        checked = [self.space.validate(d) for d in designs]
        results = self._simulate(checked)
        elapsed = (time.perf_counter() - start) / len(checked)
        for r in results:
            r.metrics = derive(r.metrics)
            if r.valid:
                r.violations.extend(bound_violations(self.objective.constraints, r.metrics))
        if self.store is not None:
            self.store.log_many(self._record(self.step_offset + self.evaluations + i, d, r, elapsed)
                                for i, (d, r) in enumerate(zip(checked, results)))
        self.evaluations += len(checked)
        return results

    def evaluate_indices(self, indices: np.ndarray) -> BatchResult:
        """The array twin of :meth:`evaluate` for an ``(n, d)`` matrix of value indices (all in
        range): one ``evaluate_batch`` call, the same checks, derived metrics, budget count and
        store rows, with no per-design Python objects unless a store is attached."""
        start = time.perf_counter()
        indices = np.atleast_2d(np.asarray(indices, dtype=np.int64))
        n = len(indices)
        cols = self.space.indices_to_columns(indices)
        bad = {name: hit for name, hit in self.space.violations_batch(cols).items() if hit.any()}
        if not bad:
            batch = self.simulator.evaluate_batch(cols, self.workload, self.fidelity)
            metrics, valid, violations = batch.metrics, batch.valid, list(batch.violations)
        else:
            ok = ~np.any(np.stack(list(bad.values())), axis=0)
            metrics, valid, violations = {}, np.zeros(n, dtype=bool), [[] for _ in range(n)]
            where = np.flatnonzero(ok)
            batch = self.simulator.evaluate_batch({k: v[ok] for k, v in cols.items()}, self.workload,
                                                  self.fidelity) if len(where) else BatchResult({}, valid[:0], [])
            for k, v in batch.metrics.items():
                metrics[k] = np.full(n, np.nan)
                metrics[k][where] = v
            valid[where] = batch.valid
            for i, found in zip(where, batch.violations):
                violations[i] = found
            for name, hit in bad.items():
                for i in np.flatnonzero(hit):
                    violations[i] = [*violations[i], name]
        metrics = derive(metrics)
        for name, over in bound_violations(self.objective.constraints, metrics).items():
            for i in np.flatnonzero(valid & over):         # lists may be shared: never mutated
                violations[i] = [*violations[i], name]
        info = dict(batch.info)
        result = BatchResult(metrics, valid, violations, info)
        if self.store is not None:
            wall = (time.perf_counter() - start) / n
            first = self.step_offset + self.evaluations
            self.store.log_many(self._record(first + i, d, r, wall) for i, (d, r) in
                                enumerate(zip(self.space.columns_to_designs(cols), result_rows(result))))
        self.evaluations += n
        return result

    def evaluate_one(self, indices: Sequence[int]) -> Evaluated:
        """The design at value ``indices`` (Python ints, each in range) and its result:
        :meth:`evaluate_indices` of it as :meth:`BatchResult.row` reads row 0 (metrics as Python floats,
        NaN: not computed), bit for bit, with the same budget count and store row. Where the simulator
        offers one design's row (:meth:`_one_row`), it is asked for it directly: no columns, batch or
        per-row conversions; the objective's bounds and the store row are then the batch path's
        :func:`bound_violations` and :func:`computed` on that row."""
        start = time.perf_counter()
        found = self._one_row(indices)
        if found is None:
            return Evaluated.of(self.space.from_indices(indices),
                                self.evaluate_indices(np.array([indices], dtype=np.int64)).row(0))
        design, metrics, violations = found
        valid = not violations
        constraints = self.objective.constraints
        if valid and constraints:
            over = bound_violations(constraints, metrics)
            if over:
                violations = list(over)           # (none before: valid)
        if self.store is not None:
            row = Result(computed(metrics), valid, violations)
            self.store.log_many([self._record(self.step_offset + self.evaluations, design, row,
                                              time.perf_counter() - start)])
        self.evaluations += 1
        return Evaluated(design, metrics, valid, violations, False)

    def _one_row(self, indices: Sequence[int]) -> tuple[Design, dict[str, float], list[str]] | None:
        """The design at ``indices`` (:meth:`DesignSpace.plain_design`), its metrics and its violations: the
        space's constraints' (no metrics), else the simulator's ``evaluate_row`` (a family's row of its
        ``evaluate_batch``: ``simulators.common.family.Family.evaluate_row``); ``None`` when the simulator
        offers no row or the space's columns do not hold its values as they are."""
        evaluate_row = getattr(self.simulator, "evaluate_row", None)
        design = self.space.plain_design(indices)
        if evaluate_row is None or design is None:
            return None
        violations = self.space.violations_at(indices)
        if violations:
            return design, {}, violations
        row = evaluate_row(design, self.workload, self.fidelity)
        return None if row is None else (design, *row)

    def costs(self, results: Sequence[Result]) -> np.ndarray:
        """Objective cost (lower is better) of each result."""
        return np.array([self.objective.cost(r) for r in results], dtype=float)

    def _simulate(self, designs: list[Design]) -> list[Result]:
        violations = [self.space.violations(d) for d in designs]
        ok = [i for i, v in enumerate(violations) if not v]
        results: list[Result | None] = [None] * len(designs)
        for i, v in enumerate(violations):
            if v:
                results[i] = Result.invalid(v)
        if ok:
            chosen = [designs[i] for i in ok]
            if self.fidelity == "analytical" and len(chosen) > 1:
                batch: BatchResult = self.simulator.evaluate_batch(chosen, self.workload, self.fidelity)
                simulated = batch.rows()
            else:
                simulated = [self.simulator.evaluate(d, self.workload, self.fidelity) for d in chosen]
            for i, r in zip(ok, simulated):
                results[i] = r
        return [r for r in results if r is not None]

    def _record(self, step: int, design: Design, result: Result, wall: float) -> EvalRecord:
        return EvalRecord(
            run_id=self.run_id, step=step, design=design, metrics=result.metrics, valid=result.valid,
            violations=result.violations, env_id=self.env_id, simulator=self.simulator.name,
            fidelity=self.fidelity, workload=self.workload.name, agent=self.agent, seed=self.seed,
            wall_time_s=wall, predicted=bool(result.info.get("predicted", False)),
            model_version=self.simulator.model_version(self.fidelity), package_version=__version__)


def result_rows(batch: BatchResult) -> list[Result]:
    """``batch`` as one :class:`Result` per design (metrics as Python floats, those not computed dropped:
    :func:`computed`)."""
    keys = list(batch.metrics)
    columns = [np.asarray(batch.metrics[k], dtype=float).tolist() for k in keys]
    return [Result(computed(dict(zip(keys, values))), bool(ok), list(v), [], dict(batch.info))
            for values, ok, v in zip(zip(*columns) if keys else [()] * len(batch), batch.valid.tolist(),
                                     batch.violations)]


def computed(metrics: dict[str, float]) -> dict[str, float]:
    """One design's metrics (Python floats) as :func:`result_rows` and the store rows of
    :meth:`Evaluator.evaluate_indices` and :meth:`Evaluator.evaluate_one` hold them: without those not computed
    (NaN); ``metrics`` itself when none is NaN (a NaN makes the sum NaN)."""
    if not math.isnan(sum(metrics.values())):
        return metrics
    return {k: x for k, x in metrics.items() if not math.isnan(x)}


def bound_violations(constraints: Mapping[str, float], metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The objective's bounds (``constraints``: metric → upper bound) that ``metrics`` exceed: each one's
    violation name (``area_mm2<=100``) → where, ``metrics[m] > float(bound)``: a bool for one design's Python
    floats, a mask for a batch's float64 arrays (which numpy compares with a Python number as a float64: the
    same answer) of which some entry is set. A metric absent or NaN exceeds nothing. Whether a design is
    valid is the caller's to ask."""
    found = {}
    for m, bound in constraints.items():
        value = metrics.get(m)
        if value is not None:
            over = value > float(bound)
            if over is True or (over is not False and over.any()):
                found[f"{m}<={bound:g}"] = over
    return found
