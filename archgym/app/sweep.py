"""Sweeps: plan the designs of a :class:`SweepConfig`, evaluate them on an executor, commit every
finished chunk to the run store, and resume exactly where a killed sweep stopped.

* Planned strategies (grid, random, Latin hypercube) fix the whole list of designs from the
  seed; step *i* is the *i*-th design of that list. A resumed sweep evaluates only the steps
  missing from the store. Chunks are aligned to multiples of ``batch_size`` and committed whole,
  several finished ones per transaction (:class:`_Group`), so the chunks that a resumed sweep
  evaluates are exactly the ones an uninterrupted sweep would have: the rows are identical.
* Agent strategies (``agents.registry.make_agent``) are sequential ask/tell. A resumed sweep
  replays the logged results into the agent, ask by ask, and evaluates only what is missing.

The run id is a hash of the normalised config (per workload), so rerunning a config resumes it.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.app.executors import Chunk, ChunkRows, EvalSpec, make_executor
from archgym.app.progress import Progress
from archgym.app.summary import RunSummary, summarize
from archgym.app.sweep_config import StrategyConfig, SweepConfig
from archgym.errors import ConfigError
from archgym.evaluator import Evaluator
from archgym.metrics import Objective, Result
from archgym.space import Design, DesignSpace
from archgym.store import EvalRecord, RowBlock, RunStore

#: largest space a grid sweep enumerates
GRID_LIMIT = 10_000_000
#: a planned sweep commits finished chunks together up to this many rows per transaction …
GROUP_ROWS = 4096
#: … holding at most this many seconds of their evaluation (what a kill may lose beyond the chunks in flight) …
GROUP_WORK_S = 0.05
#: … and waiting at most this many seconds (wall) from the first of them to arrive
GROUP_WAIT_S = 0.25


class Plan:
    """The deterministic design list of a planned strategy: ``designs(a, b)`` gives steps a..b-1."""

    def __init__(self, space: DesignSpace, strategy: str, budget: int | None, seed: int):
        self.space = space
        self.strategy = strategy
        rng = np.random.default_rng(seed)
        size = space.size
        self._flat: np.ndarray | None = None
        self._matrix: np.ndarray | None = None
        if strategy == "grid":
            if size > GRID_LIMIT:
                raise ConfigError(f"strategy grid: the space has {size} designs, more than {GRID_LIMIT}; "
                                  "narrow it (space.fix / values / ranges) or use random or lhs")
            if budget is not None and budget < size:
                raise ConfigError(f"strategy grid: the space has {size} designs but budget is {budget}; "
                                  "narrow the space, raise the budget, or use random or lhs")
            self.total = size
        elif strategy == "random":
            assert budget is not None
            if size <= 2**62:  # distinct designs, in random order
                self.total = min(budget, size)
                self._flat = rng.permutation(size) if self.total == size else rng.choice(size, self.total,
                                                                                         replace=False)
            else:  # astronomically large (per-layer mapping) spaces: repeats are negligible
                self.total = budget
                self._matrix = space.sample_indices(budget, rng)
        elif strategy == "lhs":
            assert budget is not None
            from scipy.stats import qmc

            self.total = budget
            unit = qmc.LatinHypercube(d=max(len(space), 1), seed=rng).random(budget)[:, :len(space)]
            self._matrix = np.minimum(np.floor(unit * space.nvec).astype(np.int64), space.nvec - 1)
        else:
            raise ConfigError.bad_value("strategy", strategy, ("grid", "random", "lhs"))

    def indices(self, start: int, stop: int) -> np.ndarray:
        """``(stop-start, d)`` value indices of steps ``start..stop-1``."""
        if self._matrix is not None:
            return self._matrix[start:stop]
        flat = self._flat[start:stop] if self._flat is not None else np.arange(start, stop, dtype=np.int64)
        if not len(self.space):
            return np.zeros((len(flat), 0), dtype=np.int64)
        return np.stack(np.unravel_index(flat, tuple(int(n) for n in self.space.nvec)), axis=1)

    def designs(self, start: int, stop: int) -> list[Design]:
        return self.space.columns_to_designs(self.space.indices_to_columns(self.indices(start, stop)))


@dataclass
class SweepRun:
    """One workload of a sweep: its run id, evaluator spec, space and objectives."""

    config: SweepConfig
    workload: str
    spec: EvalSpec
    space: DesignSpace
    objectives: list[Objective]
    total: int
    plan: Plan | None

    @property
    def run_id(self) -> str:
        return self.spec.run_id

    @property
    def strategy(self) -> StrategyConfig:
        return self.config.strategy


def prepare(config: SweepConfig, where: str = "sweep") -> list[SweepRun]:
    """Build every run of ``config`` (one per workload); errors name ``where`` and the field."""
    objectives = config.objective_list()
    overrides = config.space.model_dump(mode="json")
    runs: list[SweepRun] = []
    for workload in config.workloads:
        spec = EvalSpec(config.run_id(workload), config.simulator, workload, config.preset, config.mapping,
                        config.fidelity, json.dumps(overrides, sort_keys=True), objectives[0],
                        config.strategy.name, config.seed)
        try:
            space = spec.build_space()
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if not runs:
            check_metrics(spec, objectives, where)
        plan = Plan(space, config.strategy.name, config.budget, config.seed) if config.strategy.planned else None
        total = plan.total if plan is not None else int(config.budget or 0)
        runs.append(SweepRun(config, workload, spec, space, objectives, total, plan))
    return runs


def check_metrics(spec: EvalSpec, objectives: list[Objective], where: str) -> None:
    """Every metric the objectives and constraints name is one the simulator reports, checked on
    the preset design before the sweep starts (an unknown one used to give an empty Pareto set)."""
    sim, workload, space = spec.parts()
    fidelity = "analytical" if "analytical" in sim.fidelities else spec.fidelity
    result = sim.evaluate(space.default(), workload, fidelity)
    if not result.metrics:
        return
    for obj in objectives:
        for metric in obj.metrics_used:
            if metric not in result.metrics:
                raise ConfigError.bad_value("objectives/constraints metric", metric, sorted(result.metrics), where)


@dataclass
class SweepOutcome:
    """What :func:`run_sweep` did: rows evaluated now, wall time, and a summary per run."""

    runs: list[SweepRun]
    evaluated: int
    resumed_from: int
    seconds: float
    summaries: list[RunSummary]

    @property
    def rate(self) -> float:
        return self.evaluated / self.seconds if self.seconds > 0 else 0.0


AgentFactory = Callable[..., Any]


def run_sweep(config: SweepConfig, store: RunStore, executor: str = "local", workers: int | None = None,
              address: str | None = None, resume: bool = False, progress: bool | None = None,
              where: str = "sweep", agent_factory: AgentFactory | None = None) -> SweepOutcome:
    """Run (or resume) every run of ``config`` into ``store``; see the module docstring."""
    runs = prepare(config, where)
    done_before = sum(len(_done_steps(store, r)) for r in runs)
    if resume and done_before == 0:
        raise ConfigError(f"{where}: --resume: the store {store.path!r} has no rows of this config's runs "
                          f"({', '.join(r.run_id for r in runs)})")
    for r in runs:
        store.register_run(r.run_id, config.for_workload(r.workload))
    total = sum(r.total for r in runs)
    start = time.perf_counter()
    evaluated = 0
    if done_before < total:
        pool = make_executor(executor, workers, address)
        bar = Progress(total, "sweep", initial=done_before, bar=progress)
        try:
            for r in runs:
                if r.plan is not None:
                    evaluated += _run_planned(r, store, pool, bar)
                else:
                    evaluated += _run_agent(r, store, pool, bar, agent_factory)
        finally:
            bar.close()
            pool.close()
    seconds = time.perf_counter() - start
    summaries = [summarize(store.read(r.run_id, columns=()), r.objectives, r.run_id) for r in runs]
    return SweepOutcome(runs, evaluated, done_before, seconds, summaries)


def _done_steps(store: RunStore, run: SweepRun) -> set[int]:
    return {s for s in store.steps(run.run_id) if s < run.total}


def _aligned(start: int, stop: int, size: int, done: set[int]) -> Iterator[tuple[int, int]]:
    """Pieces ``[a, b)`` of the steps ``start..stop-1`` not in ``done``, cut at multiples of
    ``size`` (counted from ``start``) and at every logged step."""
    for c0 in range(start, stop, size):
        c1 = min(c0 + size, stop)
        a = None
        for s in range(c0, c1):
            if s in done:
                if a is not None:
                    yield a, s
                a = None
            elif a is None:
                a = s
        if a is not None:
            yield a, c1


def _commit(store: RunStore, rows: ChunkRows, bar: Progress) -> None:
    if isinstance(rows, RowBlock):
        store.log_block(rows)
    else:
        store.log_many(rows)
    bar.update(len(rows))


class _Group:
    """Finished chunks of a planned sweep, committed together in one transaction once they hold
    :data:`GROUP_ROWS` rows or :data:`GROUP_WORK_S` seconds of evaluation, or the first of them
    arrived :data:`GROUP_WAIT_S` ago (and at the end): small chunks share a transaction's fixed
    cost, while a kill loses little finished work (resume evaluates exactly the chunks that are not
    in the store). Rows count as done on the progress bar only once committed."""

    def __init__(self, store: RunStore, bar: Progress):
        self.store, self.bar = store, bar
        self.blocks: list[RowBlock] = []
        self.rows, self.work, self.since = 0, 0.0, 0.0

    def add(self, block: RowBlock) -> None:
        if not self.blocks:
            self.since = time.perf_counter()
        self.blocks.append(block)
        self.rows += len(block)
        self.work += block.template.wall_time_s * len(block)
        if (self.rows >= GROUP_ROWS or self.work >= GROUP_WORK_S
                or time.perf_counter() - self.since >= GROUP_WAIT_S):
            self.commit()

    def commit(self) -> None:
        blocks, rows = self.blocks, self.rows
        self.blocks, self.rows, self.work = [], 0, 0.0
        if blocks:
            self.store.log_blocks(blocks)
            self.bar.update(rows)


def _run_planned(run: SweepRun, store: RunStore, pool: Any, bar: Progress) -> int:
    assert run.plan is not None
    plan = run.plan
    done = _done_steps(store, run)
    chunks: Iterator[Chunk] = ((a, plan.indices(a, b))
                               for a, b in _aligned(0, run.total, run.config.batch_size, done))
    count = 0
    group = _Group(store, bar)
    try:
        for block in pool.run(run.spec, chunks):
            assert isinstance(block, RowBlock)  # value-index chunks come back as blocks
            group.add(block)
            count += len(block)
    finally:
        group.commit()   # the chunks finished before an error or an interrupt are kept
    return count


def _make_agent(name: str, space: DesignSpace, objective: Objective, seed: int, config: dict[str, Any],
                objectives: list[Objective] | None = None) -> Any:
    from agents.registry import make_agent

    return make_agent(name, space, objective, seed, config, objectives=objectives)


def _as_result(record: EvalRecord) -> Result:
    metrics = {k: (math.nan if v is None else float(v)) for k, v in record.metrics.items()}
    return Result(metrics, record.valid, list(record.violations))


def _run_agent(run: SweepRun, store: RunStore, pool: Any, bar: Progress,
               factory: AgentFactory | None) -> int:
    """Ask/tell loop; logged steps are replayed into the agent instead of being re-evaluated."""
    strategy = run.strategy
    agent = (factory or _make_agent)(strategy.name, run.space, run.objectives[0], run.config.seed,
                                     dict(strategy.config), objectives=run.objectives)
    if hasattr(agent, "bind"):  # agents that need the simulator (RL on the env) read it here
        sim, workload, _ = run.spec.parts()
        agent.bind(Evaluator(sim, workload, run.space, run.objectives[0], run.spec.fidelity))
    logged = {r.step: r for r in store.records(run.run_id) if r.step < run.total}
    ask = strategy.ask_size or int(getattr(agent, "preferred_batch", 0) or run.config.batch_size)
    step = count = 0
    while step < run.total:
        designs = [run.space.validate(d) for d in agent.ask(min(ask, run.total - step))]
        if not designs:
            break
        k = len(designs)
        chunks = [(a, designs[a - step:b - step])
                  for a, b in _aligned(step, step + k, run.config.batch_size, set(logged))]
        for records in pool.run(run.spec, chunks):
            assert not isinstance(records, RowBlock)  # design dicts come back as records
            _commit(store, records, bar)
            count += len(records)
            logged.update((r.step, r) for r in records)
        told = [logged[s] for s in range(step, step + k)]
        agent.tell([r.design for r in told], [_as_result(r) for r in told])
        step += k
    if hasattr(agent, "close"):
        agent.close()
    return count
