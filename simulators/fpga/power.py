"""FPGA power: static + resource-proportional dynamic power + DRAM energy per byte.

Dynamic coefficients are µW per MHz per resource at full activity, per fabric node — [U]
orders of magnitude read off Xilinx Power Estimator defaults (12.5 % logic toggle rate folded
into the LUT/FF figures), e.g. a fully used ZCU102 at 300 MHz draws ≈ 7 W dynamic. DRAM energy
per byte: HBM2 host read = 3.59 pJ/bit (sum of the six FGDRAM MICRO'17 terms, docs/references.md §1.2.6
[D]); DDR4 ≈ 15 pJ/bit and DDR3 ≈ 20 pJ/bit including I/O [U].
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

# node -> resource -> µW/MHz at full activity
DYNAMIC_UW_PER_MHZ: dict[int, dict[str, float]] = {
    28: {"dsp": 3.0, "bram18k": 6.0, "uram": 0.0, "lut": 0.06, "ff": 0.010},
    20: {"dsp": 2.4, "bram18k": 4.5, "uram": 0.0, "lut": 0.045, "ff": 0.008},
    16: {"dsp": 1.8, "bram18k": 3.5, "uram": 10.0, "lut": 0.035, "ff": 0.006},
}
DRAM_PJ_PER_BYTE: dict[str, float] = {"hbm2": 3.59 * 8, "ddr4": 15.0 * 8, "ddr3": 20.0 * 8}
MEMORY_ACTIVITY = 0.5   # fraction of cycles a buffer port is enabled [U]
IDLE_ACTIVITY = 0.25    # clock-tree and control toggling of an idle datapath [U]


def dynamic_power_w(coef: Mapping[str, np.ndarray | float], f_mhz: np.ndarray, res: dict[str, np.ndarray],
                    utilization: np.ndarray) -> np.ndarray:
    """Dynamic power in W; datapath activity rises from ``IDLE_ACTIVITY`` to 1 with utilisation. ``coef``:
    resource -> µW/MHz (a :data:`DYNAMIC_UW_PER_MHZ` entry, or one per design)."""
    act = IDLE_ACTIVITY + (1 - IDLE_ACTIVITY) * np.clip(utilization, 0.0, 1.0)
    logic = coef["dsp"] * res["dsp"] + coef["lut"] * res["lut"] + coef["ff"] * res["ff"]
    mem = coef["bram18k"] * res["bram18k"] + coef["uram"] * res["uram"]
    return np.asarray(f_mhz) * (logic * act + mem * MEMORY_ACTIVITY) * 1e-6


def dram_energy_j(pj_per_byte: np.ndarray | float, nbytes: np.ndarray) -> np.ndarray:
    """Energy of ``nbytes`` DRAM bytes at ``pj_per_byte`` (a :data:`DRAM_PJ_PER_BYTE` entry, or one per design)."""
    return np.asarray(nbytes, dtype=float) * pj_per_byte * 1e-12
