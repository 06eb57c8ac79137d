"""The PIM design space: hardware around a preset, and the mapping knobs.

Mapping modes (see :mod:`archgym.simulator`):

``auto``       hardware only — channels per stack, banks per PIM unit, SIMD lanes, PIM clock,
               input/output register counts, host compute and bandwidth (≤ 10⁶ designs, so it
               can be enumerated); placement, split-K, row-block height and sub-batching are
               the simulator's own choice (the fastest for each design).
``shared``     hardware × ``fc_place``, ``attn_place`` (``auto``/``pim``/``host``), ``split_k``,
               ``tile_rows`` (0 = auto) and ``sub_batches`` (0 = auto, 1, 2), used by every layer.
``per-layer``  hardware × ``tile_rows``, ``sub_batches`` × ``LAYER.place`` and ``LAYER.split_k``
               for each MAC operator.
``act_mode`` is ``all-bank`` or ``per-bank`` (ACT limited by tRRD/tFAW); ``all-bank`` presets also
offer ``per-bank``. The one-value ``preset`` parameter names the technology constants (DRAM
standard, stacks, operand/accumulator/register widths, host efficiencies), so a design is
self-contained.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from archgym.space import Constraint, DesignSpace, Param, categorical, ordinal
from archgym.workload import Workload
from simulators.pim.hardware import PIMConfig, capacity_bytes
from simulators.pim.mapping import PLACES, SPLIT_CHOICES, SUB_BATCHES, TILE_CHOICES, resident_elems

ACT_MODES = ("all-bank", "per-bank")


def _around(value: float, factors: Sequence[float], floor: float = 1) -> tuple[Any, ...]:
    vals = {max(floor, round(value * f, 3)) for f in factors} | {value}
    return tuple(sorted(int(v) if float(v).is_integer() else v for v in vals))


def hardware_params(cfg: PIMConfig) -> list[Param]:
    """Hardware parameters; each keeps the preset's value as its default."""
    banks = cfg.timing.banks
    per_unit = tuple(sorted({g for g in (1, 2, 4) if banks % g == 0} | {cfg.banks_per_unit}))
    return [
        ordinal("channels", _around(cfg.channels, (0.25, 0.5, 1, 2)), unit="channels/stack",
                default=cfg.channels, doc="DRAM channels (HBM pseudo-channels) per stack"),
        ordinal("banks_per_unit", per_unit, unit="banks", default=cfg.banks_per_unit,
                doc="banks sharing one PIM unit"),
        ordinal("lanes", tuple(sorted({8, 16, 32, 64, cfg.lanes})), unit="lanes", default=cfg.lanes,
                doc="SIMD multipliers per PIM unit"),
        ordinal("pim_clock_mhz", _around(cfg.pim_clock_mhz, (0.5, 1, 1.5, 2)), unit="MHz",
                default=cfg.pim_clock_mhz),
        ordinal("irf_regs", _around(cfg.irf_regs, (0.5, 1, 2, 4)), unit="registers",
                default=cfg.irf_regs, doc=f"input registers of {cfg.irf_bits} b per unit"),
        ordinal("orf_regs", _around(cfg.orf_regs, (0.5, 1, 2, 4)), unit="registers",
                default=cfg.orf_regs, doc=f"output registers of {cfg.orf_bits} b per unit"),
        ordinal("host_tops", _around(cfg.host_tops, (0.5, 1, 2), floor=0.001), unit="Top/s",
                default=cfg.host_tops, doc="host peak compute"),
        ordinal("host_bw_gbs", _around(cfg.host_bw_gbs, (0.5, 1, 2), floor=0.001), unit="GB/s",
                default=cfg.host_bw_gbs, doc="host memory bandwidth"),
        categorical("act_mode", ACT_MODES if cfg.all_bank_act else ACT_MODES[1:],
                    default=ACT_MODES[0] if cfg.all_bank_act else ACT_MODES[1],
                    doc="all-bank ACT/PRE or per-bank ACT limited by tRRD/tFAW"),
        # the preset carries the technology constants (DRAM standard, widths, host efficiencies)
        categorical("preset", (cfg.name,), doc="PIM preset (simulators.pim.hardware.PRESETS)"),
    ]


def constraints(cfg: PIMConfig, workload: Workload) -> tuple[Constraint, ...]:
    resident = sum(resident_elems(op) for op in workload.layers) * cfg.operand_bits / 8.0

    def fits(d: Any) -> Any:
        return capacity_bytes(cfg, np.asarray(d["channels"], dtype=float)) >= resident

    return (Constraint("weights_fit_in_memory", fits, f"weights and KV cache ({resident / 2**30:.2f} GiB) fit"),)


def build_space(cfg: PIMConfig, workload: Workload, mapping: str) -> DesignSpace:
    hw = hardware_params(cfg)
    name = f"pim-{cfg.name}-{mapping}"
    cons = constraints(cfg, workload)
    if mapping == "auto":
        return DesignSpace(tuple(hw), cons, name)
    common = [ordinal("tile_rows", TILE_CHOICES, unit="rows", default=0, doc="0 = auto"),
              ordinal("sub_batches", SUB_BATCHES, default=0, doc="0 = auto; 2 overlaps host and PIM")]
    if mapping == "shared":
        params = hw + [categorical("fc_place", PLACES, default="auto", doc="linear layers on PIM or host"),
                       categorical("attn_place", PLACES, default="auto", doc="attention on PIM or host"),
                       ordinal("split_k", SPLIT_CHOICES, default=0, doc="0 = auto")] + common
        return DesignSpace(tuple(params), cons, name)
    params = hw + common
    for op in workload.layers:
        params += [categorical(f"{op.name}.place", PLACES, default="auto"),
                   ordinal(f"{op.name}.split_k", SPLIT_CHOICES, default=0, doc="0 = auto")]
    return DesignSpace(tuple(params), cons, name)
