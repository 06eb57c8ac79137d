"""The RDU design space: hardware parameters around a preset, and the mapping knobs.

Mapping modes (see :mod:`archgym.simulator`):

``auto``       hardware only (≤ 10⁶ designs); the default mapper picks cuts, PCUs, tile and TP.
``shared``     hardware × ``tile_rows``, ``fusion``, ``max_section``, ``tp``, ``buffer_depth``,
               ``pcu_alloc`` (one choice for the whole graph).
``per-layer``  hardware × ``tile_rows``, ``tp``, ``buffer_depth`` × per kernel ``cut@NAME``
               (start a new section before it) and ``share@NAME`` (weight of its PCU share).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from archgym.space import Constraint, DesignSpace, Param, categorical, ordinal
from simulators.rdu.hardware import PRESETS, RDUConfig
from simulators.rdu.kernels import KernelGraph

SHARED_KNOBS = ("tile_rows", "fusion", "max_section", "tp", "buffer_depth", "pcu_alloc")
SHARES = (0.25, 0.5, 1.0, 2.0, 4.0)
MAX_SECTION = (1, 2, 4, 8, 16, 32, 64, 1024)


def _around(value: int, factors: Sequence[float], floor: int = 1) -> tuple[int, ...]:
    vals = sorted({max(floor, round(value * f)) for f in factors} | {int(value)})
    return tuple(vals)


def hardware_params(cfg: RDUConfig) -> list[Param]:
    """Hardware parameters; each keeps the preset's value as its default."""
    hbm = cfg.hbm_gb > 0
    hbm_bw = _around(cfg.hbm_bw_gbs, (0.5, 1, 2)) if hbm else (800, 1600, 3200)
    p = [
        ordinal("n_pcu", _around(cfg.n_pcu, (0.25, 0.5, 1, 1.5, 2)), unit="PCUs", default=cfg.n_pcu),
        ordinal("n_pmu", _around(cfg.n_pmu, (0.25, 0.5, 1, 1.5, 2)), unit="PMUs", default=cfg.n_pmu),
        ordinal("lanes", _around(cfg.lanes, (0.5, 1, 2)), unit="lanes/PCU", default=cfg.lanes),
        ordinal("stages", tuple(sorted({max(2, cfg.stages - 2), cfg.stages, cfg.stages + 2})),
                unit="stages/PCU", default=cfg.stages),
        ordinal("pmu_kib", _around(cfg.pmu_kib, (0.5, 1, 2)), unit="KiB/PMU", default=cfg.pmu_kib),
        ordinal("clock_mhz", _around(cfg.clock_mhz, (0.5, 0.75, 1, 1.25)), unit="MHz", default=cfg.clock_mhz),
        ordinal("hbm_gb", tuple(sorted({0, cfg.hbm_gb, 2 * cfg.hbm_gb} if hbm else {0, 32, 64})),
                unit="GB", default=cfg.hbm_gb),
        ordinal("hbm_bw_gbs", hbm_bw, unit="GB/s", default=cfg.hbm_bw_gbs if hbm else hbm_bw[1],
                doc="HBM bandwidth (unused when hbm_gb = 0)"),
        ordinal("ddr_gb", _around(cfg.ddr_gb, (0.5, 1)), unit="GB", default=cfg.ddr_gb),
        ordinal("ddr_bw_gbs", _around(cfg.ddr_bw_gbs, (1, 2)), unit="GB/s", default=cfg.ddr_bw_gbs),
        ordinal("sockets", tuple(sorted({1, 2, 4, 8, cfg.sockets})), unit="sockets", default=cfg.sockets),
        ordinal("link_gbs", _around(cfg.link_gbs, (1, 2)), unit="GB/s", default=cfg.link_gbs),
        # technology constants of the preset: one value each, carried in the design
        ordinal("word_bytes", (cfg.word_bytes,), unit="B", doc="datatype width (BF16 = 2, FP32 = 4)"),
        ordinal("process_nm", (cfg.process_nm,), unit="nm"),
        ordinal("reconfig_us", (cfg.reconfig_s * 1e6,), unit="µs", doc="program load per section"),
    ]
    return p


@cache
def pcu_grid() -> tuple[int, ...]:
    """Every ``n_pcu`` value of every preset's space (the cycle-level mapper's extra PCU budgets)."""
    return tuple(sorted({int(v) for cfg in PRESETS.values() for p in hardware_params(cfg) if p.name == "n_pcu"
                         for v in p.values}))


def tile_values(kg: KernelGraph) -> tuple[int, ...]:
    top = int(kg.rows.max())
    return tuple(sorted({t for t in (1, 4, 16, 64, 256, 1024, 4096) if t < top} | {top}))


def _tp_ok(d: Any) -> Any:
    return np.asarray(d["sockets"]) % np.asarray(d["tp"]) == 0


TP_CONSTRAINT = Constraint("tp_divides_sockets", _tp_ok, "the tensor-parallel degree divides the sockets")


def build_space(cfg: RDUConfig, kg: KernelGraph, mapping: str, name: str,
                default_cuts: np.ndarray | None = None, default_tile: int | None = None) -> DesignSpace:
    """The design space for ``mapping`` mode; per-layer defaults are the default mapper's choices."""
    hw = hardware_params(cfg)
    if mapping == "auto":
        return DesignSpace(tuple(hw), (), name)
    tiles = tile_values(kg)
    tile_default = default_tile if default_tile in tiles else min(
        tiles, key=lambda t: abs(np.log2(t) - np.log2(256)))
    tps = tuple(sorted({1, 2, 4, 8, cfg.sockets}))
    common = [
        ordinal("tile_rows", tiles, unit="rows", default=tile_default, doc="rows (tokens/pixels) per tile"),
        ordinal("tp", tps, unit="sockets", default=cfg.sockets, doc="tensor-parallel degree (pp = sockets/tp)"),
        ordinal("buffer_depth", (2, 3, 4), unit="tiles", default=2, doc="on-chip FIFO depth between kernels"),
    ]
    if mapping == "shared":
        knobs = [
            categorical("fusion", ("on", "off"), default="on"),
            ordinal("max_section", MAX_SECTION, unit="kernels", default=MAX_SECTION[-1]),
            categorical("pcu_alloc", ("balanced", "proportional", "equal"), default="balanced"),
        ]
        return DesignSpace(tuple(hw + common + knobs), (TP_CONSTRAINT,), name)
    flags = np.zeros(len(kg), dtype=int) if default_cuts is None else default_cuts
    per_op: list[Param] = []
    for i, op_name in enumerate(kg.names):
        if i:
            per_op.append(ordinal(f"cut@{op_name}", (0, 1), default=int(flags[i]),
                                  doc="1: start a new section before this kernel"))
        per_op.append(ordinal(f"share@{op_name}", SHARES, default=1.0, doc="relative PCU share"))
    return DesignSpace(tuple(hw + common + per_op), (TP_CONSTRAINT,), name)
