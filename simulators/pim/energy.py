"""Energy per MAC and per bit for PIM and host, and the area of the PIM logic.

[ATT]  AttAcc ``ENERGY_TABLE`` (docs/references.md §1.2.6): ALU 0.32 pJ per operation, i.e. 0.64 pJ per
       16-bit MAC in a DRAM process; other widths scale with the [H14] MAC energies of
       :mod:`simulators.common.technology` (INT8 MAC / FP16 MAC = 0.23 / 1.5).
[H14]  Horowitz ISSCC'14 MAC and flip-flop areas via ``get_tech("45nm")``: the PIM logic sits in
       a DRAM periphery process whose logic density is taken as that of 45 nm logic — an
       approximation (no public PCU area breakdown was found), so ``area_mm2`` is indicative.
A host DRAM read streams whole rows, so each bit pays the activation share 0.11 pJ plus the read
path (cell, bank-group mux, global I/O, off-chip) of :class:`~simulators.common.dram.DRAMTiming`.
"""

from __future__ import annotations

from typing import Any

from simulators.common.dram import PJ_PER_BIT_ACT_PRE, DRAMTiming
from simulators.common.technology import get_tech

_ALU_PJ_PER_OP_FP16 = 0.32   # [ATT]
_DRAM_LOGIC = get_tech("45nm")


def pim_mac_pj(bits: int) -> float:
    """Energy of one PIM multiply-accumulate on ``bits``-wide operands (pJ)."""
    scale = _DRAM_LOGIC.mac_pj(max(bits // 8, 1)) / _DRAM_LOGIC.mac_pj(2)
    return 2.0 * _ALU_PJ_PER_OP_FP16 * scale


def host_dram_pj_per_bit(t: DRAMTiming) -> float:
    """Energy per bit the host streams from DRAM (row activation share + read path)."""
    return PJ_PER_BIT_ACT_PRE + t.host_read_pj_per_bit


def pim_logic_mm2(units: Any, lanes: Any, bits: int, irf_regs: Any, irf_bits: int, orf_regs: Any,
                  orf_bits: int) -> Any:
    """Area of the PIM units: ``lanes`` MACs and the register files per unit (mm², arrays allowed)."""
    mac, reg = logic_um2(bits)
    reg_bits = irf_regs * irf_bits + orf_regs * orf_bits      # arrays or scalars (no 0-d array ops)
    per_unit = lanes * mac + reg_bits * reg
    return units * per_unit * 1e-6


def logic_um2(bits: int) -> tuple[float, float]:
    """(area of one ``bits``-wide MAC, area of one register bit), µm², in the PIM logic process."""
    return _DRAM_LOGIC.mac_um2(max(bits // 8, 1)), _DRAM_LOGIC.reg_um2_per_bit()
