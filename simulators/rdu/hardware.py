"""RDU hardware: the chip configuration, the presets of real parts, and derived quantities.

Units are in the field names (``_mhz``, ``_kib``, ``_gb`` = 1e9 B, ``_gbs`` = 1e9 B/s).
Sources: see ``docs/references.md`` §2. Published figures to validate against live in
``benchmarks/validation/rdu.py``, each parameter's provenance in ``benchmarks/validation/provenance.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: fields of :class:`RDUConfig` that are design parameters (the hardware half of the space)
HW_PARAMS = ("n_pcu", "n_pmu", "lanes", "stages", "pmu_kib", "clock_mhz", "hbm_gb", "hbm_bw_gbs",
             "ddr_gb", "ddr_bw_gbs", "sockets", "link_gbs")


@dataclass(frozen=True)
class RDUConfig:
    """One reconfigurable dataflow unit (per socket) and the sockets linked together.

    A PCU is a SIMD pipeline of ``lanes`` × ``stages`` functional units (one FMA per unit per
    cycle, so its peak is ``2·lanes·stages`` FLOP/cycle); a PMU is a banked scratchpad of
    ``pmu_kib`` KiB. Memory tiers below the PMUs: HBM (``hbm_gb`` = 0 when absent) and DDR.
    """

    name: str
    n_pcu: int            # pattern compute units per socket
    n_pmu: int            # pattern memory units per socket
    lanes: int            # SIMD lanes per PCU (V)
    stages: int           # pipeline stages per PCU (S_h)
    pmu_kib: int          # SRAM per PMU, KiB
    clock_mhz: int        # fabric clock, MHz
    hbm_gb: int           # HBM capacity per socket, GB (0: no HBM tier)
    hbm_bw_gbs: int       # HBM bandwidth per socket, GB/s
    ddr_gb: int           # DDR capacity per socket, GB
    ddr_bw_gbs: int       # DDR bandwidth per socket, GB/s
    sockets: int          # linked RDUs (tensor × pipeline parallel)
    link_gbs: int         # inter-socket link bandwidth per direction, GB/s
    word_bytes: int       # bytes per element of the compute datatype (BF16 = 2, FP32 = 4)
    process_nm: int       # process node (area scaling)
    reconfig_s: float     # program (bitstream) load per section, s — calibration assumption
    source: str

    @property
    def peak_flops(self) -> float:
        """Peak FLOP/s of one socket: ``2·V·S_h·N_PCU·f`` (DFModel ``kernel_level.py``)."""
        return 2.0 * self.lanes * self.stages * self.n_pcu * self.clock_mhz * 1e6

    @property
    def sram_bytes(self) -> int:
        return self.n_pmu * self.pmu_kib * 1024

    def design(self) -> dict[str, Any]:
        """The hardware design parameters of this preset."""
        d = asdict(self)
        return {k: d[k] for k in HW_PARAMS}


# Published figures are per socket. Where a clock is not published it is derived from the
# published peak and DFModel's PCU geometry (flagged "derived").
PRESETS: dict[str, RDUConfig] = {
    "plasticine": RDUConfig(
        "plasticine", n_pcu=64, n_pmu=64, lanes=16, stages=6, pmu_kib=256, clock_mhz=1000,
        hbm_gb=0, hbm_bw_gbs=0, ddr_gb=16, ddr_bw_gbs=51, sockets=1, link_gbs=25, word_bytes=4,
        process_nm=28, reconfig_s=1e-6,
        source="Prabhakar et al., Plasticine, ISCA'17: 64 PCU × 16 lanes × 6 stages, 64 PMU × 256 KB "
               "(16 MB), 1 GHz, 12.3 SP TFLOPS, 28 nm, 113 mm² (docs/references.md §2.3 R1/R1'); DRAM: 4 DDR3 "
               "channels ≈ 51 GB/s [unverified]; link unused (1 socket)"),
    "sn10": RDUConfig(
        "sn10", n_pcu=640, n_pmu=640, lanes=32, stages=6, pmu_kib=512, clock_mhz=1250,
        hbm_gb=0, hbm_bw_gbs=0, ddr_gb=1536, ddr_bw_gbs=100, sockets=1, link_gbs=25, word_bytes=2,
        process_nm=7, reconfig_s=1e-6,
        source="SambaNova SN10 (Cardinal), Hot Chips 33: 640 PCU/640 PMU, 320 MB SRAM, 1.5 TB DDR4, "
               "> 320 BF16 TFLOPS (R2); geometry 32×6 @ 1.25 GHz, DDR 100 GB/s, link 25 GB/s from "
               "DFModel config GPT3_175B_seq2048_SN10_4x2_2DTorus"),
    "sn30": RDUConfig(
        "sn30", n_pcu=1280, n_pmu=1280, lanes=32, stages=6, pmu_kib=512, clock_mhz=1400,
        hbm_gb=0, hbm_bw_gbs=0, ddr_gb=1536, ddr_bw_gbs=100, sockets=1, link_gbs=25, word_bytes=2,
        process_nm=7, reconfig_s=1e-6,
        source="SambaNova SN30: 1280 PCU, 640 MB SRAM, 1.5 TB DDR, 32×6 PCUs, DDR 100 GB/s (DFModel "
               "config GPT3_13B_seq2048_SN30_SingleChip); vendor peak 688 BF16 TFLOPS [unverified]; "
               "clock 1.4 GHz derived from that peak (DFModel uses 1.25 GHz → 614 TFLOPS)"),
    "sn40l": RDUConfig(
        "sn40l", n_pcu=1040, n_pmu=1040, lanes=32, stages=6, pmu_kib=512, clock_mhz=1600,
        hbm_gb=64, hbm_bw_gbs=1600, ddr_gb=1536, ddr_bw_gbs=100, sockets=1, link_gbs=100,
        word_bytes=2, process_nm=5, reconfig_s=1e-6,
        source="SambaNova SN40L (Cerulean), Hot Chips 2024 / arXiv 2405.07518: 1040 PCU + 1040 PMU, "
               "638 BF16 TFLOPS, 520 MB SRAM, 64 GB HBM, 1.5 TB DDR, TSMC N5 (R3); per socket HBM "
               "1.6 TB/s and DDR 100 GB/s from the 16-socket rack totals (R3'); clock 1.6 GHz derived "
               "from 638 TFLOPS with 32×6 PCUs (R3'); link 100 GB/s is an assumption"),
}
PRESETS["sn40l-node"] = RDUConfig(**{
    **asdict(PRESETS["sn40l"]), "name": "sn40l-node", "sockets": 8,
    "source": PRESETS["sn40l"].source + "; 8 sockets per node as in the SN40L paper's Samba-CoE system"})


# -- area (approximate, for hardware-cost trade-offs) -------------------------------------------------
# Plasticine (ISCA'17 area table [unverified]): PCU 0.849 mm², PMU 0.532 mm² at 28 nm, chip 113 mm² (R1).
_PCU_FU_MM2_28 = 0.849 / (16 * 6)          # one FP32 lane·stage functional unit, 28 nm
_PMU_KIB_MM2_28 = 0.532 / 256               # one KiB of banked SRAM with its address logic, 28 nm
_SWITCH_MM2_28 = (113.0 - 64 * (0.849 + 0.532)) / 128  # interconnect share per unit (rest of 113 mm²)
# Density gain relative to 28 nm (logic, SRAM) — typical foundry scaling, an assumption [unverified].
_NODE_SCALE = {28: (1.0, 1.0), 16: (1 / 3.0, 1 / 2.5), 7: (1 / 9.0, 1 / 5.0), 5: (1 / 14.0, 1 / 6.0)}


def area_mm2(cols: Mapping[str, Any], process_nm: int, word_bytes: int) -> Any:
    """Approximate die area per socket (mm²), calibrated on Plasticine; works on arrays."""
    logic, sram = _NODE_SCALE.get(process_nm, _NODE_SCALE[7])
    fu = _PCU_FU_MM2_28 * (word_bytes / 4.0)  # a BF16 FMA is about half an FP32 one
    n_pcu, n_pmu = np.asarray(cols["n_pcu"], float), np.asarray(cols["n_pmu"], float)
    lanes, stages = np.asarray(cols["lanes"], float), np.asarray(cols["stages"], float)
    pmu_kib = np.asarray(cols["pmu_kib"], float)
    return (n_pcu * lanes * stages * fu * logic + n_pmu * pmu_kib * _PMU_KIB_MM2_28 * sram
            + (n_pcu + n_pmu) * _SWITCH_MM2_28 * logic)
