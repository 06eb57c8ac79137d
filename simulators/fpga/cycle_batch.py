"""The FPGA cycle fidelity over a batch: every design's walks (:mod:`.cycle`) in two compiled calls — one
for all pipeline walks (streaming designs, hybrid dataflow groups: the analysis' own pipelines), one for
all engine walks (tiled designs, hybrid sequential groups) — then the metrics of every design of the
analysis in one :func:`~simulators.fpga.model.time_metrics` pass (element-wise, so each design's numbers
equal a batch of one's)."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulators.fpga import cycle
from simulators.fpga.layers import StageTable
from simulators.fpga.model import Analysis, group_stages, time_metrics


def metrics(table: StageTable, an: Analysis, cols: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Metrics of every design of ``an`` with latency, interval and DRAM bytes from the cycle-level
    walks, and what design 0 adds to ``info`` (hybrid: its per-group breakdown at cycle level)."""
    n = len(cols["style"])
    lat, ii, dram = np.empty(n), np.empty(n), np.empty(n)
    style, bpc = np.asarray(cols["style"]), an.extra["bpc"]
    stream, tiled = np.flatnonzero(style == "streaming"), np.flatnonzero(style == "tiled")
    hybrid = np.flatnonzero(style == "hybrid")
    walks = _Walks(table, an, cols)
    if stream.size:
        m = an.stream
        src_rows = max(int(table.in_rows[0]), 1)
        first = walks.pipe_rows(m.cycles[stream], m.width[stream], m.fifo[stream])
        walks.pipe_at(first + np.arange(stream.size), 0, table.n, m.offchip_bytes[stream] / bpc[stream] / src_rows,
                      cycle.IMAGES)
        dram[stream] = m.offchip_bytes[stream]
    walks.engine(tiled, 0, table.n)
    parts: list[tuple[int, np.ndarray, list[tuple[int, int, np.ndarray, np.ndarray]]]] = []
    if hybrid.size:
        parts = _hybrid_jobs(table, an, walks, hybrid, np.asarray(cols["groups"], dtype=np.int64)[hybrid])
    (p_lat, p_ii), (e_cyc, e_bytes) = walks.run()
    lat[stream], ii[stream] = p_lat[:stream.size], p_ii[:stream.size]
    lat[tiled] = ii[tiled] = e_cyc[:tiled.size]
    dram[tiled] = e_bytes[:tiled.size]
    info: dict[str, Any] = {}
    for count, ks, groups in parts:
        cyc_sum, bytes_sum = np.zeros(ks.size), np.zeros(ks.size)
        per_group = []
        for g, first, dataflow, job in groups:      # each design's groups in order (Python's sum of them)
            cyc, nbytes = np.empty(ks.size), np.empty(ks.size)
            cyc[dataflow], nbytes[dataflow] = p_lat[job[dataflow]], walks.df_bytes[job[dataflow]]
            cyc[~dataflow], nbytes[~dataflow] = e_cyc[job[~dataflow]], e_bytes[job[~dataflow]]
            cyc_sum, bytes_sum = cyc_sum + cyc, bytes_sum + nbytes
            per_group.append((g, first, dataflow, cyc, nbytes))
        reconfig = an.extra["reconfig_cycles"][ks]
        lat[ks] = ii[ks] = cyc_sum + reconfig
        dram[ks] = bytes_sum
        if ks[0] == 0:
            info = _info(table, an, count, per_group, float(reconfig[0]))
    out = time_metrics(table, an.fabric, an.extra["res"], an.extra["util"], an.f_mhz, lat, ii, dram, an.extra["lanes"])
    return out, info


def _hybrid_jobs(table: StageTable, an: Analysis, walks: _Walks, hybrid: np.ndarray, groups: np.ndarray
                 ) -> list[tuple[int, np.ndarray, list[tuple[int, int, np.ndarray, np.ndarray]]]]:
    """Queue the walks of the ``hybrid`` designs' groups (``groups``: their group counts): per group count,
    ``(count, designs, [(group, first stage, dataflow?, job index per design)])``."""
    rows, models = an.extra["dataflow"]
    bpc = an.extra["bpc"]
    counts = np.unique(groups).tolist()
    # the dataflow pipelines of every group count are column ranges of one model over the hybrid designs
    whole = [models[(counts[0], g)][1] for g, _ in group_stages(table, counts[0])]
    base = walks.pipe_rows(*(np.concatenate([getattr(m, a) for m in whole], axis=1) for a in ("cycles", "width", "fifo")))
    out = []
    for count in counts:
        ks = hybrid[groups == count]
        pos = np.searchsorted(rows, ks)                 # each design's row in the groups' dataflow pipelines
        jobs = []
        for g, idx in group_stages(table, count):
            lo, hi = int(idx[0]), int(idx[-1]) + 1
            sub, df = models[(count, g)]
            dataflow = an.group_mode[ks, g]
            job = np.empty(ks.size, dtype=np.int64)
            src_t = df.offchip_bytes[pos] / bpc[ks] / max(int(sub.in_rows[0]), 1)
            job[dataflow] = walks.pipe_at(base + pos[dataflow], lo, hi, src_t[dataflow], 1,
                                          df.offchip_bytes[pos[dataflow]])
            job[~dataflow] = walks.engine(ks[~dataflow], lo, hi)
            jobs.append((g, lo, dataflow, job))
        out.append((count, ks, jobs))
    return out


def _info(table: StageTable, an: Analysis, count: int, per_group: list[tuple[int, int, np.ndarray, np.ndarray,
                                                                             np.ndarray]], reconfig: float
          ) -> dict[str, Any]:
    """Design 0's per-group breakdown at cycle level (it is the first of its group count's designs)."""
    ends = {g: int(idx[-1]) for g, idx in group_stages(table, count)}
    groups = [{"group": g, "mode": "dataflow" if df[0] else "sequential", "first": table.names[first],
               "last": table.names[ends[g]], "cycles": float(cyc[0]), "dram_bytes": float(nbytes[0]),
               "analytical_cycles": float(an.extra["group_cycles"][0, g])}
              for g, first, df, cyc, nbytes in per_group]
    return {"groups": groups, "reconfig_cycles": reconfig}


class _Walks:
    """The walks of one batch, queued as jobs and run in one compiled call per kind (pipeline, engine)."""

    def __init__(self, table: StageTable, an: Analysis, cols: dict[str, Any]) -> None:
        self.table, self.an, self.cols = table, an, cols
        self.ints, self.row_elems = cycle.pipeline_shape(table)
        self._mats: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []   # per-stage arrays of pipelines
        self._n_mats = 0
        self._pipes: list[tuple[np.ndarray, int, int, np.ndarray, int, np.ndarray]] = []
        self._n_pipes = 0
        self._engines: list[tuple[np.ndarray, int, int]] = []
        self._n_engines = 0
        self.df_bytes = np.empty(0)            # DRAM bytes of each pipeline job (after :meth:`run`)

    def pipe_rows(self, cycles: np.ndarray, width: np.ndarray, fifo: np.ndarray) -> int:
        """Add pipelines (their ``(R, n)`` stage cycles, stream widths, FIFO depths); the first one's index."""
        rows = self.ints[0]
        self._mats.append((cycles.astype(np.float64) / rows,
                           self.row_elems / np.maximum(width.astype(np.float64), 1.0), fifo.astype(np.float64)))
        first, self._n_mats = self._n_mats, self._n_mats + cycles.shape[0]
        return first

    def pipe_at(self, rows: np.ndarray, lo: int, hi: int, src_t: np.ndarray, images: int,
                nbytes: np.ndarray | None = None) -> np.ndarray:
        """Queue walks of stages ``lo:hi`` of pipelines ``rows`` over ``images`` inferences (``src_t``: DRAM
        cycles per source row; ``nbytes``: DRAM bytes, kept for the caller); their job indices."""
        self._pipes.append((rows, lo, hi, src_t, images, np.zeros(rows.size) if nbytes is None else nbytes))
        first, self._n_pipes = self._n_pipes, self._n_pipes + rows.size
        return np.arange(first, self._n_pipes)

    def engine(self, ks: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Queue engine walks of stages ``lo:hi`` of designs ``ks``; their job indices."""
        self._engines.append((ks, lo, hi))
        first, self._n_engines = self._n_engines, self._n_engines + ks.size
        return np.arange(first, self._n_engines)

    def run(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """Run every queued walk: ((latency, interval) per pipeline job, (cycles, DRAM bytes) per engine job)."""
        pipe: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0))
        if self._n_pipes:
            p = self._pipes
            row_t, words, fifo = (np.concatenate(m) if len(m) > 1 else m[0] for m in zip(*self._mats))
            self.df_bytes = np.concatenate([j[5] for j in p])
            pipe = cycle.pipelines(self.ints, row_t, words, fifo, np.concatenate([j[0] for j in p]),
                                   _spread(p, 1), _spread(p, 2), np.concatenate([j[3] for j in p]), _spread(p, 4))
        eng: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0))
        if self._n_engines:
            e, an, q = self.an.engine, self.an, self._engines   # (designs, lo, hi) blocks
            eng = cycle.engines(self.table.is_mac, cycle.engine_dims(self.table), _f64(e.cycles), _f64(e.tr),
                                _f64(e.tc), _f64(e.dram_bytes), _f64(self.cols["tm"]), _f64(self.cols["tn"]),
                                an.fabric.bits / 8.0, _f64(an.extra["bpc"]), np.concatenate([j[0] for j in q]),
                                _spread(q, 1), _spread(q, 2))
        return pipe, eng


def _spread(queued: list[tuple[Any, ...]], field: int) -> np.ndarray:
    """Integer ``field`` of each queued block, repeated for each of its jobs (the block's first entry)."""
    return np.repeat(np.array([q[field] for q in queued], dtype=np.int64), [q[0].size for q in queued])


def _f64(a: Any) -> np.ndarray:
    """``a`` as a C-contiguous float64 array (no copy when it is one)."""
    return np.ascontiguousarray(a, dtype=np.float64)
