"""Network × heterogeneous-accelerator co-exploration tasks (``nasaic-*``, ``hwnas-*``) with exact optima.

The joint space (architectures × sub-accelerators × assignment, :mod:`envs.nasaic`) is ~10⁸
designs, too many to enumerate through ``evaluate_batch``; :func:`exact_optimum` is exact anyway.
The cost (``−log10 accuracy_mean`` plus a penalty per relative spec excess) never gets worse when
a task's network is replaced by one that is no slower, no less energy-efficient and no less
accurate on the same sub-accelerator (latency, energy and accuracy enter it monotonically; area
does not depend on the network). So per (task, sub-accelerator configuration) only the Pareto set
of architectures in (latency, energy, −accuracy) can be optimal, and the search enumerates every
slot configuration and assignment with the product of those sets: a few hundred thousand designs.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from agents.pareto import pareto_mask
from archgym.errors import ConfigError
from archgym.metrics import Objective
from archgym.simulator import Simulator
from archgym.workload import Workload
from envs.nasaic import NASAICSimulator, Problem, _simulator, get_problem

if TYPE_CHECKING:  # agents.tasks imports this module to register the tasks
    from agents.tasks import Optimum, Task

#: designs costed per call while enumerating
CHUNK = 65536


@functools.cache
def task_class() -> type[Task]:
    """:class:`NASAICTask`, a :class:`~agents.tasks.Task` over a :class:`~envs.nasaic.Problem`
    (``workload`` holds the problem's name; ``simulator`` the hardware model family, ``loopnest``).
    Built on first use: ``agents.tasks`` imports this module to register the tasks."""
    from agents.tasks import Task

    @dataclass(frozen=True)
    class NASAICTask(Task):
        def simulator_obj(self) -> Simulator:
            return simulator(self)

        def workload_obj(self) -> Workload:
            return simulator(self).placeholder()

        def exact_optimum(self) -> Optimum:
            return exact_optimum(simulator(self), self.objective_obj())

    return NASAICTask


def simulator(task: Task) -> NASAICSimulator:
    """The simulator of a NASAIC task (one per problem per process)."""
    return _simulator(get_problem(task.workload))


def task_for(problem: str | Problem, task_id: str, doc: str, budget: int = 1000) -> Task:
    p = get_problem(problem)
    return task_class()(task_id, "loopnest", p.name, "max:accuracy_mean", constraints=p.specs, budget=budget, doc=doc)


def nasaic_tasks() -> tuple[Task, ...]:
    """The offered tasks: NASAIC's two-task problem and single-task HW-NAS (docs/nasaic.md)."""
    return (task_for("nasaic", "nasaic-cell-digits2",
                     "digits + rotated digits, NAS-Bench-201-like cells (table accuracy) on 2 heterogeneous "
                     "sub-accelerators (OS/WS/RS templates): max mean accuracy, latency/energy/area specs"),
            task_for("hwnas", "hwnas-cell-digits",
                     "digits, NAS-Bench-201-like cells (table accuracy) × one accelerator (OS/WS/RS template): "
                     "max accuracy under latency/energy/area specs"))


def pareto_archs(latency: np.ndarray, energy: np.ndarray, accuracy: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Indices of the valid architectures no other valid one dominates in (latency, energy,
    −accuracy); of identical points the first is kept."""
    idx = np.flatnonzero(valid)
    return np.asarray(idx[pareto_mask(np.stack([latency[idx], energy[idx], -accuracy[idx]], axis=1))])


def exact_optimum(sim: NASAICSimulator, objective: Objective, nets: Sequence[int] | None = None) -> Optimum:
    """The design of least ``objective`` cost over the whole space (see the module docstring), or
    over its hardware only with each task's network fixed to ``nets`` (table rows)."""
    start = time.perf_counter()
    p, tables = sim.problem, sim.tables
    acc = sim.accuracy["valid"]
    n_cfg = len(p.subs)
    cands = [[pareto_archs(tb.latency_s[:, s], tb.energy_j[:, s], acc[t], tb.valid[:, s]) if nets is None
              else np.array([nets[t]])[tb.valid[nets[t], s:s + 1]] for s in range(n_cfg)]
             for t, tb in enumerate(tables)]
    shares = np.array([s.dram_bytes_per_cycle for s in p.subs]) / p.dram_bytes_per_cycle
    rows_n, rows_s, rows_a = [], [], []
    for chosen in itertools.product(range(n_cfg), repeat=p.slots):
        if shares[list(chosen)].sum() > 1.0 + 1e-9:
            continue
        for on in itertools.product(range(p.slots), repeat=len(p.tasks)):
            lists = [cands[t][chosen[a]] for t, a in enumerate(on)]
            if any(len(c) == 0 for c in lists):
                continue
            grid = np.stack([g.ravel() for g in np.meshgrid(*lists, indexing="ij")], axis=1)
            rows_n.append(grid)
            rows_s.append(np.broadcast_to(np.array(chosen), (len(grid), p.slots)))
            rows_a.append(np.broadcast_to(np.array(on), (len(grid), len(p.tasks))))
    if not rows_n:
        raise ConfigError(f"problem {p.name}: no design has networks whose mappings fit")
    rows, slots, assign = (np.concatenate(r) for r in (rows_n, rows_s, rows_a))
    best_cost, best_i, best_metrics = np.inf, -1, {}
    for lo in range(0, len(rows), CHUNK):
        sl = slice(lo, lo + CHUNK)
        metrics, fits = sim.metrics(rows[sl], slots[sl], assign[sl])
        costs = objective.cost_batch(metrics, fits)
        i = int(np.argmin(costs))
        if costs[i] < best_cost:
            best_cost, best_i = float(costs[i]), lo + i
            best_metrics = {k: float(v[i]) for k, v in metrics.items()}
    design = design_of(sim, rows[best_i], slots[best_i], assign[best_i])
    from agents.tasks import Optimum
    # ``feasible`` counts the designs costed (the Pareto-pruned enumeration), not the whole space's
    return Optimum(best_cost, design, best_metrics, len(rows), sim.space().size, time.perf_counter() - start)


def best_accuracy_nets(sim: NASAICSimulator) -> list[int]:
    """Each task's most accurate architecture (validation accuracy; of ties the one with fewest
    MACs, a hardware-blind tie-break): the NAS step of the successive formulation at table accuracy."""
    macs = np.array([sim.arch_space.workload(a).total_macs for a in sim.archs])
    return [int(np.lexsort((macs, -a))[0]) for a in sim.accuracy["valid"]]


def design_of(sim: NASAICSimulator, nets: np.ndarray, slots: np.ndarray, assign: np.ndarray) -> dict[str, Any]:
    """The design (parameter → value) of one row of table indices (the inverse of ``sim.codes``)."""
    p = sim.problem
    out: dict[str, Any] = {}
    for t, a in zip(p.tasks, nets):
        out.update({f"{t}.{c}": v for c, v in sim.arch_space.named(sim.archs[int(a)]).items()})
    for k, s in enumerate(slots):
        sub = p.subs[int(s)]
        out.update({f"slot{k}.template": sub.template, f"slot{k}.pes": sub.pes, f"slot{k}.buffer_kb": sub.buffer_kb,
                    f"slot{k}.bw_share": sub.dram_bytes_per_cycle / p.dram_bytes_per_cycle})
    out.update({f"{t}.slot": int(a) for t, a in zip(p.tasks, assign)})
    return sim.space().validate(out)
