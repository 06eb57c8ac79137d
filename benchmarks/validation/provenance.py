"""Where every preset parameter comes from: datasheet, paper, public tool configuration, derived
(from what), or assumed. Written out by ``benchmarks/validate.py``; a test checks that every
parameter of every preset has an entry and that no independent validation row uses a figure a
parameter was derived from (``DERIVED_FROM``).

Per preset: kind → space-separated parameter names, except ``derived``, which maps a parameter to
(how, the validation keys of the figures it was derived from).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

KINDS = ("datasheet", "paper", "config", "derived", "assumed")

_SCALESIM_CFG = {"config": "rows cols dataflow ifmap_kb filter_kb ofmap_kb dram_bw",
                 "assumed": "word_bytes clock_mhz tech area_budget_mm2"}
SYSTOLIC: dict[str, dict[str, Any]] = {
    "tpu-v1": {"paper": "rows cols dataflow filter_kb ofmap_kb word_bytes clock_mhz",
               "derived": {"ifmap_kb": ("16 MiB of the 24 MiB unified buffer (Jouppi ISCA'17)", ()),
                           "dram_bw": ("34 GB/s DDR3 ÷ 700 MHz ≈ 48 B/cycle, 32 per port", ())},
               "assumed": "tech area_budget_mm2"},
    "eyeriss": {"paper": "rows cols word_bytes clock_mhz", "config": "dataflow ifmap_kb filter_kb ofmap_kb dram_bw",
                "assumed": "tech area_budget_mm2"},
    "scalesim": _SCALESIM_CFG,
    "scalesim-google": _SCALESIM_CFG,
    "edge-7nm": {"assumed": "rows cols dataflow ifmap_kb filter_kb ofmap_kb dram_bw word_bytes clock_mhz tech "
                            "area_budget_mm2"},
}

_HOST_ATTACC = "host_eff_compute host_eff_mem"
PIM: dict[str, dict[str, Any]] = {
    "hbm-pim": {"paper": "dram stacks banks_per_unit lanes operand_bits pim_clock_mhz all_bank_act bank_mib",
                "config": "irf_regs irf_bits orf_regs orf_bits " + _HOST_ATTACC + " host_pj_per_op",
                "derived": {"channels": (("16 pseudo-channels × 8 PCUs = 128 PCUs, the count the 1.2 TFLOPS "
                                          "peak implies (1.2e12 ÷ (16 lanes × 2 × 300 MHz) ≈ 125)"), ("P4-peak",)),
                            "t_ccd_ab_ns": ("4 tCK at 1.2 GHz (HBM2 2.4 Gb/s)", ()),
                            "t_wr_ns": ("as t_ccd_ab_ns", ()),
                            "host_bw_gbs": ("16 pseudo-channels × 2.4 Gb/s × 64 b", ())},
                "assumed": "acc_bits host_tops"},
    "gddr6-aim": {"paper": "dram stacks channels banks_per_unit lanes operand_bits pim_clock_mhz all_bank_act "
                           "bank_mib",
                  "config": "t_ccd_ab_ns t_wr_ns irf_regs irf_bits orf_regs orf_bits " + _HOST_ATTACC
                            + " host_pj_per_op",
                  "assumed": "acc_bits host_tops host_bw_gbs"},
    "lpddr5x-pim": {"config": "dram stacks channels banks_per_unit lanes operand_bits acc_bits t_ccd_ab_ns t_wr_ns "
                              "irf_regs irf_bits orf_regs orf_bits all_bank_act host_tops host_bw_gbs "
                              "host_eff_compute host_eff_mem",
                    "assumed": "pim_clock_mhz bank_mib host_pj_per_op"},
    "hbm3-attacc": {"config": "dram stacks channels banks_per_unit lanes operand_bits all_bank_act host_tops "
                              "host_bw_gbs " + _HOST_ATTACC + " host_pj_per_op",
                    "derived": {"t_ccd_ab_ns": ("AttAcc nCCDAB = 6 tCK at 1.3 GHz", ()),
                                "t_wr_ns": ("4 tCK at 1.3 GHz", ()),
                                "bank_mib": ("AttAcc MEM_CAPACITY_PER_HBM 16 GiB ÷ (32 pseudo-channels × 32 banks)",
                                             ())},
                    "assumed": "acc_bits pim_clock_mhz irf_regs irf_bits orf_regs orf_bits"},
    "ddr4-pim": {"config": "dram", "assumed": "stacks channels banks_per_unit lanes operand_bits acc_bits "
                 "pim_clock_mhz t_ccd_ab_ns t_wr_ns irf_regs irf_bits orf_regs orf_bits all_bank_act bank_mib "
                 "host_tops host_bw_gbs host_eff_compute host_eff_mem host_pj_per_op"},
}

_SN_DFMODEL = "lanes stages ddr_bw_gbs"
RDU: dict[str, dict[str, Any]] = {
    "plasticine": {"paper": "n_pcu n_pmu lanes stages pmu_kib clock_mhz hbm_gb hbm_bw_gbs word_bytes process_nm sockets",
                   "assumed": "ddr_gb ddr_bw_gbs link_gbs reconfig_s"},
    "sn10": {"paper": "n_pcu n_pmu hbm_gb hbm_bw_gbs ddr_gb word_bytes process_nm sockets",
             "config": _SN_DFMODEL + " clock_mhz link_gbs",
             "derived": {"pmu_kib": ("320 MB ÷ 640 PMUs", ("R2-sram",))}, "assumed": "reconfig_s"},
    "sn30": {"paper": "n_pcu n_pmu hbm_gb hbm_bw_gbs ddr_gb word_bytes sockets", "config": _SN_DFMODEL,
             "derived": {"clock_mhz": ("688 TFLOPS ÷ (1280 × 32 × 6 × 2)", ("SN30-peak",)),
                         "pmu_kib": ("640 MB ÷ 1280 PMUs", ())},
             "assumed": "process_nm link_gbs reconfig_s"},
    "sn40l": {"paper": "n_pcu n_pmu hbm_gb ddr_gb word_bytes process_nm sockets", "config": "lanes stages",
              "derived": {"clock_mhz": ("638 TFLOPS ÷ (1040 × 32 × 6 × 2) (R3')", ("R3-peak",)),
                          "pmu_kib": ("SN10's 512 KiB carried over; 1040 × 512 KiB = 520 MiB", ("R3-sram",)),
                          "hbm_bw_gbs": ("rack 25.6 TB/s ÷ 16 sockets (R3')", ()),
                          "ddr_bw_gbs": ("rack 1.6 TB/s ÷ 16 sockets (R3')", ())},
              "assumed": "link_gbs reconfig_s"},
}
RDU["sn40l-node"] = {**RDU["sn40l"], "paper": RDU["sn40l"]["paper"].replace(" sockets", ""),
                     "derived": {**RDU["sn40l"]["derived"], "sockets": ("8 sockets per node (SN40L paper)", ())}}

_BOARD = {"datasheet": "process_nm dsp_type lut ff dsp bram18k uram user_lut user_ff user_dsp user_bram18k user_uram",
          "derived": {"offchip_gbps": ("DDR data rate × bus width of the board's memory", ())},
          "assumed": "offchip_kind offchip_gib clock_max_mhz static_w"}
_ALVEO = {**_BOARD, "datasheet": "process_nm dsp_type lut ff dsp bram18k uram offchip_kind offchip_gib",
          "config": "user_lut user_dsp user_bram18k user_uram",
          "derived": {**_BOARD["derived"], "user_ff": ("2 × user LUT, as FINN's SLR0 budget", ())},
          "assumed": "clock_max_mhz static_w"}
FPGA: dict[str, dict[str, Any]] = {
    "u280": {**_ALVEO, "datasheet": _ALVEO["datasheet"] + " offchip_gbps",
             "derived": {"user_ff": _ALVEO["derived"]["user_ff"]}},
    "u250": {**_ALVEO, "config": "user_lut user_ff user_dsp user_bram18k user_uram",
             "derived": _BOARD["derived"]},
    "vu9p": _BOARD, "zcu102": _BOARD, "zc706": _BOARD, "ku115": _BOARD, "vc707": _BOARD,
}

FAMILIES = {"systolic": SYSTOLIC, "pim": PIM, "rdu": RDU, "fpga": FPGA}


def preset_params(family: str) -> dict[str, tuple[str, ...]]:
    """Every preset of ``family`` and the parameter fields it sets (names and sources excluded)."""
    from simulators.fpga.devices import DEVICES
    from simulators.pim.hardware import PRESETS as PIM_PRESETS
    from simulators.rdu.hardware import PRESETS as RDU_PRESETS
    from simulators.systolic.hardware import PRESETS as SYS_PRESETS

    presets = {"systolic": SYS_PRESETS, "pim": PIM_PRESETS, "rdu": RDU_PRESETS, "fpga": DEVICES}[family]
    skip = {"name", "source", "part"}
    return {name: tuple(f.name for f in fields(cfg) if f.name not in skip) for name, cfg in presets.items()}


def entries(family: str, preset: str) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """parameter → (kind, how it was derived or '', validation keys it was derived from)."""
    out: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for kind, spec in FAMILIES[family][preset].items():
        if kind == "derived":
            out.update({p: ("derived", how, keys) for p, (how, keys) in spec.items()})
        else:
            out.update({p: (kind, "", ()) for p in spec.split()})
    return out


def derived_from() -> set[str]:
    """Validation keys of every figure some preset parameter was derived from."""
    return {k for fam, presets in FAMILIES.items() for p in presets for _, _, keys in entries(fam, p).values()
            for k in keys}
