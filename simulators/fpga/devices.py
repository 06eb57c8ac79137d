"""FPGA device catalog: fabric resources, the part left to the user after the shell, memory.

Counts are device totals from the vendor product tables as quoted in
``docs/references.md`` §3.2 (marked [V] there) unless a field's comment says otherwise.
``user_*`` is what a design may use once the platform shell (PCIe/DMA/HBM controllers of an
Alveo XRT shell) is placed; on Zynq/bare-metal boards it is the whole device. Bandwidths are
theoretical peaks in GB/s (1e9 B/s); clocks in MHz; power in W.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FPGADevice:
    """One FPGA board/device with units in the field names."""

    name: str
    part: str
    process_nm: int                 # fabric technology node (selects the power coefficients)
    dsp_type: str                   # DSP48E1 (7-series), DSP48E2 (UltraScale/+), DSP58 (Versal)
    lut: int
    ff: int
    dsp: int
    bram18k: int
    uram: int
    user_lut: int
    user_ff: int
    user_dsp: int
    user_bram18k: int
    user_uram: int
    offchip_gbps: float             # off-chip memory bandwidth, GB/s
    offchip_kind: str               # "ddr3", "ddr4", "hbm2" (selects the DRAM energy per byte)
    offchip_gib: float              # off-chip memory capacity, GiB
    clock_max_mhz: float            # highest clock an HLS/RTL DNN design closes at on an empty part
    static_w: float                 # device static power plus board/shell overhead at idle, W
    source: str

    def user(self, resource: str) -> int:
        """The budget left to the user for ``resource`` (lut, ff, dsp, bram18k, uram)."""
        return int(getattr(self, f"user_{resource}"))


def _full(**kw: Any) -> dict[str, Any]:
    """A board without a shell: the whole device is the user's."""
    return {**kw, **{f"user_{r}": kw[r] for r in ("lut", "ff", "dsp", "bram18k", "uram")}}


# Clock ceilings: FINN ZC706 designs close at 200 MHz, Angel-Eye 150 MHz on the same part,
# DNNBuilder ≈ 235 MHz on KU115 (docs/references.md §3.3(A) "Frequency model"); UltraScale+ HLS
# dataflow designs typically close at ≈ 300 MHz (a 4 ns clock in the fpga_board_info table).
# Static power is device static + board idle, [U] order-of-magnitude values (XPE, board docs).
DEVICES: dict[str, FPGADevice] = {d.name: d for d in (
    FPGADevice(
        name="u280", part="xcu280-fsvh2892-2L-e", process_nm=16, dsp_type="DSP48E2",
        lut=1_303_680, ff=2_607_360, dsp=9_024, bram18k=4_032, uram=960,
        # FINN platforms.py per-SLR user budgets, summed (docs/references.md §3.2 [V]); FF per SLR is
        # given only for SLR0 (2 × LUT) — the other SLRs use the same 2 × LUT ratio [D].
        user_lut=1_163_520, user_ff=2_327_040, user_dsp=8_496, user_bram18k=3_504, user_uram=960,
        offchip_gbps=460.0, offchip_kind="hbm2", offchip_gib=8.0, clock_max_mhz=300.0, static_w=20.0,
        source="Alveo U280 (XCU280): Xilinx DS963 resource table; HBM2 8 GB 460 GB/s (Xilinx HBM "
               "blog); user budgets from FINN src/finn/util/platforms.py (Alveo_NxU280 per-SLR)"),
    FPGADevice(
        name="u250", part="xcu250-figd2104-2L-e", process_nm=16, dsp_type="DSP48E2",
        lut=1_728_000, ff=3_456_000, dsp=12_288, bram18k=5_376, uram=1_280,
        user_lut=1_500_000, user_ff=3_000_000, user_dsp=11_520, user_bram18k=4_608, user_uram=1_280,
        offchip_gbps=76.8, offchip_kind="ddr4", offchip_gib=64.0, clock_max_mhz=300.0, static_w=20.0,
        source="Alveo U250 (XCU250): Xilinx DS962; 4× DDR4-2400 64-bit = 4×19.2 GB/s [D]; user "
               "budgets 4×(375000 LUT, 750000 FF, 1152 BRAM18, 320 URAM, 2880 DSP) from FINN platforms.py"),
    FPGADevice(**_full(
        name="vu9p", part="xcvu9p-flga2104-2L-e (VCU118)", process_nm=16, dsp_type="DSP48E2",
        lut=1_182_240, ff=2_364_480, dsp=6_840, bram18k=4_320, uram=960,
        offchip_gbps=38.4, offchip_kind="ddr4", offchip_gib=8.0, clock_max_mhz=300.0, static_w=10.0,
        source="Virtex UltraScale+ VU9P: Xilinx DS890 resource table; VCU118 board 2× DDR4-2400 "
               "64-bit = 38.4 GB/s [D], 2×4 GB [U]; bare-metal board, no shell")),
    FPGADevice(**_full(
        name="zcu102", part="xczu9eg-ffvb1156-2-e", process_nm=16, dsp_type="DSP48E2",
        lut=274_080, ff=548_160, dsp=2_520, bram18k=1_824, uram=0,
        offchip_gbps=19.2, offchip_kind="ddr4", offchip_gib=4.0, clock_max_mhz=300.0, static_w=3.0,
        source="ZCU102 (XCZU9EG): Xilinx DS891; FINN ZU9EG_Platform; PS DDR4-2400 64-bit 19.2 GB/s [U]")),
    FPGADevice(**_full(
        name="zc706", part="xc7z045-ffg900-2", process_nm=28, dsp_type="DSP48E1",
        lut=218_600, ff=437_200, dsp=900, bram18k=1_090, uram=0,
        offchip_gbps=4.26, offchip_kind="ddr3", offchip_gib=1.0, clock_max_mhz=200.0, static_w=2.5,
        source="ZC706 (XC7Z045): Xilinx DS190 Zynq-7000 table (218,600 LUT, 437,200 FF, 900 DSP48E1, "
               "545 BRAM36); PS DDR3-1066 32-bit = 4.26 GB/s [U]")),
    FPGADevice(**_full(
        name="ku115", part="xcku115-flvb2104-2-e", process_nm=20, dsp_type="DSP48E2",
        lut=663_360, ff=1_326_720, dsp=5_520, bram18k=4_320, uram=0,
        offchip_gbps=38.4, offchip_kind="ddr4", offchip_gib=16.0, clock_max_mhz=250.0, static_w=8.0,
        source="Kintex UltraScale KU115: Xilinx DS890 [U in docs/references.md §3.2]; DNNBuilder's board; "
               "AccDNN chip_define.py budgets 4,600 DSP / 3,500 BRAM18; 2× DDR4 64-bit 38.4 GB/s [U]")),
    FPGADevice(**_full(
        name="vc707", part="xc7vx485t-ffg1761-2", process_nm=28, dsp_type="DSP48E1",
        lut=303_600, ff=607_200, dsp=2_800, bram18k=2_060, uram=0,
        offchip_gbps=12.8, offchip_kind="ddr3", offchip_gib=1.0, clock_max_mhz=200.0, static_w=4.0,
        source="VC707 (XC7VX485T): Xilinx DS180 Virtex-7 table (303,600 LUT, 2,800 DSP48E1, 1,030 "
               "BRAM36) [U]; DDR3-1600 64-bit SODIMM 12.8 GB/s [U]; Zhang et al. FPGA'15 board")),
)}
