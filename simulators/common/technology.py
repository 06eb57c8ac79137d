"""Technology tables: energy per access and area of MACs, registers, SRAMs and DRAM.

Units: energies in pJ, areas in µm² (per unit) or mm² (totals). Every function accepts numpy
arrays (or torch tensors) as well as scalars, so batched simulators call them once per batch.

Sources
-------
[H14]  M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC 2014,
       Fig. 1.1.9 (45 nm, 0.9 V): 8b add 0.03 pJ / 36 µm², 8b mult 0.2 pJ / 282 µm²,
       16b FP add 0.4 pJ / 1360 µm², 16b FP mult 1.1 pJ / 1640 µm², 32b FP add 0.9 pJ / 4184 µm²,
       32b FP mult 3.7 pJ / 7700 µm²; 64-bit SRAM read 10 pJ (8 KB), 20 pJ (32 KB), 100 pJ (1 MB);
       DRAM 1.3–2.6 nJ per 64-bit access.
[E16]  Y.-H. Chen, J. Emer, V. Sze, "Eyeriss: a spatial architecture for energy-efficient dataflow
       for CNNs", ISCA 2016, Fig. 3: normalised energy of a register-file access ≈ 1× a MAC.
[NG]   Nangate 45 nm Open Cell Library: DFF_X1 flip-flop 4.522 µm² (one register bit).
[M07]  K. Mistry et al., "A 45nm logic technology …", IEDM 2007: 6T SRAM bit cell 0.346 µm².
[C17]  J. Chang et al., "A 7nm 256Mb SRAM in high-k metal-gate FinFET technology …", ISSCC 2017:
       high-density bit cell 0.027 µm².
[O17]  M. O'Connor et al., "Fine-grained DRAM", MICRO 2017, Table 1: HBM2 3.9 pJ/bit.
[S17]  A. Stillmaker, B. Baas, "Scaling equations for the accurate prediction of CMOS device
       performance from 180 nm to 7 nm", Integration 58 (2017), Tables 2–4: 45 → 7 nm scales
       logic energy by ≈ 0.13 and logic area by ≈ 0.04 (approximate factors used below).
SRAM periphery: array efficiency 50 % (bit-cell area / macro area), a CACTI-style typical value
(CACTI 6.5 reports 40–70 % for 32 KB–1 MB macros); this is an approximation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.errors import UnknownNameError
from simulators.common.memo import remember

#: [H14] 45 nm MAC = multiplier + adder, keyed by operand bytes: (energy pJ, area µm²)
_MAC_45NM: dict[int, tuple[float, float]] = {
    1: (0.2 + 0.03, 282.0 + 36.0),      # INT8
    2: (1.1 + 0.4, 1640.0 + 1360.0),    # FP16
    4: (3.7 + 0.9, 7700.0 + 4184.0),    # FP32
}
#: [H14] 45 nm SRAM: (capacity KB, pJ per 64-bit read)
_SRAM_45NM_POINTS = ((8.0, 10.0), (32.0, 20.0), (1024.0, 100.0))
_SRAM_ARRAY_EFFICIENCY = 0.5


def _loglog(points: tuple[tuple[float, float], ...]) -> tuple[Any, Any, float, float]:
    """(log capacities, log pJ per byte, lower and upper log-log slopes) of the [H14] SRAM points."""
    xs = np.log([p[0] for p in points])
    ys = np.log([p[1] / 8.0 for p in points])
    return xs, ys, (ys[1] - ys[0]) / (xs[1] - xs[0]), (ys[2] - ys[1]) / (xs[2] - xs[1])


_SRAM_LOGLOG = _loglog(_SRAM_45NM_POINTS)


@dataclass(frozen=True)
class TechNode:
    """Per-access energies and unit areas of one process node (see module sources)."""

    name: str
    nm: int
    logic_energy_scale: float   # × the 45 nm [H14] logic/SRAM energies
    logic_area_scale: float     # × the 45 nm [H14]/[NG] logic areas
    sram_bitcell_um2: float     # [M07] / [C17]
    dram_pj_per_byte: float     # off-chip access energy per byte
    dram_kind: str
    source: str

    # -- compute ------------------------------------------------------------------------------
    def mac_pj(self, word_bytes: int) -> float:
        """Energy of one multiply-accumulate on ``word_bytes``-wide operands."""
        return _MAC_45NM[_word_key(word_bytes)][0] * self.logic_energy_scale

    def mac_um2(self, word_bytes: int) -> float:
        return _MAC_45NM[_word_key(word_bytes)][1] * self.logic_area_scale

    def reg_pj(self, word_bytes: int) -> float:
        """One register-file word access ≈ one MAC [E16]."""
        return self.mac_pj(word_bytes)

    def reg_um2_per_bit(self) -> float:
        return 4.522 * self.logic_area_scale  # [NG] DFF_X1

    def pe_um2(self, word_bytes: int, regs: int = 3) -> float:
        """A systolic PE: one MAC and ``regs`` word registers (two operands, one partial sum)."""
        return self.mac_um2(word_bytes) + regs * 8 * word_bytes * self.reg_um2_per_bit()

    # -- memories -------------------------------------------------------------------------------
    def sram_pj_per_byte(self, kb: Any) -> Any:
        """Read/write energy per byte of an SRAM of ``kb`` KB: [H14] points, log-log interpolated
        (≈ √capacity), scaled to this node."""
        kb = np.maximum(np.asarray(kb, dtype=float), 1.0) if not _is_torch(kb) else kb.clamp(min=1.0)
        xs, ys, slope_lo, slope_hi = _SRAM_LOGLOG
        if _is_torch(kb):
            import torch

            lx = torch.log(kb)
            ly = torch.where(lx < xs[1], ys[0] + slope_lo * (lx - xs[0]), ys[1] + slope_hi * (lx - xs[1]))
            return torch.exp(ly) * self.logic_energy_scale
        lx = np.log(kb)
        ly = np.where(lx < xs[1], ys[0] + slope_lo * (lx - xs[0]), ys[1] + slope_hi * (lx - xs[1]))
        return np.exp(ly) * self.logic_energy_scale

    def sram_pj_per_byte_one(self, kb: float) -> float:
        """:meth:`sram_pj_per_byte` of one capacity, as a float: the same numpy calls on a one-element
        array, memoised per (node's energy scale, ``kb``) — a pure function of the two, bounded to
        :data:`SRAM_MEMO_SIZE` entries (for one design, where a dozen numpy calls on one value cost more
        than the model)."""
        return _sram_pj_one(self, kb)

    def sram_mm2(self, kb: Any) -> Any:
        """Macro area of ``kb`` KB of SRAM (bit cells / array efficiency)."""
        return kb * (8192.0 * self.sram_bitcell_um2 / _SRAM_ARRAY_EFFICIENCY) * 1e-6


#: entries of the :meth:`TechNode.sram_pj_per_byte_one` memo (SRAM sizes × nodes a process meets; the
#: systolic spaces have ~20 sizes per buffer; a full memo is emptied, not grown)
SRAM_MEMO_SIZE = 4096
_SRAM_PJ: dict[tuple[float, float], float] = {}


def _sram_pj_one(node: TechNode, kb: float) -> float:
    key = (node.logic_energy_scale, kb)
    value = _SRAM_PJ.get(key)          # the hit, without building remember's closure
    if value is None:
        value = remember(_SRAM_PJ, key, lambda: float(node.sram_pj_per_byte(np.array([kb], dtype=float))[0]),
                         SRAM_MEMO_SIZE)
    return value


def _word_key(word_bytes: int) -> int:
    wb = int(word_bytes)
    if wb in _MAC_45NM:
        return wb
    return min(_MAC_45NM, key=lambda k: abs(math.log2(k) - math.log2(max(wb, 1))))


def _is_torch(x: Any) -> bool:
    return type(x).__module__.startswith("torch")


TECH_NODES: dict[str, TechNode] = {
    "45nm": TechNode("45nm", 45, 1.0, 1.0, 0.346, (1.3e3 + 2.6e3) / 2 / 8, "DDR3",
                     "Horowitz ISSCC'14 (energy, DRAM mid-range 1.95 nJ/64b); Mistry IEDM'07 bit cell"),
    "7nm": TechNode("7nm", 7, 0.13, 0.04, 0.027, 3.9 * 8, "HBM2",
                    "45 nm scaled by Stillmaker & Baas 2017; Chang ISSCC'17 bit cell; HBM2 O'Connor MICRO'17"),
}


def get_tech(node: str | int) -> TechNode:
    """A node by name (``"45nm"``) or size in nm (``45``)."""
    if type(node) is str and node in TECH_NODES:     # the common case, checked first
        return TECH_NODES[node]
    key = f"{int(node)}nm" if isinstance(node, (int, float, np.integer)) or str(node).isdigit() else str(node)
    if key not in TECH_NODES:
        raise UnknownNameError(f"technology node: {node!r} is not known; allowed: {', '.join(TECH_NODES)}")
    return TECH_NODES[key]
