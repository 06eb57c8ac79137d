"""``FPGASimulator``: DNN accelerators built from an FPGA's DSPs, BRAM/URAM and LUTs."""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.space import DesignSpace
from archgym.workload import Workload
from simulators.common.family import Designs, Family, ModelOutput
from simulators.fpga import cycle_batch
from simulators.fpga.devices import DEVICES, FPGADevice
from simulators.fpga.layers import StageTable, lower
from simulators.fpga.model import Analysis, analyze, group_stages
from simulators.fpga.precision import get_precision
from simulators.fpga.space import SCHEDULE, STYLES, build_space, param_name

GLOBAL_KNOBS = ("device", "precision", "style", "tm", "tn", "buf_kib", "clock_mhz", "groups", "reconfig",
                "util_cap", "weight_mem", "fifo_depth")


class FPGASimulator(Family):
    """FPGA DNN accelerators: FINN-style layer pipelines, Zhang/Angel-Eye tiled engines, InTAR hybrids."""

    name = "fpga"
    default_preset = "zcu102"
    version = "2"   # 2: hybrid dataflow groups fold within the engine's lanes; throughput counts MAC ops
    parameters = GLOBAL_KNOBS

    def presets(self) -> dict[str, FPGADevice]:
        return dict(DEVICES)

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        return build_space(workload, self.preset(preset), self.check_mapping(mapping))

    def model(self, designs: Designs, workload: Workload, fidelity: str) -> ModelOutput:
        """One vectorised analysis per (device, precision) present in the batch; the cycle level then
        runs each design's pipeline / engine / hybrid walk on it (:mod:`.cycle_batch`)."""
        table = _table(workload)
        rows, n = designs.rows, designs.n
        groups: dict[tuple[str, str], list[int]] = {}
        for i, d in enumerate(rows):
            groups.setdefault((str(d["device"]), str(d["precision"])), []).append(i)
        metrics: dict[str, np.ndarray] = {}
        violations: dict[str, np.ndarray] = {}
        first: tuple[FPGADevice, Any, dict[str, Any], Analysis] | None = None
        cycle_info: dict[str, Any] = {}
        for idx in groups.values():
            dev, prec, cols = self._columns([rows[i] for i in idx], table)
            an = analyze(table, dev, prec, cols)
            group_metrics = an.metrics
            if fidelity == "cycle":
                group_metrics, info = cycle_batch.metrics(table, dev, prec, an, cols)
                if idx[0] == 0:
                    cycle_info = info
            if len(groups) == 1:     # one (device, precision): the group's arrays are the batch's
                metrics, violations = dict(group_metrics), dict(an.violations)
            else:
                for k, v in group_metrics.items():
                    metrics.setdefault(k, np.full(n, np.nan))[idx] = v
                for k, v in an.violations.items():
                    violations.setdefault(k, np.zeros(n, dtype=bool))[idx] = v
            if idx[0] == 0:
                first = (dev, prec, cols, an)

        def layers() -> list[dict[str, Any]]:
            assert first is not None
            _, _, cols, an = first
            return self._layers(table, an, str(cols["style"][0]))

        def first_info() -> dict[str, Any]:
            assert first is not None
            _, _, cols, an = first
            return {**self._info(table, an, cols), **cycle_info}

        return ModelOutput(metrics, violations, layers, first_info)

    # -- helpers -----------------------------------------------------------------------------------
    def _columns(self, designs: Sequence[Mapping[str, Any]], table: StageTable
                 ) -> tuple[FPGADevice, Any, dict[str, Any]]:
        first = designs[0]
        if first["device"] not in DEVICES:
            raise ConfigError.bad_value("device", first["device"], DEVICES)
        dev, prec = DEVICES[first["device"]], get_precision(first["precision"])
        cols: dict[str, Any] = {}
        for k in GLOBAL_KNOBS[2:]:
            vals = [d[k] for d in designs]
            cols[k] = np.array(vals, dtype=object if isinstance(vals[0], str) else float)
        bad = [s for s in cols["style"] if s not in STYLES]
        if bad:
            raise ConfigError.bad_value("style", bad[0], STYLES)
        names = [table.names[i] for i in table.mac_idx]
        if param_name("pe", names[0]) in first:
            try:
                cols["pe"] = np.array([[d[param_name("pe", s)] for s in names] for d in designs], dtype=np.int64)
                cols["simd"] = np.array([[d[param_name("simd", s)] for s in names] for d in designs], dtype=np.int64)
            except KeyError as exc:
                raise ConfigError(f"fpga design: missing per-layer parameter {exc.args[0]!r}") from None
        g = int(np.max(cols["groups"]))
        if "sched_0" in first:
            cols["sched"] = np.array([[d.get(f"sched_{j}", "auto") for j in range(g)] for d in designs], dtype=object)
            bad = [s for s in cols["sched"].ravel() if s not in SCHEDULE]
            if bad:
                raise ConfigError.bad_value("sched", bad[0], SCHEDULE)
        return dev, prec, cols

    def _layers(self, table: StageTable, an: Analysis, style: str) -> list[dict[str, Any]]:
        """Design 0's per-stage rows (each array row converted to Python values once)."""
        kinds = ["mac" if m else "eltwise" for m in table.is_mac.tolist()]
        rows: list[dict[str, Any]] = [{"name": name, "kind": kind, "macs": macs}
                                      for name, kind, macs in zip(table.names, kinds, table.macs.tolist())]
        if style == "streaming":
            s = an.stream
            pe_simd = dict(zip(table.mac_idx.tolist(), zip(an.pe[0].tolist(), an.simd[0].tolist())))
            res = {r: v[0].tolist() for r, v in s.res.items()}
            for i, (row, cyc, lanes) in enumerate(zip(rows, s.cycles[0].tolist(), s.lanes[0].tolist())):
                row["cycles"], row["lanes"] = cyc, int(lanes)
                if i in pe_simd:
                    row["pe"], row["simd"] = pe_simd[i]
                for r, v in res.items():
                    row[r] = v[i]
            return rows
        e = an.engine
        modes = ["dataflow" if m else "sequential" for m in an.group_mode[0].tolist()]
        for row, cyc, comp, dram, tr, tc, g in zip(rows, e.cycles[0].tolist(), e.compute[0].tolist(),
                                                   e.dram_bytes[0].tolist(), e.tr[0].tolist(), e.tc[0].tolist(),
                                                   an.group_of.tolist()):
            row.update(cycles=cyc, compute_cycles=comp, dram_bytes=dram, tr=int(tr), tc=int(tc))
            if style == "hybrid":
                row["group"], row["mode"] = g, modes[g]
        return rows

    def _info(self, table: StageTable, an: Analysis, cols: dict[str, Any]) -> dict[str, Any]:
        style = str(cols["style"][0])
        info: dict[str, Any] = {"clock_mhz": float(an.f_mhz[0])}
        if style == "streaming":
            info["weights"] = "on-chip" if bool(an.weights_onchip[0]) else "off-chip"
            info["bottleneck"] = table.names[int(np.argmax(an.stream.cycles[0]))]
        if style == "hybrid":
            info["group_modes"] = ["dataflow" if m else "sequential" for m in an.group_mode[0]]
            info["groups"] = [{"group": g, "mode": info["group_modes"][g], "first": table.names[idx[0]],
                               "last": table.names[idx[-1]], "cycles": float(an.extra["group_cycles"][0, g]),
                               "dram_bytes": float(an.extra["group_bytes"][0, g])}
                              for g, idx in group_stages(table, int(cols["groups"][0]))]
            info["reconfig_cycles"] = float(an.extra["reconfig_cycles"][0])
        return info



_TABLES: weakref.WeakKeyDictionary[Workload, StageTable] = weakref.WeakKeyDictionary()


def _table(workload: Workload) -> StageTable:
    """The workload's stage table (memoised per workload object)."""
    table = _TABLES.get(workload)
    if table is None:
        table = _TABLES[workload] = lower(workload)
    return table
