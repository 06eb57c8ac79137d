"""Hardware × mapping co-optimisation tasks ``coopt-<network>-<objective>`` on the loop-nest model.

The hardware space is small and enumerable (array rows × cols, the filter SRAM, the dataflow:
72 machines, docs/coopt.md); every machine's per-layer mappings are searched exhaustively by the
simulator (``mapping="auto"`` with ``mapping_objective`` = the task's objective), so the optimum
found by :func:`agents.tasks.optimum` is the joint optimum: min over hardware of the sum of
per-layer optima (exact for energy and latency; for EDP it is the best machine under per-layer
EDP-optimal mappings, see docs/coopt.md). :func:`flat_task` is the same problem with every
layer's mapping as agent knobs (``mapping="per-layer"``), the DiGamma/DOSA setting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from archgym.errors import ConfigError

if TYPE_CHECKING:  # agents.tasks imports this module to register the tasks
    from agents.tasks import Task

#: the hardware knobs searched; the other SRAMs, DRAM bandwidth and technology stay at the preset's
HARDWARE_VALUES: dict[str, list[Any]] = {
    "rows": [32, 64, 128], "cols": [32, 64, 128], "filter_kb": [64, 512],
    "dataflow": ["ws", "os", "is", "flex"],
}
PRESET = "edge-7nm"
#: held at the preset's values (edge-7nm): ifmap 512 KB, ofmap 256 KB, 32 words/cycle per interface
FIXED: dict[str, Any] = {"ifmap_kb": 512, "ofmap_kb": 256, "dram_bw": 32}
#: area bound (mm², penalty): it rules out a 128×128 array with the 512 KB filter SRAM (docs/coopt.md)
AREA_BUDGET_MM2 = 0.75
#: objective spec → the per-layer mapping search objective that makes the enumeration exact
MAPPING_OBJECTIVE = {"edp": "edp", "min:energy_j": "energy", "min:latency_s": "latency"}
OBJECTIVE_NAMES = {"edp": "edp", "min:energy_j": "energy", "min:latency_s": "latency"}
NETWORKS = {"resnet18": ("resnet18", "ResNet-18"), "mobilenetv2": ("mobilenetv2", "MobileNetV2"),
            "bert": ("bert-base:seq=128", "BERT-base encoder, sequence 128"),
            "gpt2decode": ("gpt2-decode:ctx=256", "GPT-2 decode step, context 256")}
#: (network, objective) pairs offered
CHOSEN = [("resnet18", "edp"), ("resnet18", "min:energy_j"), ("resnet18", "min:latency_s"),
          ("mobilenetv2", "edp"), ("mobilenetv2", "min:latency_s"), ("bert", "edp"),
          ("gpt2decode", "edp"), ("gpt2decode", "min:energy_j")]


def coopt_task(network: str, objective: str) -> Task:
    """The task ``coopt-<network>-<objective>`` (hardware space above, exact per-layer mappings)."""
    workload, label = NETWORKS[network]
    return build(f"coopt-{network}-{OBJECTIVE_NAMES[objective]}", workload, objective,
                 doc=f"{label} on the loop-nest model: 72 machines (rows, cols, filter SRAM, dataflow), each "
                     f"layer's mapping searched exhaustively; {objective}, area ≤ {AREA_BUDGET_MM2} mm²")


def build(task_id: str, workload: str, objective: str,
          hardware: Mapping[str, Sequence[Any]] = HARDWARE_VALUES, doc: str = "") -> Task:
    """A co-optimisation task over the ``hardware`` values (parameter → allowed values)."""
    from agents.tasks import Task

    if objective not in MAPPING_OBJECTIVE:
        raise ConfigError.bad_value("coopt objective", objective, tuple(MAPPING_OBJECTIVE))
    restrict = {"values": {k: list(v) for k, v in hardware.items()},
                "fix": {**{k: v for k, v in FIXED.items() if k not in hardware},
                        "mapping_objective": MAPPING_OBJECTIVE[objective]}}
    return Task(task_id, "loopnest", workload, objective, preset=PRESET, mapping="auto", restrict=restrict,
                constraints={"area_mm2": AREA_BUDGET_MM2}, budget=1000, doc=doc)


def flat_task(task: Task) -> Task:
    """``task`` with every layer's mapping as knobs (``mapping="per-layer"``): the joint space.
    Dataflow becomes a per-layer knob (a flexible array) and no mapping search runs inside."""
    values = {k: v for k, v in task.restrict.get("values", {}).items() if k != "dataflow"}
    fix = {k: v for k, v in task.restrict.get("fix", {}).items() if k not in ("dataflow", "mapping_objective")}
    return replace(task, id=f"{task.id}-flat", mapping="per-layer", restrict={"values": values, "fix": fix})


def coopt_tasks() -> tuple[Task, ...]:
    """Every offered co-optimisation task (:data:`CHOSEN`)."""
    return tuple(coopt_task(n, o) for n, o in CHOSEN)
