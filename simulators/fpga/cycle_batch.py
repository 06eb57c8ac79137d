"""The FPGA cycle fidelity over a batch: each design's compiled walk (:mod:`.cycle`) for its times,
then the metrics of every design of the analysis in one :func:`~simulators.fpga.model.time_metrics`
pass (element-wise, so each design's numbers equal a batch of one's)."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulators.fpga import cycle
from simulators.fpga.devices import FPGADevice
from simulators.fpga.layers import StageTable
from simulators.fpga.model import Analysis, time_metrics
from simulators.fpga.precision import Precision


def metrics(table: StageTable, dev: FPGADevice, prec: Precision, an: Analysis,
            cols: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Metrics of every design of ``an`` with latency, interval and DRAM bytes from the cycle-level
    walks, and what design 0 adds to ``info`` (hybrid: its per-group breakdown at cycle level)."""
    n = len(cols["style"])
    lat, ii, dram = np.empty(n), np.empty(n), np.empty(n)
    info: dict[str, Any] = {}
    for k in range(n):
        lat[k], ii[k], dram[k], extra = _times(table, dev, prec, an, cols, k)
        info = info if k else extra
    out = time_metrics(table, dev, an.extra["res"], an.extra["util"], an.f_mhz, lat, ii, dram, an.extra["lanes"])
    return out, info


def _times(table: StageTable, dev: FPGADevice, prec: Precision, an: Analysis, cols: dict[str, Any],
           k: int) -> tuple[float, float, float, dict[str, Any]]:
    """(latency cycles, interval cycles, DRAM bytes, info extras) of design ``k``."""
    style = str(cols["style"][k])
    bpc = float(an.extra["bpc"][k])
    if style == "streaming":
        lat, ii = cycle.simulate_pipeline(table, an.stream, k, bpc)
        return lat, ii, float(an.stream.offchip_bytes[k]), {}
    if style == "tiled":
        lat = cycle.simulate_engine(table, an.engine, k, float(cols["tm"][k]), float(cols["tn"][k]),
                                    prec.bits / 8.0, bpc)
        return lat, lat, float(an.engine.dram_bytes[k].sum()), {}
    trace = cycle.simulate_hybrid(table, dev, prec, an, k, int(cols["groups"][k]), float(cols["tm"][k]),
                                  float(cols["tn"][k]), float(cols["fifo_depth"][k]))
    groups = [dict(vars(g), analytical_cycles=float(an.extra["group_cycles"][k, g.group])) for g in trace.groups]
    return trace.cycles, trace.cycles, trace.dram_bytes, {"groups": groups, "reconfig_cycles": trace.reconfig_cycles}
