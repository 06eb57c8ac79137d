"""Dataflow templates of a heterogeneous multi-task accelerator (NASAIC, Yang et al., DAC 2020).

Each sub-accelerator is one of three loop-nest machines, resized to a PE count, an on-chip buffer
and a share of the off-chip bandwidth:

``os``  ShiDianNao-like output stationary: the systolic builder with the ``os`` unrolling
        (outputs OX × OY on one axis, K on the other), one SRAM per operand;
``ws``  NVDLA-like weight stationary: :func:`~simulators.loopnest.hardware.nvdla_like` (K lanes ×
        C lanes reducing through an adder tree, a convolution buffer for weights and inputs, an
        accumulator for outputs);
``rs``  Eyeriss-like row stationary: :func:`~simulators.loopnest.hardware.eyeriss_like` (filter rows ×
        output rows, per-PE RFs, one global buffer for inputs and partial sums).

Resizing replaces the array, every shared SRAM's capacity (energy per access and area from the
technology table at the new size) and the DRAM bandwidth; registers keep the preset's sizes. All
three run an 8-bit datapath at one clock so that they differ by dataflow only (docs/nasaic.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from archgym.errors import ConfigError
from simulators.common.technology import get_tech
from simulators.loopnest.hardware import Hardware, Memory, eyeriss_like, nvdla_like, systolic

TEMPLATES = ("os", "ws", "rs")
TEMPLATE_NAMES = {"os": "ShiDianNao-like output stationary", "ws": "NVDLA-like weight stationary",
                  "rs": "Eyeriss-like row stationary"}
#: process node of every template (the technology table the loop-nest presets use by default)
TECH = "45nm"
#: one clock for every sub-accelerator, MHz (assumed: between Eyeriss's 200 and NVDLA's 1000)
CLOCK_MHZ = 500.0
#: datapath width, bytes (INT8, the workloads' default precision)
WORD_BYTES = 1


@dataclass(frozen=True)
class SubAccel:
    """One sub-accelerator: template, PEs (a power of 4: a square array), on-chip buffer (KB, all
    shared SRAMs together) and DRAM bandwidth (bytes per cycle, its share of the chip's)."""

    template: str
    pes: int
    buffer_kb: float
    dram_bytes_per_cycle: float

    def __post_init__(self) -> None:
        if self.template not in TEMPLATES:
            raise ConfigError.bad_value("sub-accelerator template", self.template, TEMPLATES)
        side = math.isqrt(self.pes)
        if self.pes < 4 or side * side != self.pes:
            raise ConfigError.bad_value("sub-accelerator pes", self.pes, "a square number ≥ 4")
        for name in ("buffer_kb", "dram_bytes_per_cycle"):
            if not getattr(self, name) > 0:
                raise ConfigError.bad_value(f"sub-accelerator {name}", getattr(self, name), "a number > 0")

    @property
    def side(self) -> int:
        return math.isqrt(self.pes)


def machine(sub: SubAccel) -> Hardware:
    """The loop-nest machine of ``sub``."""
    side, clock = sub.side, CLOCK_MHZ
    if sub.template == "os":
        third = sub.buffer_kb / 3.0   # assumed: the buffer split evenly between the three operands
        base = systolic(f"os-{sub.pes}", side, side, third, third, third, 1.0, WORD_BYTES, clock, TECH, ("os",),
                        "ShiDianNao-like (Du et al., ISCA 2015): output stationary")
        return resize(base, (side, side), sub.buffer_kb, sub.dram_bytes_per_cycle)
    t = get_tech(TECH)
    base = nvdla_like(TECH) if sub.template == "ws" else eyeriss_like(TECH)
    base = replace(base, mac_pj=t.mac_pj(WORD_BYTES), pe_area_mm2=t.mac_um2(WORD_BYTES) * 1e-6,
                   clock_hz=clock * 1e6)
    return resize(base, (side, side), sub.buffer_kb, sub.dram_bytes_per_cycle)


def resize(hw: Hardware, array: tuple[int, int], buffer_kb: float, dram_bytes_per_cycle: float) -> Hardware:
    """``hw`` with ``array``, its shared SRAMs scaled (in proportion to their sizes) to
    ``buffer_kb`` in all, and ``dram_bytes_per_cycle`` of DRAM bandwidth (reads and writes each)."""
    t = get_tech(TECH)
    every = tuple(range(len(hw.array)))
    shared = [m for m in hw.memories if not m.is_dram and m.served_axes == every]
    total_kb = sum(m.size_bits for m in shared) / 8192.0
    mems: list[Memory] = []
    for m in hw.memories:
        if m.is_dram:
            m = replace(m, read_bw_bits=8.0 * dram_bytes_per_cycle, write_bw_bits=8.0 * dram_bytes_per_cycle)
        elif m in shared:
            kb = buffer_kb * (m.size_bits / 8192.0) / total_kb
            pj = float(t.sram_pj_per_byte(kb)) / 8.0
            m = replace(m, size_bits=kb * 8192.0, read_pj_per_bit=pj, write_pj_per_bit=pj,
                        area_mm2=float(t.sram_mm2(kb)))
        mems.append(m)
    return replace(hw, name=f"{hw.name}-{array[0]}x{array[1]}-{buffer_kb:g}KB", array=array, memories=tuple(mems))
