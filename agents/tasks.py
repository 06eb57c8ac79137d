"""Benchmark tasks: a workload, a design space, an objective and a budget, with the exact optimum.

Every task's space is small enough (≤ 10⁷ designs; the systolic ones have 185 220) to enumerate
through the simulator's vectorised ``evaluate_batch``, so the true optimum is known and an agent's
result is reported as *regret*: how far (in %) its best design's objective metric is above the
optimum's. Costs are log10 metrics (``Objective``), so for ``minimize`` and ``weighted_log``
objectives ``regret = 10^(cost − cost*) − 1`` is exactly the relative excess of the metric (of the
EDP for ``edp``). Multi-objective tasks also enumerate the exact Pareto front of their
``objectives`` for hypervolume ratios. Optima are cached in memory for the process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archgym.errors import UnknownNameError
from archgym.evaluator import Evaluator
from archgym.metrics import Objective, derive
from archgym.simulator import Simulator, get_simulator
from archgym.space import Design, DesignSpace
from archgym.workload import Workload, get_workload

ENUMERATION_LIMIT = 10_000_000


@dataclass(frozen=True)
class Task:
    """One benchmark task (see the module docstring)."""

    id: str
    simulator: str
    workload: str
    objective: str
    preset: str | None = None
    mapping: str = "auto"
    restrict: dict[str, Any] = field(default_factory=dict)  # DesignSpace.restrict kwargs
    constraints: dict[str, float] = field(default_factory=dict)  # metric upper bounds (penalties)
    objectives: tuple[str, ...] = ()  # several objectives (multi-objective agents, Pareto front)
    budget: int = 1000
    doc: str = ""

    def simulator_obj(self) -> Simulator:
        return get_simulator(self.simulator)

    def workload_obj(self) -> Workload:
        return get_workload(self.workload)

    def objective_obj(self) -> Objective:
        obj = Objective.parse(self.objective)
        if self.constraints:
            from dataclasses import replace

            obj = replace(obj, constraints={**dict(obj.constraints), **self.constraints})
        return obj

    def objective_list(self) -> list[Objective]:
        return [Objective.parse(o) for o in self.objectives]

    def space(self, simulator: Simulator | None = None, workload: Workload | None = None) -> DesignSpace:
        sim = simulator or self.simulator_obj()
        space = sim.space(workload or self.workload_obj(), self.preset, self.mapping)
        return space.restrict(**self.restrict) if self.restrict else space

    def evaluator(self, **kw: Any) -> Evaluator:
        """A fresh evaluator for this task (``store``, ``run_id``, ``agent``, ``seed`` … via kw)."""
        sim, wl = self.simulator_obj(), self.workload_obj()
        return Evaluator(sim, wl, self.space(sim, wl), self.objective_obj(), **kw)

    def exact_optimum(self) -> Optimum | None:
        """The optimum found without enumerating the space (tasks whose space is too large to
        enumerate but solvable exactly override this); ``None``: :func:`optimum` enumerates."""
        return None

    def describe(self) -> dict[str, Any]:
        sim, wl = self.simulator_obj(), self.workload_obj()
        return {"id": self.id, "simulator": self.simulator, "workload": self.workload, "preset": self.preset,
                "mapping": self.mapping, "objective": self.objective_obj().describe(),
                "objectives": list(self.objectives), "space_size": self.space(sim, wl).size,
                "budget": self.budget, "doc": self.doc}


@dataclass
class Optimum:
    """The exact optimum of a task found by enumeration."""

    cost: float
    design: Design
    metrics: dict[str, float]
    feasible: int
    size: int
    seconds: float
    #: exact Pareto front of the task's objectives (log10 metrics), multi-objective tasks only
    front: np.ndarray | None = None

    def regret(self, cost: Any) -> Any:
        """Relative excess over the optimum (0 = optimal; 0.05 = 5 % above); ``inf`` past float range (a run
        that found no feasible design has the invalid cost), without numpy's overflow warning."""
        with np.errstate(over="ignore"):
            return np.power(10.0, np.asarray(cost, dtype=float) - self.cost) - 1.0


def _systolic(id: str, workload: str, objective: str, doc: str, **kw: Any) -> Task:
    return Task(id, "systolic", workload, objective, preset=kw.pop("preset", "edge-7nm"), doc=doc, **kw)


def _dram_tasks() -> tuple[Task, ...]:
    """ArchGym's DRAMSys controller search on DDR4-2400 over four traces, with its objectives (power
    target, latency target, both; targets 1 W and 50 ns, assumed) and two plain minimisations. The
    space is its ten knobs with its GA/BO range of RequestBufferSize (1–8) and one address mapping
    (DRAMsim3's default; the GEMM trace the bank-group-interleaved one): 331 776 designs. Trace gaps
    keep good controllers just below saturation; the GEMM trace's three streams share a bank."""
    traces = {"stream": "trace:pattern=stream,n=20000,rw=0.2,gap=8",
              "random": "trace:pattern=random,n=20000,rw=0.3,gap=8",
              "cloud": "trace:pattern=bursty,n=20000,rw=0.4,gap=1,burst=256,idle=2048",
              "gemm": "trace:pattern=multistream,n=20000,streams=3,gap=6"}
    objectives = {"power": "target:power_w=1.0", "latency": "target:avg_read_latency_ns=50",
                  "both": "target:power_w=1.0,avg_read_latency_ns=50", "energy": "min:energy_j",
                  "readlat": "min:avg_read_latency_ns"}
    chosen = [(t, o) for t in traces for o in ("power", "latency", "both")] + [("stream", "readlat"),
                                                                               ("random", "energy")]
    return tuple(Task(f"dram-{t}-{o}", "dram", traces[t], objectives[o], preset="ddr4-2400",
                      restrict={"fix": {"AddressMapping": "rorabachcobg" if t == "gemm" else "rochrababgco"},
                                "values": {"RequestBufferSize": [1, 2, 4, 8]}},
                      doc=f"DDR4-2400 controller (ArchGym's DRAMSys knobs) on a {t} trace: {objectives[o]}")
                 for t, o in chosen)


#: the benchmark suite: seven systolic tasks, then PIM, RDU, DRAM and FPGA tasks
TASKS: dict[str, Task] = {t.id: t for t in (
    _systolic("systolic-resnet18-edp", "resnet18", "edp",
              "ResNet-18 on a 7 nm edge array within its 4 mm² area budget: minimise energy × delay"),
    _systolic("systolic-mobilenetv2-latency", "mobilenetv2", "min:latency_s",
              "MobileNetV2 (depthwise layers: poor array utilisation), minimise latency, 4 mm² budget"),
    _systolic("systolic-bert-edp", "bert-base:seq=128", "edp",
              "BERT-base encoder, sequence 128: minimise EDP, 4 mm² budget"),
    _systolic("systolic-gpt2decode-energy", "gpt2-decode:ctx=256", "min:energy_j",
              "GPT-2 decode step (GEMV-bound, memory-dominated): minimise energy, 4 mm² budget"),
    _systolic("systolic-gemm1024-latency", "gemm:M=1024,N=1024,K=1024", "min:latency_s",
              "one 1024³ GEMM on SCALE-Sim's 32×32 array family, latency with a 2 mm² area penalty",
              preset="scalesim", constraints={"area_mm2": 2.0}),
    _systolic("systolic-resnet50-energy", "resnet50", "min:energy_j",
              "ResNet-50: minimise energy under a 5 ms latency bound (penalty), 4 mm² budget",
              constraints={"latency_s": 5e-3}),
    _systolic("systolic-resnet18-pareto", "resnet18", "edp",
              "ResNet-18 on SCALE-Sim's array family: latency × energy × area Pareto front (scalar: EDP)",
              preset="scalesim", objectives=("min:latency_s", "min:energy_j", "min:area_mm2")),
    Task("pim-gpt2decode-edp", "pim", "gpt2-decode:ctx=512", "edp", preset="hbm-pim",
         restrict={"fix": {"host_tops": 46.1, "host_bw_gbs": 307.2}}, constraints={"area_mm2": 3.0},
         doc="GPT-2 decode step on HBM-PIM with a fixed host: PIM units, clocks, registers and activation "
             "mode for minimum EDP, PIM logic ≤ 3 mm²"),
    Task("pim-llama7b-latency", "pim", "llama7b-decode:layers=4", "min:latency_s", preset="lpddr5x-pim",
         constraints={"area_mm2": 3.0},
         doc="four LLaMA-7B decoder layers (one token) on LPDDR5X-PIM: minimise latency, PIM logic ≤ 3 mm²"),
    Task("rdu-llama7b-edp", "rdu", "llama7b-decode:layers=1", "edp", preset="sn40l-node",
         restrict={"values": {"sockets": [2, 4, 8]},
                   "fix": {"ddr_gb": 768, "ddr_bw_gbs": 100, "link_gbs": 100}},
         constraints={"area_mm2": 300.0},
         doc="one LLaMA-7B decoder layer on an SN40L-like node: tile mix, on-chip and HBM memory, "
             "sockets for EDP, ≤ 300 mm² per socket"),
    Task("fpga-resnet18-throughput", "fpga", "resnet18", "max:throughput_inf_per_s", preset="zcu102",
         restrict={"fix": {"device": "zcu102", "precision": "int8"}}, constraints={"power_w": 10.0},
         doc="ResNet-18 int8 on a ZCU102: maximise images/s within 10 W"),
    *_dram_tasks(),
    Task("fpga-gpt2decode-edp", "fpga", "gpt2-decode:ctx=256", "edp", preset="u280",
         restrict={"fix": {"device": "u280"}, "values": {"style": ["tiled", "hybrid"],
                                                         "precision": ["int4", "int8", "int16", "fp16"]}},
         doc="GPT-2 decode step on an Alveo U280: tiled or hybrid accelerator, precision (int4…fp16) and "
             "tiling for EDP"),
)}

from agents.coopt_tasks import coopt_tasks  # noqa: E402 - it builds Task objects, defined above

TASKS.update({t.id: t for t in coopt_tasks()})  # hardware × mapping co-optimisation (loop-nest model)

from agents.nasaic_tasks import nasaic_tasks  # noqa: E402 - it builds Task objects, defined above

TASKS.update({t.id: t for t in nasaic_tasks()})  # network × heterogeneous accelerator co-exploration

_OPTIMA: dict[str, Optimum] = {}


def get_task(task_id: str) -> Task:
    if task_id not in TASKS:
        raise UnknownNameError(f"task: {task_id!r} is not known; allowed: {', '.join(TASKS)}")
    return TASKS[task_id]


def optimum(task: Task | str, chunk: int = 32768) -> Optimum:
    """Enumerate ``task``'s space through ``evaluate_batch`` (cached per process)."""
    task = get_task(task) if isinstance(task, str) else task
    if task.id in _OPTIMA:
        return _OPTIMA[task.id]
    exact = task.exact_optimum()
    if exact is not None:
        _OPTIMA[task.id] = exact
        return exact
    start = time.perf_counter()
    sim, wl = task.simulator_obj(), task.workload_obj()
    space, objective = task.space(sim, wl), task.objective_obj()
    if space.size > ENUMERATION_LIMIT:
        from archgym.errors import ConfigError

        raise ConfigError(f"task {task.id}: {space.size} designs is more than {ENUMERATION_LIMIT} to enumerate")
    metric_names = [o.metric for o in task.objective_list()]
    best_cost, best_idx, best_metrics, feasible = np.inf, None, {}, 0
    fronts: list[np.ndarray] = []
    for idx in space.iter_index_chunks(chunk):
        cols = space.indices_to_columns(idx)
        bad = space.violations_batch(cols)
        ok = ~np.any(np.stack(list(bad.values())), axis=0) if bad else np.ones(len(idx), dtype=bool)
        if not ok.any():
            continue
        idx = idx[ok]
        cols = {k: v[ok] for k, v in cols.items()}
        batch = sim.evaluate_batch(cols, wl, "analytical")
        metrics = derive(batch.metrics)
        costs = objective.cost_batch(metrics, batch.valid)
        feasible += int(batch.valid.sum())
        i = int(np.argmin(costs))
        if costs[i] < best_cost:
            best_cost, best_idx = float(costs[i]), idx[i]
            best_metrics = {k: float(np.asarray(v)[i]) for k, v in metrics.items()}
        if metric_names:
            from agents.pareto import log_metrics, pareto_front

            F = log_metrics(np.stack([np.asarray(metrics[m], dtype=float) for m in metric_names], axis=1))
            F = F[batch.valid & np.all(np.isfinite(F), axis=1)]
            fronts.append(pareto_front(F))
    front = None
    if metric_names:
        from agents.pareto import pareto_front

        front = pareto_front(np.concatenate(fronts)) if fronts else np.empty((0, len(metric_names)))
    result = Optimum(best_cost, space.from_indices(best_idx) if best_idx is not None else {}, best_metrics,
                     feasible, space.size, time.perf_counter() - start, front)
    _OPTIMA[task.id] = result
    return result
