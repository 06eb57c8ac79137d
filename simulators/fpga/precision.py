"""Arithmetic precisions and what one MAC lane costs in DSP slices and LUTs.

Sources (docs/references.md §3.3 and §3.4 F7):
  * INT8 on DSP48E2: two MACs sharing one operand per slice (Xilinx WP486) [V]. DSP48E1 lacks the
    27-bit pre-adder input that packing needs, so 7-series designs use one slice per 8-bit MAC.
  * 16-bit fixed point: one slice per MAC (DNNBuilder/AccDNN, Angel-Eye) [V].
  * FP32: five DSP48s per multiply-add (3 for the multiplier, 2 for the adder), Zhang FPGA'15 [U];
    FP16: two per MAC (one multiplier, one adder slice; Xilinx Floating-Point Operator) [U].
  * ≤ 4-bit: LUT multipliers (FINN's default resType for narrow MVAUs); 1-bit is XNOR-popcount.
LUT per lane of the floating-point datapath (normalisation, rounding) is an estimate [U]
calibrated so that Zhang's 448-lane FP32 engine needs ≈ 186 k LUTs, as that paper reports.
"""

from __future__ import annotations

from dataclasses import dataclass

from archgym.errors import ConfigError


@dataclass(frozen=True)
class Precision:
    name: str
    bits: int                       # weight and activation width
    is_float: bool
    macs_per_dsp: dict[str, float]  # DSP type -> MACs per slice; 0 means LUT multipliers
    fp_lut_per_lane: int = 0        # extra LUTs per floating-point lane

    @property
    def word_bytes(self) -> float:
        return self.bits / 8.0

    def macs_per_slice(self, dsp_type: str) -> float:
        return self.macs_per_dsp.get(dsp_type, 0.0)


PRECISIONS: dict[str, Precision] = {p.name: p for p in (
    Precision("int1", 1, False, {}),
    Precision("int4", 4, False, {}),
    Precision("int8", 8, False, {"DSP48E1": 1.0, "DSP48E2": 2.0}),
    Precision("int16", 16, False, {"DSP48E1": 1.0, "DSP48E2": 1.0}),
    Precision("fp16", 16, True, {"DSP48E1": 0.5, "DSP48E2": 0.5}, fp_lut_per_lane=150),
    Precision("fp32", 32, True, {"DSP48E1": 0.2, "DSP48E2": 0.2}, fp_lut_per_lane=330),
)}


def get_precision(name: str) -> Precision:
    if name not in PRECISIONS:
        raise ConfigError.bad_value("precision", name, PRECISIONS)
    return PRECISIONS[name]
