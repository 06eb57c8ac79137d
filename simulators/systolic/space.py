"""The systolic design space: hardware around a preset, and the mapping knobs.

Mapping modes (see :mod:`archgym.simulator`):

``auto``       hardware only: rows, cols (powers of two), dataflow, three SRAM sizes, DRAM
               bandwidth; the fold order of every layer is chosen by the simulator (the one
               with fewer cycles). Sizes stay ≤ 10⁶ designs so the space can be enumerated.
``shared``     hardware × ``fold_order`` and ``tile_folds`` (one choice for every layer;
               ``dataflow`` is then a mapping choice of a flexible array).
``per-layer``  hardware without ``dataflow`` × ``LAYER.dataflow``, ``LAYER.fold_order`` and
               ``LAYER.tile_folds`` for each MAC layer (co-optimisation).

``tile_folds`` is the SRAM tile: how many outer-loop folds keep their operand slices resident so
the inner operand is re-fetched once per tile (:mod:`.traffic`; 1 = SCALE-Sim's streaming, the
value ``auto`` mode uses). It is an upper bound: the simulator uses the largest tile up to it
whose resident slices fit the SRAMs (reported per layer as ``tile_folds_used``), so every tile
is legal — a rejecting constraint made 98–100 % of random per-layer ResNet-18 designs invalid.
Technology constants of the preset (``word_bytes``, ``clock_mhz``, ``tech``) are one-value
parameters, so a design is self-contained.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from archgym.space import Constraint, DesignSpace, Param, categorical, ordinal
from archgym.workload import Workload
from simulators.systolic.hardware import DATAFLOWS, SystolicConfig, area_mm2

FOLD_ORDERS = ("auto", "col", "row")
TILE_FOLDS = (1, 2, 4, 8, 16, 32, 64)
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
        params = hardware_params(cfg) + list(mapping_params(cfg, ""))
        return DesignSpace(tuple(params), cons, name)
    params = hardware_params(cfg, with_dataflow=False)
    for layer in layer_names(workload):
        params += mapping_params(cfg, f"{layer}.", with_dataflow=True)
    return DesignSpace(tuple(params), cons, name)


def mapping_params(cfg: SystolicConfig, prefix: str, with_dataflow: bool = False) -> list[Param]:
    """The mapping knobs of one layer (``prefix`` = ``"LAYER."``) or of every layer (``""``)."""
    p = [categorical(f"{prefix}dataflow", DATAFLOWS, default=cfg.dataflow)] if with_dataflow else []
    return p + [
        categorical(f"{prefix}fold_order", FOLD_ORDERS, default="auto", doc="auto: fewer cycles; col: SCALE-Sim's"),
        ordinal(f"{prefix}tile_folds", TILE_FOLDS, unit="folds", default=1,
                doc="most outer folds per SRAM tile (1: SCALE-Sim's streaming)"),
    ]
