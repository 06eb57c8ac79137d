"""Hardware for the loop-nest model: a PE array under per-operand memory hierarchies.

A :class:`Memory` stores some operands, has a capacity, per-bit read/write energies, read and
write bandwidth per instance, and ``served_axes``: the array axes its one instance is shared
across (``()`` = one instance per PE, all axes = one global instance). Each operand's hierarchy
lists memory indices from the PE up to DRAM (bypass = a memory absent from that list). A
:class:`SpatialOption` says which loop dimensions each array axis may unroll, in priority order
(several = mixed unrolling, filled greedily). Presets come from the systolic family's configs
(registers per PE, three SRAMs, DRAM) plus Eyeriss-like (row stationary) and NVDLA-like arrays;
sources are in docs/loopnest.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from archgym.errors import ConfigError
from simulators.common.technology import get_tech
from simulators.loopnest.problem import DIMS, OPERANDS, D

INF_BITS = float("inf")


@dataclass(frozen=True)
class Memory:
    """One memory (register file, SRAM or DRAM); energies pJ/bit, bandwidths bits/cycle."""

    name: str
    operands: tuple[str, ...]
    size_bits: float
    read_pj_per_bit: float
    write_pj_per_bit: float
    read_bw_bits: float
    write_bw_bits: float
    served_axes: tuple[int, ...] = ()
    shared_port: bool = False        # one port for reads and writes (time adds) vs separate ports
    area_mm2: float = 0.0            # per instance
    read_word_bits: float = 0.0      # access granularity: each trip rounds up to it (0: per bit)
    write_word_bits: float = 0.0

    @property
    def is_dram(self) -> bool:
        return math.isinf(self.size_bits)


@dataclass(frozen=True)
class SpatialOption:
    """Dims each array axis may unroll (priority order; more than one = mixed unrolling)."""

    name: str
    axes: tuple[tuple[str, ...], ...]
    #: optional most PEs each listed dim may take on its axis (ZigZag's ``D1: [K, 32]``)
    caps: tuple[tuple[int, ...], ...] | None = None


@dataclass(frozen=True)
class Hardware:
    """PE array, memories, per-operand hierarchies (memory indices, PE → DRAM) and MAC costs."""

    name: str
    array: tuple[int, ...]
    memories: tuple[Memory, ...]
    hierarchy: Mapping[str, tuple[int, ...]]
    spatial: tuple[SpatialOption, ...]
    mac_pj: float
    pe_area_mm2: float
    clock_hz: float
    source: str = ""
    #: ZigZag's convention: a partial-sum level reads back every output it receives, the first
    #: arrival included (docs/zigzag-schema.md §4); False: only revisited tiles are read back
    psum_reads_every_write: bool = False
    #: array axes operands ripple across (systolic): each adds ``unrolling − 1`` drain cycles a layer
    systolic_axes: tuple[int, ...] = ()
    #: ZigZag's convention: a dim that does not fill an axis evenly is unrolled fractionally
    #: (``D / ceil(D / room)`` PEs on average) instead of padding integer PEs
    fractional_unrolling: bool = False

    def __post_init__(self) -> None:
        for x in OPERANDS:
            chain = self.hierarchy.get(x, ())
            if not chain or not self.memories[chain[-1]].is_dram:
                raise ConfigError(f"{self.name}: operand {x} must end its hierarchy in a DRAM (unbounded) memory")
            for m in chain:
                if x not in self.memories[m].operands:
                    raise ConfigError(f"{self.name}: memory {self.memories[m].name} does not hold operand {x}")
            served = [set(self.memories[m].served_axes) for m in chain]
            if any(not a <= b for a, b in zip(served, served[1:])):
                raise ConfigError(f"{self.name}: operand {x}'s memories must be shared ever more widely going up")
        for opt in self.spatial:
            if len(opt.axes) != len(self.array):
                raise ConfigError(f"{self.name}: spatial option {opt.name} names {len(opt.axes)} axes, "
                                  f"the array has {len(self.array)}")
            for dims in opt.axes:
                for d in dims:
                    if d not in D:
                        raise ConfigError.bad_value(f"{self.name}.spatial.{opt.name}", d, DIMS)

    @property
    def pes(self) -> int:
        return int(np.prod(self.array))

    def area_mm2(self) -> float:
        """PEs plus every memory instance (DRAM excluded)."""
        total = self.pes * self.pe_area_mm2
        for m in self.memories:
            if not m.is_dram:
                total += m.area_mm2 * self.instances_full(m)
        return total

    def instances_full(self, m: Memory) -> int:
        """Instances of ``m`` across the whole array (one per combination of unserved axes)."""
        return int(np.prod([n for a, n in enumerate(self.array) if a not in m.served_axes]))


def enumeration_hardware(array: tuple[int, ...], option: SpatialOption) -> Hardware:
    """A memory-less stand-in with ``array`` and one spatial option (mapping enumeration only)."""
    dram = Memory("dram", ("W", "I", "O"), INF_BITS, 0.0, 0.0, 1.0, 1.0, tuple(range(len(array))))
    return Hardware("enum", array, (dram,), {"W": (0,), "I": (0,), "O": (0,)}, (option,), 0.0, 0.0, 1.0)


def spatial_factors(option: SpatialOption, array: tuple[int, ...], sizes: tuple[int, ...],
                    fractional: bool = False) -> np.ndarray:
    """Per axis, per dim unrolling factors (axes × dims): each axis unrolls its dims in priority
    order with balanced splits (``ceil(D / ceil(D / room))``), so padding is minimal; with
    ``fractional`` the split is ZigZag's average ``D / ceil(D / room)`` (float factors)."""
    out = np.ones((len(array), len(DIMS)), dtype=np.float64 if fractional else np.int64)
    left = list(sizes)
    for a, dims in enumerate(option.axes):
        room = array[a]
        for j, name in enumerate(dims):
            d = D[name]
            limit = min(room, option.caps[a][j]) if option.caps else room
            if limit <= 1 or left[d] <= 1:
                continue
            steps = math.ceil(left[d] / limit)
            s = math.ceil(left[d] / steps)
            out[a, d] = left[d] / steps if fractional else s
            room //= s
            left[d] = steps
    return out


# -- presets --------------------------------------------------------------------------------------
_WS = SpatialOption("ws", (("C", "FX", "FY"), ("K",)))
_OS = SpatialOption("os", (("OX", "OY", "B"), ("K",)))
_IS = SpatialOption("is", (("C", "FX", "FY"), ("OX", "OY", "B")))
SYSTOLIC_SPATIAL = {"ws": _WS, "os": _OS, "is": _IS}
#: a design's ``dataflow``: one spatial unrolling for every layer, or ``flex`` (the best per layer)
DATAFLOWS = (*SYSTOLIC_SPATIAL, "flex")


def systolic(name: str, rows: int, cols: int, ifmap_kb: float, filter_kb: float, ofmap_kb: float,
             dram_words_per_cycle: float, word_bytes: int = 1, clock_mhz: float = 1000.0,
             tech: str = "45nm", dataflows: tuple[str, ...] = ("ws", "os", "is"), source: str = "") -> Hardware:
    """A systolic array as a loop-nest machine: per-PE W/I/O registers (one word each, the
    accumulator one partial sum), one SRAM per operand feeding the array edges, DRAM behind
    three interfaces of ``dram_words_per_cycle`` each (SCALE-Sim's convention)."""
    t = get_tech(tech)
    wbits = 8 * word_bytes
    psum_bits = 24 if wbits <= 8 else 32
    reg = t.reg_pj(word_bytes) / wbits
    dram = t.dram_pj_per_byte / 8.0
    both = tuple(range(2))

    def sram(label: str, ops: tuple[str, ...], kb: float, edge: int) -> Memory:
        pj = float(t.sram_pj_per_byte(kb)) / 8.0
        bw = edge * wbits
        return Memory(label, ops, kb * 8192.0, pj, pj, bw, bw * (psum_bits / wbits if "O" in ops else 1),
                      both, False, float(t.sram_mm2(kb)))

    reg_area = t.reg_um2_per_bit() * 1e-6
    mems = (
        Memory("w_reg", ("W",), wbits, reg, reg, wbits, wbits, (), False, wbits * reg_area),
        Memory("i_reg", ("I",), wbits, reg, reg, wbits, wbits, (), False, wbits * reg_area),
        Memory("o_reg", ("O",), psum_bits, reg, reg, psum_bits, psum_bits, (), False, psum_bits * reg_area),
        sram("filter_sram", ("W",), filter_kb, cols),
        sram("ifmap_sram", ("I",), ifmap_kb, rows),
        sram("ofmap_sram", ("O",), ofmap_kb, cols),
        Memory("dram", ("W", "I", "O"), INF_BITS, dram, dram, 3 * dram_words_per_cycle * wbits,
               3 * dram_words_per_cycle * wbits, both, False, 0.0),
    )
    hier = {"W": (0, 3, 6), "I": (1, 4, 6), "O": (2, 5, 6)}
    return Hardware(name, (rows, cols), mems, hier, tuple(SYSTOLIC_SPATIAL[d] for d in dataflows),
                    t.mac_pj(word_bytes), t.mac_um2(word_bytes) * 1e-6, clock_mhz * 1e6, source,
                    systolic_axes=(0, 1))


def eyeriss_like(tech: str = "45nm") -> Hardware:
    """Eyeriss v1 (Chen et al., JSSC 2017): 12×14 PEs, 16-bit, per-PE RFs of 224 (filter),
    12 (ifmap) and 24 (psum) words, a 108 KB global buffer for ifmaps and psums (filters go
    from DRAM to the PE RFs), row-stationary unrolling (filter rows × output rows)."""
    t = get_tech(tech)
    wb, wbits, psum_bits = 2, 16, 32
    reg = t.reg_pj(wb) / wbits
    rf = reg * 1.5    # a 224-word RF costs more than a register: assumed ×1.5 (docs/loopnest.md)
    glb = float(t.sram_pj_per_byte(108)) / 8.0
    dram = t.dram_pj_per_byte / 8.0
    both = (0, 1)
    a = t.reg_um2_per_bit() * 1e-6
    mems = (
        Memory("w_rf", ("W",), 224 * wbits, rf, rf, wbits, wbits, (), False, 224 * wbits * a),
        Memory("i_rf", ("I",), 12 * wbits, reg, reg, wbits, wbits, (), False, 12 * wbits * a),
        Memory("o_rf", ("O",), 24 * psum_bits, reg, reg, psum_bits, psum_bits, (), False, 24 * psum_bits * a),
        Memory("glb", ("I", "O"), 108 * 8192.0, glb, glb, 64 * 8, 64 * 8, both, True, float(t.sram_mm2(108))),
        Memory("dram", ("W", "I", "O"), INF_BITS, dram, dram, 64, 64, both, False, 0.0),
    )
    spatial = (SpatialOption("rs", (("FY", "C"), ("OY", "K"))), SpatialOption("rs-k", (("FY", "C"), ("K", "OY"))))
    return Hardware("eyeriss-like", (12, 14), mems, {"W": (0, 4), "I": (1, 3, 4), "O": (2, 3, 4)}, spatial,
                    t.mac_pj(wb), t.mac_um2(wb) * 1e-6, 200e6,
                    "Chen et al., JSSC 2017 (Eyeriss v1); Sze et al., Proc. IEEE 2017")


def nvdla_like(tech: str = "45nm") -> Hardware:
    """NVDLA-like (nv_small/nv_full class, assumed sizes): 16 K-lanes × 64 C-lanes INT8 MACs
    reducing over C through an adder tree, a 512 KB convolution buffer shared by weights and
    inputs, a 32 KB accumulator for outputs, DRAM at 32 B/cycle."""
    t = get_tech(tech)
    wb, wbits, psum_bits = 1, 8, 24
    reg = t.reg_pj(wb) / wbits
    cbuf = float(t.sram_pj_per_byte(512)) / 8.0
    acc = float(t.sram_pj_per_byte(32)) / 8.0
    dram = t.dram_pj_per_byte / 8.0
    both = (0, 1)
    a = t.reg_um2_per_bit() * 1e-6
    mems = (
        Memory("w_reg", ("W",), wbits, reg, reg, wbits, wbits, (), False, wbits * a),
        Memory("i_reg", ("I",), 64 * wbits, reg, reg, 64 * wbits, 64 * wbits, (0,), False, 64 * wbits * a),
        Memory("acc", ("O",), 32 * 8192.0, acc, acc, 16 * psum_bits, 16 * psum_bits, both, False,
               float(t.sram_mm2(32))),
        Memory("cbuf", ("W", "I"), 512 * 8192.0, cbuf, cbuf, 128 * 8, 128 * 8, both, False, float(t.sram_mm2(512))),
        Memory("dram", ("W", "I", "O"), INF_BITS, dram, dram, 32 * 8, 32 * 8, both, False, 0.0),
    )
    spatial = (SpatialOption("kc", (("K",), ("C", "FX", "FY"))),)
    return Hardware("nvdla-like", (16, 64), mems, {"W": (0, 3, 4), "I": (1, 3, 4), "O": (2, 4)}, spatial,
                    t.mac_pj(wb), t.mac_um2(wb) * 1e-6, 1e9, "NVDLA open-source hardware docs (sizes assumed)")


#: named loop-nest machines (fixed hardware) beside the systolic family's parametric presets
MACHINES = {"eyeriss-like": eyeriss_like, "nvdla-like": nvdla_like}
