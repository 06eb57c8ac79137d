"""The systolic design space: hardware around a preset, and the mapping knobs.

Mapping modes (see :mod:`archgym.simulator`):

``auto``       hardware only: rows, cols (powers of two), dataflow, three SRAM sizes, DRAM
               bandwidth; the fold order of every layer is chosen by the simulator (the one
               with fewer cycles). Sizes stay ≤ 10⁶ designs so the space can be enumerated.
``shared``     hardware × ``fold_order`` (one choice for every layer; ``dataflow`` is then a
               mapping choice of a flexible array).
``per-layer``  hardware without ``dataflow`` × ``LAYER.dataflow`` and ``LAYER.fold_order`` for each
               MAC layer (co-optimisation).
Technology constants of the preset (``word_bytes``, ``clock_mhz``, ``tech``) are one-value
parameters, so a design is self-contained.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from archgym.space import Constraint, DesignSpace, Param, categorical, ordinal
from archgym.workload import Workload
from simulators.systolic.hardware import DATAFLOWS, SystolicConfig, area_mm2

FOLD_ORDERS = ("auto", "col", "row")
HW_PARAMS = ("rows", "cols", "dataflow", "ifmap_kb", "filter_kb", "ofmap_kb", "dram_bw")
CONSTANTS = ("word_bytes", "clock_mhz", "tech")


def _pow2_around(value: int, below: int, above: int, floor: int = 1) -> tuple[int, ...]:
    """Powers of two from value/2^below to value·2^above (value itself kept if not a power of 2)."""
    base = 1 << max(int(np.log2(max(value, 1))), 0)
    vals = {max(floor, base >> i) for i in range(below + 1)} | {base << i for i in range(1, above + 1)}
    return tuple(sorted(vals | {int(value)}))


def hardware_params(cfg: SystolicConfig, with_dataflow: bool = True) -> list[Param]:
    p = [
        ordinal("rows", _pow2_around(cfg.rows, 3, 2, 4), unit="PEs", default=cfg.rows,
                doc="systolic array height"),
        ordinal("cols", _pow2_around(cfg.cols, 3, 2, 4), unit="PEs", default=cfg.cols,
                doc="systolic array width"),
    ]
    if with_dataflow:
        p.append(categorical("dataflow", DATAFLOWS, default=cfg.dataflow,
                             doc="output / weight / input stationary"))
    p += [
        ordinal("ifmap_kb", _pow2_around(cfg.ifmap_kb, 4, 2, 4), unit="KB", default=cfg.ifmap_kb),
        ordinal("filter_kb", _pow2_around(cfg.filter_kb, 4, 2, 4), unit="KB", default=cfg.filter_kb),
        ordinal("ofmap_kb", _pow2_around(cfg.ofmap_kb, 4, 2, 4), unit="KB", default=cfg.ofmap_kb),
        ordinal("dram_bw", _pow2_around(cfg.dram_bw, 2, 2, 1), unit="words/cycle", default=cfg.dram_bw,
                doc="DRAM bandwidth of each SRAM interface"),
        ordinal("word_bytes", (cfg.word_bytes,), unit="B", doc="operand width"),
        ordinal("clock_mhz", (cfg.clock_mhz,), unit="MHz"),
        categorical("tech", (cfg.tech,), doc="technology node (simulators.common.technology)"),
    ]
    return p


def area_constraint(cfg: SystolicConfig) -> Constraint:
    """PE array + SRAMs within the preset's area budget (vectorised)."""
    budget = cfg.area_budget_mm2

    def check(d: Any) -> Any:
        area = area_mm2(np.asarray(d["rows"], dtype=float), np.asarray(d["cols"], dtype=float),
                        np.asarray(d["ifmap_kb"], dtype=float), np.asarray(d["filter_kb"], dtype=float),
                        np.asarray(d["ofmap_kb"], dtype=float), cfg.word_bytes, cfg.tech)
        return area <= budget

    return Constraint("area_budget", check, f"PE array + SRAMs ≤ {budget:g} mm²")


def layer_names(workload: Workload) -> list[str]:
    return [op.name for op in workload.layers]


def build_space(cfg: SystolicConfig, workload: Workload, mapping: str) -> DesignSpace:
    cons = (area_constraint(cfg),) if cfg.area_budget_mm2 > 0 else ()
    name = f"systolic-{cfg.name}-{mapping}"
    if mapping == "auto":
        return DesignSpace(tuple(hardware_params(cfg)), cons, name)
    if mapping == "shared":
        params = hardware_params(cfg) + [categorical("fold_order", FOLD_ORDERS, default="auto",
                                                     doc="auto: fewer cycles; col: SCALE-Sim's")]
        return DesignSpace(tuple(params), cons, name)
    params = hardware_params(cfg, with_dataflow=False) + list(per_layer_params(cfg, layer_names(workload)))
    return DesignSpace(tuple(params), cons, name)


def per_layer_params(cfg: SystolicConfig, names: Iterable[str]) -> Iterable[Param]:
    for n in names:
        yield categorical(f"{n}.dataflow", DATAFLOWS, default=cfg.dataflow)
        yield categorical(f"{n}.fold_order", FOLD_ORDERS, default="auto")
