"""Where sweep evaluations run: a local process pool (default, no server) or Ray.

An executor takes *chunks* — ``(first_step, designs)`` with consecutive steps — and yields the
evaluated :class:`EvalRecord` list of each chunk as soon as it is finished, so that the caller
commits it to the run store at once. Both executors call the same :func:`evaluate_chunk`, so
the same chunks give the same rows wherever they ran.
"""

from __future__ import annotations

import ctypes
import itertools
import json
import math
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archgym.app.limits import MAX_WORKERS
from archgym.errors import ConfigError
from archgym.evaluator import Evaluator
from archgym.metrics import Objective, Result
from archgym.simulator import get_simulator
from archgym.space import Design, DesignSpace
from archgym.store import EvalRecord, RowBlock, json_members, json_objects, json_values
from archgym.workload import get_workload

EXECUTORS = ("local", "ray")
#: (first step, designs): a list of design dicts, or an ``(n, d)`` value-index matrix (planned
#: strategies), which is evaluated without per-design Python objects until the rows are written
Chunk = tuple[int, list[Design] | np.ndarray]
#: a chunk's rows: records (design dicts) or a column-wise :class:`RowBlock` (value-index matrices)
ChunkRows = list[EvalRecord] | RowBlock


@dataclass(frozen=True)
class EvalSpec:
    """Everything a worker needs to rebuild the evaluator of one run (plain, picklable data)."""

    run_id: str
    simulator: str
    workload: str
    preset: str | None
    mapping: str
    fidelity: str
    overrides: str  # JSON of {"fix": …, "values": …, "ranges": …}
    objective: Objective = field(default_factory=Objective)
    agent: str = ""
    seed: int | None = None

    @property
    def key(self) -> str:
        return json.dumps([self.simulator, self.workload, self.preset, self.mapping, self.overrides])

    def parts(self) -> tuple[Any, Any, DesignSpace]:
        """(simulator, workload, space with the overrides applied), built once per process."""
        return _parts(self)

    def build_space(self) -> DesignSpace:
        """The simulator's space for the workload with the config's overrides applied."""
        return _parts(self)[2]


class _Collector:
    """Stands in for a RunStore inside a worker: keeps the records to send back."""

    def __init__(self) -> None:
        self.records: list[EvalRecord] = []

    def log_many(self, records: Iterable[EvalRecord]) -> int:
        new = list(records)
        self.records.extend(new)
        return len(new)


_PARTS: dict[str, tuple[Any, Any, DesignSpace]] = {}


def _parts(spec: EvalSpec) -> tuple[Any, Any, DesignSpace]:
    """(simulator, workload, space), built once per process and spec."""
    if spec.key not in _PARTS:
        sim = get_simulator(spec.simulator)
        sim.check_fidelity(spec.fidelity)
        workload = get_workload(spec.workload)
        over = json.loads(spec.overrides)
        space = sim.space(workload, spec.preset, spec.mapping).restrict(
            over.get("fix"), over.get("values"), {k: tuple(v) for k, v in (over.get("ranges") or {}).items()})
        _PARTS[spec.key] = (sim, workload, space)
    return _PARTS[spec.key]


def evaluate_chunk(spec: EvalSpec, start: int, designs: list[Design] | np.ndarray) -> ChunkRows:
    """Evaluate ``designs`` as steps ``start, start+1, …`` of ``spec.run_id``; return the rows:
    records for design dicts, a :class:`RowBlock` built column-wise for a value-index matrix."""
    if isinstance(designs, np.ndarray):
        return _index_rows(spec, start, designs)
    sim, workload, space = _parts(spec)
    sink = _Collector()
    evaluator = Evaluator(sim, workload, space, spec.objective, spec.fidelity, store=sink,  # type: ignore[arg-type]
                          run_id=spec.run_id, agent=spec.agent, seed=spec.seed, step_offset=start)
    evaluator.evaluate(designs)
    return sink.records


def _index_rows(spec: EvalSpec, start: int, indices: np.ndarray) -> RowBlock:
    """The rows of a value-index chunk, built column by column: the same designs, metrics and
    violations as the per-design records (``tests/test_sweep.py`` checks), without a dict, Result
    or ``json.dumps`` per design; the metrics stay one float array (NaN: not computed)."""
    sim, workload, space = _parts(spec)
    evaluator = Evaluator(sim, workload, space, spec.objective, spec.fidelity, run_id=spec.run_id,
                          agent=spec.agent, seed=spec.seed, step_offset=start)
    t0 = time.perf_counter()
    batch = evaluator.evaluate_indices(indices)
    n = len(indices)
    template = evaluator._record(start, {}, Result({}, info=dict(batch.info)), (time.perf_counter() - t0) / max(n, 1))
    designs = json_objects({first: texts[indices[:, at] @ weights].tolist()
                            for first, at, weights, texts in _design_texts(spec)}, n)
    names = tuple(sorted(batch.metrics))
    metrics = np.stack([np.asarray(batch.metrics[k], dtype=float) for k in names], axis=1) if names \
        else np.zeros((n, 0))
    return RowBlock(template, designs, names, metrics, batch.valid.astype(bool).tolist(),
                    [json.dumps(list(v)) if v else "[]" for v in batch.violations])   # most rows: none


#: most value combinations of one group of parameters whose design texts are joined ahead (:func:`_design_texts`)
GROUP_COMBINATIONS = 4096

_DESIGN_TEXTS: dict[str, list[tuple[str, list[int], np.ndarray, np.ndarray]]] = {}


def _design_texts(spec: EvalSpec) -> list[tuple[str, list[int], np.ndarray, np.ndarray]]:
    """The spec's parameters in JSON key order, cut into groups of consecutive ones with at most
    :data:`GROUP_COMBINATIONS` value combinations; per group: its first name, its columns of the
    value-index matrix, their mixed-radix weights, and each combination's members joined
    (``"a": 1, "b": "x"``; a row's index into them is ``indices[:, columns] @ weights``). Member texts
    are taken from the designs ``columns_to_designs`` makes, so they are the per-design path's. Cached."""
    if spec.key not in _DESIGN_TEXTS:
        space = _parts(spec)[2]
        probe = np.minimum(np.arange(int(space.nvec.max(initial=1)))[:, None], space.nvec - 1)
        rows = space.columns_to_designs(space.indices_to_columns(probe))
        sizes = dict(zip(space.names, space.nvec.tolist()))
        groups: list[list[str]] = []
        for name in sorted(space.names):
            if groups and math.prod(sizes[k] for k in groups[-1]) * sizes[name] <= GROUP_COMBINATIONS:
                groups[-1].append(name)
            else:
                groups.append([name])
        out = []
        for names in groups:
            members = [json_members(k, json_values([row[k] for row in rows[:sizes[k]]])) for k in names]
            weights = np.array([math.prod(sizes[k] for k in names[j + 1:]) for j in range(len(names))], dtype=np.int64)
            texts = np.array([", ".join(combo) for combo in itertools.product(*members)], dtype=object)
            out.append((names[0], [space.names.index(k) for k in names], weights, texts))
        _DESIGN_TEXTS[spec.key] = out
    return _DESIGN_TEXTS[spec.key]


class LocalExecutor:
    """A pool of ``workers`` local processes (``workers == 1`` evaluates in this process)."""

    def __init__(self, workers: int | None = None):
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self._pool: ProcessPoolExecutor | None = None

    def run(self, spec: EvalSpec, chunks: Iterable[Chunk]) -> Iterator[ChunkRows]:
        if self.workers == 1:
            for start, designs in chunks:
                yield evaluate_chunk(spec, start, designs)
            return
        if self._pool is None:
            methods = mp.get_all_start_methods()
            ctx = mp.get_context("fork" if "fork" in methods else methods[0])
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_die_with_parent)
        pool = self._pool
        yield from _windowed(chunks, 2 * self.workers,
                             submit=lambda c: pool.submit(evaluate_chunk, spec, *c),
                             wait_any=lambda pending: wait(pending, return_when=FIRST_COMPLETED)[0],
                             result=lambda f: f.result())

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class RayExecutor:
    """Ray tasks (Ray's own scheduling): a local Ray instance by default, or ``address``
    (``auto``, ``ray://host:10001``) to use a running cluster."""

    def __init__(self, workers: int | None = None, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise ConfigError("executor: 'ray' needs Ray; install it with `pip install -e '.[ray]'` from the source tree") from None
        self._ray = ray
        self._started = not ray.is_initialized()
        if self._started:
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "logging_level": "ERROR", "configure_logging": True}
            if address:
                kwargs["address"] = address
            elif workers:
                kwargs["num_cpus"] = int(workers)
            ray.init(**kwargs)
        self.workers = int(workers or ray.cluster_resources().get("CPU", 1))
        self._remote = ray.remote(num_cpus=1)(evaluate_chunk)

    def run(self, spec: EvalSpec, chunks: Iterable[Chunk]) -> Iterator[ChunkRows]:
        ray = self._ray
        spec_ref = ray.put(spec)
        yield from _windowed(chunks, 2 * self.workers,
                             submit=lambda c: self._remote.remote(spec_ref, *c),
                             wait_any=lambda pending: ray.wait(list(pending), num_returns=1)[0],
                             result=ray.get)

    def close(self) -> None:
        if self._started and self._ray.is_initialized():
            self._ray.shutdown()


def _windowed(chunks: Iterable[Chunk], window: int, submit: Any, wait_any: Any, result: Any
              ) -> Iterator[ChunkRows]:
    """Keep at most ``window`` chunks in flight; yield each one's records as it finishes."""
    it = iter(chunks)
    pending: set[Any] = set()

    def fill() -> None:
        while len(pending) < window:
            chunk = next(it, None)
            if chunk is None:
                return
            pending.add(submit(chunk))

    fill()
    while pending:
        for done in wait_any(pending):
            pending.discard(done)
            yield result(done)
        fill()


def make_executor(kind: str = "local", workers: int | None = None,
                  address: str | None = None) -> LocalExecutor | RayExecutor:
    if kind not in EXECUTORS:
        raise ConfigError.bad_value("executor", kind, EXECUTORS)
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise ConfigError.bad_value("workers", workers, f"an integer in [1, {MAX_WORKERS}]")
    if kind == "ray":
        return RayExecutor(workers, address)
    if address:
        raise ConfigError("--address: only with --executor ray")
    return LocalExecutor(workers)


def _die_with_parent() -> None:
    """Worker initialiser: on Linux, ask to be killed when the sweep process dies (SIGKILL
    included), so that no orphan keeps computing after ``kill -9``."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except OSError:
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the parent
