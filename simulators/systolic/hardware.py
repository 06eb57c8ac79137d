"""Systolic-array hardware: the configuration dataclass, presets of real devices, area and
peak throughput.

Units: array in PEs, SRAMs in KB (1024 B), DRAM bandwidth in words/cycle per SRAM interface
(SCALE-Sim's convention: the ifmap, filter and ofmap buffers each have their own DRAM port),
clock in MHz, word size in bytes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from simulators.common.technology import get_tech

DATAFLOWS = ("os", "ws", "is")


@dataclass(frozen=True)
class SystolicConfig:
    """An R×C systolic array with three double-buffered SRAMs and a DRAM interface."""

    name: str
    rows: int                  # PEs
    cols: int                  # PEs
    dataflow: str              # os / ws / is
    ifmap_kb: int              # KB
    filter_kb: int             # KB
    ofmap_kb: int              # KB
    dram_bw: int               # words/cycle per SRAM interface
    word_bytes: int = 1        # B per element
    clock_mhz: int = 1000      # MHz
    tech: str = "45nm"         # key of simulators.common.technology.TECH_NODES
    area_budget_mm2: float = 0.0  # 0: no budget
    source: str = ""

    def design(self) -> dict[str, Any]:
        """The preset as a design dict (hardware parameters and constants)."""
        d = asdict(self)
        for key in ("name", "source", "area_budget_mm2"):
            d.pop(key)
        return d

    @property
    def dram_gbs(self) -> float:
        """Bandwidth of one DRAM interface in GB/s."""
        return self.dram_bw * self.word_bytes * self.clock_mhz * 1e6 / 1e9


PRESETS: dict[str, SystolicConfig] = {
    "tpu-v1": SystolicConfig(
        "tpu-v1", 256, 256, "ws", 16384, 256, 4096, 32, 1, 700, "45nm", 0.0,
        "Jouppi et al., ISCA 2017 (TPU v1): 256×256 INT8 MACs at 700 MHz, weight-stationary, 24 MiB "
        "unified buffer (16 MiB modelled as ifmap SRAM), 4 MiB accumulators (ofmap), 4×64 KiB weight "
        "FIFO (filter), DDR3 34 GB/s ≈ 48 B/cycle (32 words/cycle per port here); 28 nm, modelled "
        "with the 45 nm table"),
    "eyeriss": SystolicConfig(
        "eyeriss", 12, 14, "os", 108, 108, 108, 10, 2, 200, "45nm", 0.0,
        "Chen et al., JSSC 2017 (Eyeriss v1): 12×14 PEs, 16-bit, 200 MHz, 108 KB global buffer "
        "(SCALE-Sim's eyeriss.cfg gives each operand 108 KB); 65 nm, modelled with the 45 nm table"),
    "scalesim": SystolicConfig(
        "scalesim", 32, 32, "os", 64, 64, 64, 10, 1, 1000, "45nm", 0.0,
        "SCALE-Sim's configs/scale.cfg: 32×32 OS array, 64 KB per SRAM, 10 words/cycle"),
    "scalesim-google": SystolicConfig(
        "scalesim-google", 256, 256, "ws", 6144, 6144, 2048, 10, 1, 1000, "45nm", 0.0,
        "SCALE-Sim's configs/google.cfg: 256×256 WS array (TPU-like), 6 MB ifmap/filter, 2 MB ofmap"),
    "edge-7nm": SystolicConfig(
        "edge-7nm", 64, 64, "ws", 512, 512, 256, 32, 1, 1000, "7nm", 2.0,
        "a 7 nm edge NPU class array (64×64 INT8 at 1 GHz, 1.25 MB SRAM, HBM2-class energy), "
        "with a 2 mm² area budget; illustrative, sized after the technology table"),
}


def array_area_mm2(rows: Any, cols: Any, word_bytes: int, tech: str) -> Any:
    """PE-array area (MAC + three word registers per PE), mm²."""
    return pe_array_mm2(rows, cols, get_tech(tech).pe_um2(word_bytes))


def pe_array_mm2(rows: Any, cols: Any, pe_um2: float) -> Any:
    """Area of ``rows`` × ``cols`` PEs of ``pe_um2`` µm² each, mm²."""
    return rows * cols * pe_um2 * 1e-6


def sram_area_mm2(ifmap_kb: Any, filter_kb: Any, ofmap_kb: Any, tech: str) -> Any:
    """Area of the three SRAMs, mm²."""
    return get_tech(tech).sram_mm2(ifmap_kb + filter_kb + ofmap_kb)


def area_mm2(rows: Any, cols: Any, ifmap_kb: Any, filter_kb: Any, ofmap_kb: Any,
             word_bytes: int, tech: str) -> Any:
    """Total silicon area of PE array + three SRAMs, mm² (works on arrays)."""
    return array_area_mm2(rows, cols, word_bytes, tech) + sram_area_mm2(ifmap_kb, filter_kb, ofmap_kb, tech)


def peak_ops_per_s(rows: Any, cols: Any, clock_mhz: Any) -> Any:
    """2 operations per MAC per PE per cycle."""
    return 2.0 * rows * cols * clock_mhz * 1e6
