"""The sweep config: a YAML file validated by pydantic (``configs/sweeps/*.yaml``).

Example::

    name: systolic-resnet18
    simulator: systolic          # any registered simulator, or proxy:DIR
    preset: tpu-v1
    workloads: [resnet18]        # or `workload: resnet18`; one run per workload
    fidelity: analytical         # analytical | cycle (| scalesim: systolic only)
    mapping: auto                # auto | shared | per-layer
    space:
      fix: {dataflow: ws}        # pin a parameter
      values: {rows: [32, 64]}   # list the allowed values
      ranges: {ifmap_kb: [64, 1024]}   # keep numeric values within [low, high]
    strategy: random             # grid | random | lhs, or {name: AGENT, config: {...}}
    budget: 500                  # evaluations per workload (grid: the whole space when omitted)
    batch_size: 64               # designs per evaluate_batch call / per agent ask
    objectives: [latency_s, energy_j, area_mm2]   # Objective.parse specs
    constraints: {area_mm2: 200} # metric upper bounds
    seed: 0

Every error is one line naming the file, the field and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from archgym.app.limits import MAX_BATCH, MAX_BUDGET, SEED_MAX
from archgym.config import StrictModel, load_config, validate
from archgym.errors import ConfigError
from archgym.metrics import Objective
from archgym.simulator import KNOWN_FIDELITIES, SIMULATORS

#: strategies planned up front from the seed (everything else is an agent from agents.registry)
PLANNED = ("grid", "random", "lhs")
_ALIASES = {"latin_hypercube": "lhs", "latin-hypercube": "lhs", "random_sampling": "random"}
#: objectives a sweep reports when its config names none
DEFAULT_OBJECTIVES: list[str | dict[str, Any]] = ["latency_s", "energy_j"]


class SpaceOverrides(StrictModel):
    """Narrowing of the simulator's design space (see :meth:`DesignSpace.restrict`)."""

    fix: dict[str, Any] = Field(default_factory=dict)
    values: dict[str, list[Any]] = Field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = Field(default_factory=dict)


class StrategyConfig(StrictModel):
    """``grid``, ``random``, ``lhs`` (Latin hypercube), or an agent name with its ``config``."""

    name: str = "random"
    config: dict[str, Any] = Field(default_factory=dict)
    #: designs per ``ask`` (agents only; default: the agent's preferred batch, else batch_size).
    #: A multiple of batch_size evaluates one ask on several workers at once.
    ask_size: int | None = Field(default=None, ge=1)

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        name = _ALIASES.get(name, name)
        if name in PLANNED:
            return name
        agents = agent_names()
        if name not in agents:
            raise ValueError(f"{name!r} is not known; allowed: {', '.join(dict.fromkeys([*PLANNED, *agents]))}")
        return name

    @property
    def planned(self) -> bool:
        return self.name in PLANNED


class SweepConfig(StrictModel):
    """One sweep: simulator × workloads × (restricted) space, explored by a strategy."""

    name: str = "sweep"
    simulator: str
    preset: str | None = None
    workloads: list[str] = Field(min_length=1)
    fidelity: Literal[KNOWN_FIDELITIES] = "analytical"  # type: ignore[valid-type]
    mapping: Literal["auto", "shared", "per-layer"] = "auto"
    space: SpaceOverrides = Field(default_factory=SpaceOverrides)
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)
    budget: int | None = Field(default=None, ge=1, le=MAX_BUDGET)
    batch_size: int = Field(default=64, ge=1, le=MAX_BATCH)
    objectives: list[str | dict[str, Any]] = Field(default_factory=lambda: list(DEFAULT_OBJECTIVES), min_length=1)
    constraints: dict[str, float] = Field(default_factory=dict)
    seed: int = Field(default=0, ge=0, le=SEED_MAX)

    @model_validator(mode="before")
    @classmethod
    def _shorthands(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "workload" in data:
            if "workloads" in data:
                raise ValueError("give either workload or workloads, not both")
            data["workloads"] = [data.pop("workload")]
        if isinstance(data.get("workloads"), str):
            data["workloads"] = [data["workloads"]]
        if isinstance(data.get("strategy"), str):
            data["strategy"] = {"name": data["strategy"]}
        return data

    @field_validator("simulator")
    @classmethod
    def _simulator(cls, name: str) -> str:
        if name in SIMULATORS or (name.startswith("proxy:") and len(name) > 6):
            return name
        raise ValueError(f"{name!r} is not known; allowed: {', '.join(SIMULATORS)}, proxy:DIR")

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
            raise ValueError(f"{name!r} is not allowed; allowed: letters, digits, '_', '.', '-'")
        return name

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, specs: list[Any]) -> list[Any]:
        for spec in specs:
            try:
                Objective.parse(spec)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return specs

    @field_validator("constraints")
    @classmethod
    def _constraints(cls, bounds: dict[str, float]) -> dict[str, float]:
        for metric, bound in bounds.items():
            if not math.isfinite(bound) or bound <= 0:
                raise ValueError(f"{metric}: {bound!r} is not allowed; allowed: a finite number > 0")
        return bounds

    @model_validator(mode="after")
    def _budget(self) -> SweepConfig:
        if self.strategy.name != "grid" and self.budget is None:
            raise ValueError(f"strategy {self.strategy.name!r} needs a budget (evaluations per workload)")
        return self

    # -- derived ---------------------------------------------------------------------------
    def objective_list(self) -> list[Objective]:
        """The objectives, each with the config's metric constraints attached."""
        out = []
        for spec in self.objectives:
            obj = Objective.parse(spec)
            out.append(replace(obj, constraints={**dict(obj.constraints), **self.constraints}))
        return out

    def for_workload(self, workload: str) -> dict[str, Any]:
        """The normalised config of the run that explores ``workload`` (JSON-ready)."""
        data = self.model_dump(mode="json")
        data["workloads"] = [workload]
        return data

    def run_id(self, workload: str) -> str:
        """Deterministic run id: rerunning the same config resumes the same run."""
        text = json.dumps(self.for_workload(workload), sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(text.encode()).hexdigest()[:10]
        slug = re.sub(r"[^A-Za-z0-9]+", "-", workload).strip("-")[:40] or "workload"
        return f"{self.name}-{slug}-{digest}"


def agent_names() -> list[str]:
    """Names of the registered agents."""
    from agents.registry import AGENTS

    return list(AGENTS)


def load_sweep_config(path: str | Path) -> SweepConfig:
    """Read and validate a sweep YAML; ``name`` defaults to the file's stem."""
    path = Path(path)
    cfg = load_config(path, SweepConfig)
    if "name" not in cfg.model_fields_set:
        cfg = validate(SweepConfig, {**cfg.model_dump(), "name": re.sub(r"[^A-Za-z0-9_.\-]", "-", path.stem)},
                       str(path))
    return cfg
