"""The FPGA cycle fidelity over a batch: every design's walks (:mod:`.cycle`) in one compiled call —
streaming pipelines, tiled engines, and each hybrid's groups (a dataflow group's pipeline: the analysis'
own, :class:`~simulators.fpga.model.Dataflow`) — then the metrics of every design of the analysis in one
:func:`~simulators.fpga.model.time_metrics` pass (element-wise, so each design's numbers equal a batch of one's)."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulators.fpga import cycle
from simulators.fpga.layers import StageTable
from simulators.fpga.model import Analysis, group_stages, time_metrics

_STYLE_CODE = {"streaming": 0, "tiled": 1, "hybrid": 2}   # :func:`cycle.walks`'s style codes


def metrics(table: StageTable, an: Analysis, cols: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Metrics of every design of ``an`` with latency, interval and DRAM bytes from the cycle-level
    walks, and what design 0 adds to ``info`` (hybrid: its per-group breakdown at cycle level)."""
    code = np.array([_STYLE_CODE[s] for s in cols["style"]], dtype=np.int64)
    n = table.n
    none = np.empty((0, n))
    s_cyc, s_width, s_fifo, s_bytes = none, none, none, np.empty(0)       # no design streams: no rows
    if (code == 0).any():
        m = an.stream
        s_cyc, s_width, s_fifo, s_bytes = _f64(m.cycles), _f64(m.width), _f64(m.fifo), _f64(m.offchip_bytes)
    e_cyc, e_tr, e_tc, e_bytes = none, none, none, none
    if (code != 0).any():
        e = an.engine
        e_cyc, e_tr, e_tc, e_bytes = _f64(e.cycles), _f64(e.tr), _f64(e.tc), _f64(e.dram_bytes)
    df = an.extra["dataflow"]
    hyb = df.rows
    d_cyc, d_width, d_fifo = (none, none, none) if df.model is None else \
        (_f64(df.model.cycles), _f64(df.model.width), _f64(df.model.fifo))
    ints, row_elems = cycle.pipeline_shape(table)
    lat, ii, dram, g_cyc, g_bytes = cycle.walks(
        code, ints, row_elems, table.is_mac, cycle.engine_dims(table), s_cyc, s_width, s_fifo, s_bytes, e_cyc, e_tr,
        e_tc, e_bytes, _f64(cols["tm"]), _f64(cols["tn"]), an.fabric.bits / 8.0, _f64(an.extra["bpc"]), hyb,
        df.count_of, df.bounds, an.group_mode, d_cyc, d_width, d_fifo, df.offchip_bytes,
        _f64(an.extra["reconfig_cycles"]))
    info: dict[str, Any] = {}
    if code[0] == 2:
        info = {"groups": [{"group": g, "mode": "dataflow" if an.group_mode[0, g] else "sequential",
                            "first": table.names[idx[0]], "last": table.names[idx[-1]], "cycles": float(g_cyc[0, g]),
                            "dram_bytes": float(g_bytes[0, g]),
                            "analytical_cycles": float(an.extra["group_cycles"][0, g])}
                           for g, idx in group_stages(table, df.counts[int(df.count_of[0])])],
                "reconfig_cycles": float(an.extra["reconfig_cycles"][0])}
    out = time_metrics(table, an.fabric, an.extra["res"], an.extra["util"], an.f_mhz, lat, ii, dram, an.extra["lanes"])
    return out, info


def _f64(a: Any) -> np.ndarray:
    """``a`` as a C-contiguous float64 array (no copy when it is one)."""
    return np.ascontiguousarray(a, dtype=np.float64)
