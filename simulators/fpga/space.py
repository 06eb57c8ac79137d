"""Design spaces of the FPGA family.

``auto``       device, precision, style, ``tm × tn`` (the tiled engine; for a streaming design the
               total MAC-lane budget that :func:`streaming.auto_fold` spreads over the layers to
               balance their initiation intervals, as FINN's SetFolding / DNNBuilder do), tile
               buffer size, clock target, hybrid group count and reconfiguration kind
               (≤ 10⁶ designs). Utilisation cap, weight placement and FIFO depth are fixed.
``shared``     ``auto`` plus the utilisation cap, weight placement (on-chip / off-chip / auto), FIFO
               depth and the per-group hybrid schedule (dataflow / sequential / auto).
``per-layer``  ``shared`` plus PE and SIMD of every MAC layer (divisors of the layer's dims).
"""

from __future__ import annotations

import math

import numpy as np

from archgym.space import DesignSpace, Param, categorical, ordinal
from archgym.workload import Workload
from simulators.fpga.devices import DEVICES, FPGADevice
from simulators.fpga.layers import lower
from simulators.fpga.precision import PRECISIONS
from simulators.fpga.streaming import auto_fold, per_layer_values

STYLES = ("streaming", "tiled", "hybrid")
TM_VALUES = (4, 8, 16, 32, 64, 128, 256, 512)
TN_VALUES = (1, 2, 3, 4, 7, 8, 12, 16, 24, 32, 64, 128)
BUF_KIB = (64, 256, 1024)
CLOCKS_MHZ = (100, 150, 200, 300)
GROUPS = (1, 2, 4)
RECONFIG = ("intar", "partial")
UTIL_CAPS = (0.7, 0.8, 0.9, 1.0)
WEIGHT_MEM = ("auto", "on-chip", "off-chip")
FIFO_DEPTHS = (0, 2, 32, 512)   # 0 = auto (one consumer window, see streaming.fifo_words)
SCHEDULE = ("auto", "dataflow", "sequential")
DEFAULT_UTIL_CAP = 0.9


def default_engine(dev: FPGADevice, precision: str = "int8") -> tuple[int, int]:
    """The largest ``tm × tn`` (tm ≥ tn) whose DSPs stay within 70 % of the device."""
    per = PRECISIONS[precision].macs_per_slice(dev.dsp_type) or 1.0
    target = 0.7 * dev.user_dsp * per
    tm = max(v for v in TM_VALUES if v * v <= 2 * target or v == TM_VALUES[0])
    tn = max(v for v in TN_VALUES if tm * v <= target or v == TN_VALUES[0])
    return tm, tn


def param_name(kind: str, stage: str) -> str:
    return f"{kind}_{stage}"


def build_space(workload: Workload, dev: FPGADevice, mapping: str) -> DesignSpace:
    tm, tn = default_engine(dev)
    clock = max(c for c in CLOCKS_MHZ if c <= dev.clock_max_mhz)
    params: list[Param] = [
        categorical("device", tuple(DEVICES), default=dev.name, doc="FPGA board (resources, memory)"),
        ordinal("precision", tuple(PRECISIONS), default="int8", doc="weight/activation arithmetic"),
        categorical("style", STYLES, default="tiled", doc="streaming pipeline, tiled engine, or InTAR hybrid"),
        ordinal("tm", TM_VALUES, unit="lanes", default=tm, doc="engine output-channel parallelism"),
        ordinal("tn", TN_VALUES, unit="lanes", default=tn, doc="engine input-channel parallelism"),
        ordinal("buf_kib", BUF_KIB, unit="KiB", default=256, doc="tile buffer per operand (×2 double buffered)"),
        ordinal("clock_mhz", CLOCKS_MHZ, unit="MHz", default=clock, doc="clock target"),
        ordinal("groups", GROUPS, unit="groups", default=1, doc="hybrid: contiguous layer groups"),
        categorical("reconfig", RECONFIG, default="intar", doc="hybrid: runtime switch or partial bitstream"),
    ]
    if mapping == "auto":
        params += [ordinal("util_cap", (DEFAULT_UTIL_CAP,), unit="fraction", default=DEFAULT_UTIL_CAP),
                   categorical("weight_mem", ("auto",), default="auto"),
                   ordinal("fifo_depth", (0,), unit="words", default=0)]
    else:
        params += [ordinal("util_cap", UTIL_CAPS, unit="fraction", default=DEFAULT_UTIL_CAP,
                           doc="fraction of each resource the design may use"),
                   categorical("weight_mem", WEIGHT_MEM, default="auto", doc="streaming weights on or off chip"),
                   ordinal("fifo_depth", FIFO_DEPTHS, unit="words", default=0,
                           doc="inter-layer FIFO depth (0: auto-sized to the consumer's window)"),
                   *[categorical(f"sched_{g}", SCHEDULE, default="auto", doc=f"hybrid: mode of group {g}")
                     for g in range(max(GROUPS))]]
    if mapping == "per-layer":
        table = lower(workload)
        macs = float(table.macs.sum())
        pe, simd, _ = auto_fold(table, np.array([macs / (tm * tn)]))
        for j, i in enumerate(table.mac_idx):
            name = table.names[i]
            pv = per_layer_values(int(table.MH[i]))
            sv = per_layer_values(int(table.MW[i]))
            params.append(ordinal(param_name("pe", name), pv, unit="PEs", default=_nearest(pv, pe[0, j]),
                                  doc=f"{name}: output parallelism (divides {int(table.MH[i])})"))
            params.append(ordinal(param_name("simd", name), sv, unit="lanes", default=_nearest(sv, simd[0, j]),
                                  doc=f"{name}: input parallelism (divides {int(table.MW[i])})"))
    return DesignSpace(tuple(params), (), f"fpga-{dev.name}-{workload.name}-{mapping}")


def _nearest(values: tuple[int, ...], target: float) -> int:
    return min(values, key=lambda v: (abs(math.log2(v) - math.log2(max(float(target), 1.0))), v))
