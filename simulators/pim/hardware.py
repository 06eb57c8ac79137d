"""PIM hardware: the configuration of a bank-level PIM memory system and its host, and presets.

A PIM system is ``stacks × channels`` DRAM channels (pseudo-channels for HBM) of the DRAM
standard ``dram`` (:mod:`simulators.common.dram`: banks per channel, row size, column width,
timings). One PIM unit serves ``banks_per_unit`` banks; it has ``lanes`` multipliers of
``operand_bits`` and runs at ``pim_clock_mhz``. An all-bank MAC command makes every unit consume
one column (``col_bits``) of one of its banks, at most once per ``t_ccd_ab_ns`` (the all-bank
command interval) and at most once per ``ceil(col_bits / (lanes·operand_bits))`` unit clocks.
The input vector is written by the host into ``irf_regs × irf_bits`` input registers (or a
global buffer); partial sums live in ``orf_regs × orf_bits`` output registers of
``acc_bits``-wide accumulators. The host (GPU / NPU / ASIC) is a roofline of ``host_tops`` at
``host_eff_compute`` and ``host_bw_gbs`` at ``host_eff_mem``.

Units are in the field names (``_ns``, ``_mhz``, ``_gbs`` = 1e9 B/s, ``_tops`` = 1e12 op/s,
``_mib``). Sources: docs/references.md §1. Published figures to validate against live in
``benchmarks/validation/pim.py``, each parameter's provenance in ``benchmarks/validation/provenance.py``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from simulators.common.dram import DRAMTiming, get_dram

#: fields of :class:`PIMConfig` that are design parameters (the hardware half of the space)
HW_PARAMS = ("channels", "banks_per_unit", "lanes", "pim_clock_mhz", "irf_regs", "orf_regs",
             "host_tops", "host_bw_gbs")
#: fields carried in every design as one-value parameters (technology constants of the preset)
CONSTANTS = ("dram", "stacks", "operand_bits", "acc_bits", "irf_bits", "orf_bits", "all_bank_act")


@dataclass(frozen=True)
class PIMConfig:
    """A bank-level PIM memory system and its host (see the module docstring for the model)."""

    name: str
    dram: str                 # DRAM timing preset (simulators.common.dram)
    stacks: int               # stacks / chips / DIMMs
    channels: int             # channels (HBM: pseudo-channels) per stack
    banks_per_unit: int       # banks sharing one PIM unit (g)
    lanes: int                # SIMD multipliers per PIM unit
    operand_bits: int         # weight and activation width (8 = INT8, 16 = FP16/BF16)
    acc_bits: int             # accumulator width
    pim_clock_mhz: int        # PIM unit clock
    t_ccd_ab_ns: float        # all-bank PIM command interval (column rate of one unit)
    t_wr_ns: float            # host → PIM register write interval
    irf_regs: int             # input registers (or global-buffer entries) per unit
    irf_bits: int
    orf_regs: int             # output (accumulator) registers per unit
    orf_bits: int
    all_bank_act: bool        # all-bank ACT/PRE commands (else per-bank, tRRD/tFAW-limited)
    bank_mib: int             # capacity of one bank, MiB
    host_tops: float          # host peak, 1e12 op/s at operand_bits
    host_bw_gbs: float        # host memory bandwidth, GB/s
    host_eff_compute: float   # achieved / peak compute on the host
    host_eff_mem: float       # achieved / peak bandwidth on the host
    host_pj_per_op: float     # host energy per operation (ALU + on-chip operand traffic)
    source: str

    @property
    def timing(self) -> DRAMTiming:
        return get_dram(self.dram)

    @property
    def banks_total(self) -> int:
        return self.stacks * self.channels * self.timing.banks

    @property
    def units(self) -> int:
        return self.banks_total // self.banks_per_unit

    @property
    def t_cmd_ns(self) -> float:
        """Time per MAC command of one unit: the all-bank interval or the unit's own clock."""
        return pim_command_ns(self.t_ccd_ab_ns, self.pim_clock_mhz, self.lanes, self.operand_bits,
                              self.timing.col_bits)

    @property
    def peak_ops(self) -> float:
        """Peak PIM op/s: 2 × units × elements per column / command time."""
        return 2.0 * self.units * (self.timing.col_bits / self.operand_bits) / (self.t_cmd_ns * 1e-9)

    @property
    def internal_bw_gbs(self) -> float:
        """Aggregate bank → PIM-unit bandwidth, GB/s: units × column bytes / command time."""
        return self.units * (self.timing.col_bits / 8) / self.t_cmd_ns

    @property
    def external_bw_gbs(self) -> float:
        return self.stacks * self.channels * self.timing.channel_bw_gbs

    @property
    def capacity_bytes(self) -> int:
        return self.banks_total * self.bank_mib * 2**20

    def design(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: d[k] for k in HW_PARAMS + CONSTANTS}


def pim_command_ns(t_ccd_ab_ns: Any, clock_mhz: Any, lanes: Any, operand_bits: Any, col_bits: int) -> Any:
    """MAC command time (ns): ``max(tCCD_AB, ceil(col_bits / (lanes·bits)) / f_pim)``; works on arrays
    (a float for scalars)."""
    import numpy as np

    clocks = np.ceil(col_bits / (lanes * operand_bits))
    out = np.maximum(t_ccd_ab_ns, clocks * 1e3 / clock_mhz)
    return float(out) if np.ndim(out) == 0 else out


PRESETS: dict[str, PIMConfig] = {
    "hbm-pim": PIMConfig(
        "hbm-pim", dram="hbm2", stacks=1, channels=16, banks_per_unit=2, lanes=16, operand_bits=16,
        acc_bits=16, pim_clock_mhz=300, t_ccd_ab_ns=4 / 1.2, t_wr_ns=4 / 1.2, irf_regs=8,
        irf_bits=256, orf_regs=8, orf_bits=256, all_bank_act=True, bank_mib=24,
        host_tops=46.1, host_bw_gbs=307.2, host_eff_compute=0.8, host_eff_mem=0.85,
        host_pj_per_op=0.32,
        source="Samsung HBM-PIM (Aquabolt-XL, ISSCC'21 'A 20nm 6GB Function-In-Memory DRAM'; press "
               "2021-02-16): 300 MHz FP16 PCU of 16 lanes per 2 banks, 1.2 TFLOPS per stack; "
               "PIMSimulator NUM_PIM_BLOCKS=8 per 16 banks, GRF_A/GRF_B 8 × 256 b; 128 PCUs = 16 "
               "pseudo-channels × 8 [D]; 6 GB per stack; host roofline 307 GB/s (16 × 2.4 Gb/s × 64 b) "
               "and 46.1 TFLOPS FP16 (AMD MI100 vector FP16 [U]) at AttAcc's efficiencies 0.8/0.85"),
    "gddr6-aim": PIMConfig(
        "gddr6-aim", dram="gddr6", stacks=1, channels=2, banks_per_unit=1, lanes=16, operand_bits=16,
        acc_bits=32, pim_clock_mhz=1000, t_ccd_ab_ns=1.0, t_wr_ns=1.0, irf_regs=64, irf_bits=256,
        orf_regs=32, orf_bits=32, all_bank_act=True, bank_mib=32,
        host_tops=32.0, host_bw_gbs=64.0, host_eff_compute=0.8, host_eff_mem=0.85,
        host_pj_per_op=0.32,
        source="SK hynix GDDR6-AiM (ISSCC'22 / JSSC'23 '1ynm 1.25V 8Gb 16Gb/s/pin GDDR6-based AiM … "
               "1TFLOPS MAC'): 2 channels × 16 banks, one 16-lane BF16 unit per bank at 1 GHz "
               "(Hot Chips 35: 512 GB/s internal per channel), 2 KB global buffer (64 × 256 b), 32 "
               "MAC latch registers (CENT reuse_size=32); MAC_ABK = 49 + 1 ns per column and WR_GB "
               "1 ns per column (CENT aim_sim.py); host 64 GB/s (2 × 32 GB/s) and 32 TFLOPS [U]"),
    "lpddr5x-pim": PIMConfig(
        "lpddr5x-pim", dram="lpddr5x", stacks=1, channels=8, banks_per_unit=1, lanes=32, operand_bits=8,
        acc_bits=32, pim_clock_mhz=250, t_ccd_ab_ns=4.266667, t_wr_ns=4.266667, irf_regs=8,
        irf_bits=256, orf_regs=4, orf_bits=512, all_bank_act=True, bank_mib=128,
        host_tops=33.176, host_bw_gbs=120.0, host_eff_compute=1.0, host_eff_mem=1.0,
        host_pj_per_op=0.32,
        source="AMD GeniePIM default config.in (PIMnast, SC'24 workshops): 1 stack × 8 channels × 16 "
               "banks LPDDR5X, 2 KB rows, 256-b SIMD (32 INT8 lanes), one unit per bank, IRF 8 × 256 b, "
               "ORF 4 × 512 b, 32-b accumulation, PIM MAC every tCCD_L; host IPU 120 GB/s and 33.176 "
               "INT8 TOPS at efficiency 1; 128 MiB banks (16 Gb per channel) [U]"),
    "hbm3-attacc": PIMConfig(
        "hbm3-attacc", dram="hbm3", stacks=5, channels=32, banks_per_unit=1, lanes=16, operand_bits=16,
        acc_bits=32, pim_clock_mhz=250, t_ccd_ab_ns=6 / 1.3, t_wr_ns=4 / 1.3, irf_regs=8,
        irf_bits=256, orf_regs=8, orf_bits=512, all_bank_act=True, bank_mib=16,
        host_tops=989.0, host_bw_gbs=3352.0, host_eff_compute=0.8, host_eff_mem=0.85,
        host_pj_per_op=0.32,
        source="AttAcc (ASPLOS'24) bank-level PIM on HBM3 5.2 Gb/s: per stack 16 channels × 2 "
               "pseudo-channels × 32 banks (2 ranks × 4 BG × 4), power-capped nCCDAB = 6 tCK, 670.4 GB/s "
               "per stack; five 16 GB stacks and an H100-SXM-class host (3.35 TB/s, 989 dense FP16 "
               "TFLOPS) at AttAcc's SCALING_FACTOR 0.8 / 0.85; register files [U]"),
    "ddr4-pim": PIMConfig(
        "ddr4-pim", dram="ddr4", stacks=2, channels=1, banks_per_unit=1, lanes=32, operand_bits=16,
        acc_bits=32, pim_clock_mhz=200, t_ccd_ab_ns=6 / 1.2, t_wr_ns=4 / 1.2, irf_regs=8, irf_bits=512,
        orf_regs=8, orf_bits=512, all_bank_act=True, bank_mib=512,
        host_tops=2.0, host_bw_gbs=38.4, host_eff_compute=0.8, host_eff_mem=0.85,
        host_pj_per_op=0.32,
        source="Illustrative DDR4-2400 bank-level PIM (AiM/Newton-style units on a rank of 8 × x8 8 Gb "
               "chips, 512-b columns): Ramulator2 DDR4-2400R timings; 2 channels × 1 rank, MAC every "
               "tCCD_L; CPU host 2 × 19.2 GB/s and 2 TFLOPS [U]; no published PIM figures"),
}


def capacity_bytes(cfg: PIMConfig, channels: Any) -> Any:
    """Capacity for ``channels`` per stack (arrays allowed)."""
    return cfg.stacks * channels * cfg.timing.banks * cfg.bank_mib * float(2**20)
