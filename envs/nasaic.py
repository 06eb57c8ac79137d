"""Network × heterogeneous-accelerator co-exploration (NASAIC, Yang et al., DAC 2020) as a
simulator over one design space, and its Gymnasium environments ``archgym/NASAIC-v0`` (several
tasks, K sub-accelerators) and ``archgym/HWNAS-v0`` (one task, one accelerator).

A design is, per task, one value per architecture choice of the task's space (:mod:`nas.space`)
and the slot its network runs on, and per slot a sub-accelerator: dataflow template, PEs, on-chip
buffer and share of the chip's DRAM bandwidth (:mod:`simulators.hetero`). Metrics: per task
``<task>.accuracy`` (validation accuracy from the task's accuracy table) and ``<task>.latency_s``,
and ``accuracy_mean``, ``energy_j``, ``area_mm2``, ``latency_s`` (the frame: slowest slot) and
``power_w``. The problem's specs (latency per task, energy, area) are the default objective's
constraints: ``maximize accuracy_mean`` with each exceeded spec penalised by its relative excess
and named in ``violations``; the environments report ``info["valid"] = False`` for a design that
violates a spec. Hard limits make a design invalid: bandwidth shares above 1 (a space
constraint) and a network whose mappings do not fit. Sources and assumptions: docs/nasaic.md.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.errors import ConfigError, UnknownNameError
from archgym.metrics import BatchResult, Objective, Result, derive
from archgym.simulator import Simulator
from archgym.space import Constraint, DesignSpace, categorical, ordinal
from archgym.workload import Workload
from envs.design_env import DesignEnv
from simulators.hetero.multitask import combine
from simulators.hetero.tables import Table, table
from simulators.hetero.templates import TEMPLATES, SubAccel

#: accuracy source: (space name, task, architecture keys, split) → accuracies in [0, 1]
AccuracySource = Callable[[str, str, Sequence[str], str], np.ndarray]
#: most architectures a task's table enumerates (the tables hold every architecture of the space)
MAX_ARCHS = 5000


@dataclass(frozen=True)
class Problem:
    """A co-exploration problem: architecture space, tasks, slots, sub-accelerator values, specs.

    Specs are upper bounds: ``latency_s`` per task (s), ``energy_j`` (all tasks, one inference
    each), ``area_mm2`` (the slots that run a network). ``dram_bytes_per_cycle`` is the chip's
    off-chip bandwidth that slots share.
    """

    name: str
    space: str
    tasks: tuple[str, ...]
    slots: int
    latency_s: tuple[float, ...]
    energy_j: float
    area_mm2: float
    templates: tuple[str, ...] = TEMPLATES
    pes: tuple[int, ...] = (16, 64, 256)
    buffer_kb: tuple[float, ...] = (16.0, 64.0)
    bw_share: tuple[float, ...] = (0.25, 0.5, 0.75)
    dram_bytes_per_cycle: float = 16.0

    def __post_init__(self) -> None:
        if not self.tasks or len(set(self.tasks)) != len(self.tasks):
            raise ConfigError.bad_value("problem.tasks", self.tasks, "one or more distinct task names")
        if len(self.latency_s) != len(self.tasks):
            raise ConfigError.bad_value("problem.latency_s", self.latency_s, f"one spec per task ({len(self.tasks)})")
        if self.slots < 1:
            raise ConfigError.bad_value("problem.slots", self.slots, "an integer ≥ 1")
        for t in self.templates:
            if t not in TEMPLATES:
                raise ConfigError.bad_value("problem.templates", t, TEMPLATES)
        if not all(0 < s <= 1 for s in self.bw_share):
            raise ConfigError.bad_value("problem.bw_share", self.bw_share, "shares in (0, 1]")

    @property
    def subs(self) -> list[SubAccel]:
        """Every sub-accelerator configuration (the tables' columns), template-major."""
        return [SubAccel(t, p, b, s * self.dram_bytes_per_cycle) for t, p, b, s in
                itertools.product(self.templates, self.pes, self.buffer_kb, self.bw_share)]

    @property
    def specs(self) -> dict[str, float]:
        """Metric → upper bound."""
        return {**{f"{t}.latency_s": v for t, v in zip(self.tasks, self.latency_s)},
                "energy_j": self.energy_j, "area_mm2": self.area_mm2}

    def objective(self) -> Objective:
        """The default objective: mean accuracy, the specs as penalised constraints."""
        return Objective("maximize", "accuracy_mean", constraints=self.specs)


#: specs (assumed; docs/nasaic.md says how they were chosen): tight enough that the most accurate
#: networks miss them on every sub-accelerator of the space
PROBLEMS: dict[str, Problem] = {p.name: p for p in (
    Problem("nasaic", "cell", ("digits", "digits-rot"), 2, (3.0e-6, 3.0e-6), 5.5e-6, 0.5),
    Problem("hwnas", "cell", ("digits",), 1, (2.2e-6,), 2.0e-6, 0.3, bw_share=(0.5, 1.0)),
)}


def get_problem(problem: str | Problem) -> Problem:
    if isinstance(problem, Problem):
        return problem
    if problem not in PROBLEMS:
        raise UnknownNameError(f"nasaic problem: {problem!r} is not known; allowed: {', '.join(PROBLEMS)}")
    return PROBLEMS[problem]


def table_accuracy(space: str, task: str, keys: Sequence[str], split: str) -> np.ndarray:
    """Accuracies (mean over the seeds trained) from the shipped table of ``space`` on ``task``
    (:mod:`nas.table`); an architecture the table lacks is a one-line error."""
    from nas.table import get_table

    tab = get_table(space, task)
    return np.array([tab.accuracy(tab.space.parse(k), split) for k in keys], dtype=float)


class NASAICSimulator(Simulator):
    """Evaluates designs of a :class:`Problem` (see the module docstring); the workload argument of
    the simulator contract is a placeholder: each design builds its own networks."""

    name = "nasaic"
    fidelities = ("analytical",)
    version = "1"

    def __init__(self, problem: str | Problem = "nasaic", accuracy: AccuracySource | None = None):
        from nas.space import get_space

        accuracy = accuracy or table_accuracy

        self.problem = get_problem(problem)
        self.default_preset = self.problem.name
        self.arch_space = get_space(self.problem.space)
        if self.arch_space.size > MAX_ARCHS:
            raise ConfigError.bad_value(f"problem {self.problem.name}: space {self.problem.space} size",
                                        self.arch_space.size, f"at most {MAX_ARCHS} (tables enumerate it)")
        self.archs = list(self.arch_space.enumerate())
        self.accuracy = {split: np.stack([accuracy(self.problem.space, t, [a.key for a in self.archs], split)
                                          for t in self.problem.tasks]) for split in ("valid", "test")}
        self._space = _design_space(self.problem, self.arch_space.choices)

    @functools.cached_property
    def tables(self) -> list[Table]:
        """Per task: every architecture (with the task's classifier width) on every sub-accelerator
        (the search runs on first use; layer shapes the tasks share are searched once)."""
        from nas.tasks import get_task

        return [table([self.arch_space.workload(a, classes=get_task(t).classes) for a in self.archs],
                      self.problem.subs) for t in self.problem.tasks]

    def placeholder(self) -> Workload:
        """The workload the contract asks for: the space's default architecture's network."""
        return self.arch_space.workload(self.archs[0])

    def presets(self) -> dict[str, Problem]:
        return dict(PROBLEMS)

    def space(self, workload: Workload | None = None, preset: str | None = None,
              mapping: str = "auto") -> DesignSpace:
        if mapping != "auto":
            raise ConfigError.bad_value("nasaic mapping", mapping, ("auto",))
        return self._space

    def evaluate(self, design: Mapping[str, Any], workload: Workload | None = None,
                 fidelity: str = "analytical") -> Result:
        return self.evaluate_batch([design], workload, fidelity).row(0)

    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, np.ndarray],
                       workload: Workload | None = None, fidelity: str = "analytical") -> BatchResult:
        self.check_fidelity(fidelity)
        cols = self._space.designs_to_columns(designs) if not isinstance(designs, Mapping) else designs
        return self.evaluate_codes(*self.codes(cols))

    # -- the array path -----------------------------------------------------------------------
    def codes(self, cols: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(nets (n, T), slots (n, K), assign (n, T))`` table indices of designs given as columns."""
        p = self.problem
        idx = {name: _value_index(name, self._space[name].values, np.asarray(col)) for name, col in cols.items()}
        sizes = [len(v) for v in self.arch_space.choices.values()]
        nets = np.stack([np.ravel_multi_index(tuple(idx[f"{t}.{c}"] for c in self.arch_space.choices), sizes)
                         for t in p.tasks], axis=1)
        radix = (len(p.templates), len(p.pes), len(p.buffer_kb), len(p.bw_share))
        slots = np.stack([np.ravel_multi_index(tuple(idx[f"slot{k}.{f}"] for f in SLOT_FIELDS), radix)
                          for k in range(p.slots)], axis=1)
        assign = np.stack([idx[f"{t}.slot"] for t in p.tasks], axis=1)
        return nets, slots, assign

    def evaluate_codes(self, nets: np.ndarray, slots: np.ndarray, assign: np.ndarray) -> BatchResult:
        """Metrics of designs given as table indices (see :meth:`codes`)."""
        metrics, fits = self.metrics(nets, slots, assign)
        violations = [[] if ok else ["mapping_does_not_fit"] for ok in fits.tolist()]
        return BatchResult(derive(metrics), fits, violations, {"model": "nasaic", "problem": self.problem.name})

    def metrics(self, nets: np.ndarray, slots: np.ndarray, assign: np.ndarray
                ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Metric arrays and the mapping-fit mask of designs given as table indices."""
        hw, fits = combine(self.tables, nets, slots, assign)
        acc = np.stack([self.accuracy["valid"][i, nets[:, i]] for i in range(len(self.problem.tasks))], axis=1)
        out = {"accuracy_mean": acc.mean(axis=1), "energy_j": hw["energy_j"], "area_mm2": hw["area_mm2"],
               "latency_s": hw["frame_s"], "power_w": hw["power_w"]}
        for i, t in enumerate(self.problem.tasks):
            out[f"{t}.accuracy"] = acc[:, i]
            out[f"{t}.test_accuracy"] = self.accuracy["test"][i, nets[:, i]]
            out[f"{t}.latency_s"] = hw["latency_s"][:, i]
        return out, fits


SLOT_FIELDS = ("template", "pes", "buffer_kb", "bw_share")


def _value_index(name: str, values: Sequence[Any], column: np.ndarray) -> np.ndarray:
    """Index of each entry of parameter ``name``'s ``column`` in its ``values``."""
    lookup = {v: i for i, v in enumerate(values)}
    try:
        return np.fromiter((lookup[v] for v in column.tolist()), dtype=np.int64, count=len(column))
    except KeyError as exc:
        raise ConfigError.bad_value(name, exc.args[0], list(values)) from None


def _design_space(p: Problem, choices: Mapping[str, Sequence[Any]]) -> DesignSpace:
    """Per task its architecture choices and slot; per slot its sub-accelerator."""
    params = []
    for t in p.tasks:
        params += [categorical(f"{t}.{c}", tuple(v), doc=f"{t}: architecture choice {c}") for c, v in choices.items()]
    for k in range(p.slots):
        params += [categorical(f"slot{k}.template", p.templates, doc="dataflow template (docs/nasaic.md)"),
                   ordinal(f"slot{k}.pes", p.pes, unit="PEs"),
                   ordinal(f"slot{k}.buffer_kb", p.buffer_kb, unit="KB", doc="on-chip SRAM, all operands"),
                   ordinal(f"slot{k}.bw_share", p.bw_share, doc="share of the chip's DRAM bandwidth")]
    params += [ordinal(f"{t}.slot", tuple(range(p.slots)), default=i % p.slots, doc=f"slot {t} runs on")
               for i, t in enumerate(p.tasks)]
    shares = [f"slot{k}.bw_share" for k in range(p.slots)]
    bandwidth = Constraint("bandwidth_shares", lambda d: sum(d[s] for s in shares) <= 1.0 + 1e-9,
                           "the slots' DRAM bandwidth shares sum to at most 1")
    return DesignSpace(tuple(params), (bandwidth,), f"nasaic-{p.name}")


class NASAICEnv(DesignEnv):
    """``archgym/NASAIC-v0``: a :class:`DesignEnv` over a :class:`Problem` (default ``nasaic``);
    ``info["valid"]`` is False for a design that violates a spec. ``simulator``/``mapping`` are
    the registry entry's (the hardware model family) and must stay ``loopnest``/``auto``.
    ``workload`` is not used: every design builds its own networks from the problem's space (the
    argument is accepted because generic callers of the registered ids pass one per family)."""

    default_problem = "nasaic"

    def __init__(self, problem: str | Problem | None = None, objective: Any = None,
                 simulator: str = "loopnest", mapping: str = "auto", workload: Any = None, **kwargs: Any):
        if (simulator, mapping) != ("loopnest", "auto"):
            raise ConfigError.bad_value("NASAIC env simulator/mapping", (simulator, mapping), [("loopnest", "auto")])
        sim = _simulator(get_problem(problem or self.default_problem))
        super().__init__(sim, sim.placeholder(), objective or sim.problem.objective(), mapping=mapping, **kwargs)

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = super().step(action)
        info["valid"] = bool(info["valid"]) and not info["violations"]
        return obs, reward, terminated, truncated, info


class HWNASEnv(NASAICEnv):
    """``archgym/HWNAS-v0``: one task, one accelerator (problem ``hwnas``)."""

    default_problem = "hwnas"


@functools.lru_cache(maxsize=8)
def _simulator(problem: Problem) -> NASAICSimulator:
    """One simulator per problem per process (its tables are searched once)."""
    return NASAICSimulator(problem)
