"""The FPGA cycle fidelity over a batch: each design's compiled walk (:mod:`.cycle`) for its times (a
hybrid group's dataflow pipeline: the analysis' own), then the metrics of every
design of the analysis in one :func:`~simulators.fpga.model.time_metrics` pass (element-wise, so each
design's numbers equal a batch of one's)."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulators.fpga import cycle
from simulators.fpga.layers import StageTable
from simulators.fpga.model import Analysis, time_metrics


def metrics(table: StageTable, an: Analysis, cols: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Metrics of every design of ``an`` with latency, interval and DRAM bytes from the cycle-level
    walks, and what design 0 adds to ``info`` (hybrid: its per-group breakdown at cycle level)."""
    n = len(cols["style"])
    lat, ii, dram = np.empty(n), np.empty(n), np.empty(n)
    style, bpc = np.asarray(cols["style"]), an.extra["bpc"]
    tm, tn = np.asarray(cols["tm"], dtype=float), np.asarray(cols["tn"], dtype=float)
    word_bytes = an.fabric.bits / 8.0
    for k in np.flatnonzero(style == "streaming").tolist():
        lat[k], ii[k] = cycle.simulate_pipeline(table, an.stream, k, float(bpc[k]))
        dram[k] = float(an.stream.offchip_bytes[k])
    for k in np.flatnonzero(style == "tiled").tolist():
        lat[k] = ii[k] = cycle.simulate_engine(table, an.engine, k, float(tm[k]), float(tn[k]), float(word_bytes[k]),
                                               float(bpc[k]))
        dram[k] = float(an.engine.dram_bytes[k].sum())
    info: dict[str, Any] = {}
    hybrid = np.flatnonzero(style == "hybrid")
    groups = np.asarray(cols["groups"], dtype=np.int64)[hybrid]
    for count in np.unique(groups).tolist():
        ks = hybrid[groups == count]
        for k, trace in zip(ks.tolist(), cycle.simulate_hybrid(table, an, ks, count, tm[ks], tn[ks])):
            lat[k] = ii[k] = trace.cycles
            dram[k] = trace.dram_bytes
            if k == 0:
                info = {"groups": [dict(vars(g), analytical_cycles=float(an.extra["group_cycles"][k, g.group]))
                                   for g in trace.groups], "reconfig_cycles": trace.reconfig_cycles}
    out = time_metrics(table, an.fabric, an.extra["res"], an.extra["util"], an.f_mhz, lat, ii, dram, an.extra["lanes"])
    return out, info
