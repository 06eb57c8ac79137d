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
from simulators.fpga import cycle_batch, single
from simulators.fpga.bounds import BOUNDS
from simulators.fpga.devices import DEVICES, FPGADevice
from simulators.fpga.fabric import Fabric
from simulators.fpga.layers import StageTable, lower
from simulators.fpga.model import Analysis, analyze, group_index, group_stages
from simulators.fpga.space import SCHEDULE, STYLES, build_space, param_name

GLOBAL_KNOBS = ("device", "precision", "style", "tm", "tn", "buf_kib", "clock_mhz", "groups", "reconfig",
                "util_cap", "weight_mem", "fifo_depth")


class FPGASimulator(Family):
    """FPGA DNN accelerators: FINN-style layer pipelines, Zhang/Angel-Eye tiled engines, InTAR hybrids."""

    name = "fpga"
    workload_needs = "layers"
    default_preset = "zcu102"
    version = "2"   # 2: hybrid dataflow groups fold within the engine's lanes; throughput counts MAC ops
    parameters = GLOBAL_KNOBS
    bounds = BOUNDS

    def presets(self) -> dict[str, FPGADevice]:
        return dict(DEVICES)

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        return build_space(workload, self.preset(preset), self.check_mapping(mapping))

    def model(self, designs: Designs, workload: Workload, fidelity: str) -> ModelOutput:
        """One vectorised analysis of the whole batch (each design on its own device and precision);
        the cycle level then runs each design's pipeline / engine / hybrid walk on it (:mod:`.cycle_batch`)."""
        table = _table(workload)
        one = designs.one
        if fidelity == "analytical" and one is not None:
            got = single.one(table, one)
            if got is not None:    # its layer rows from the general analysis, when read
                one_info = got[2]
                return ModelOutput(got[0], got[1], lambda: self._layers(table, *self._analysis(designs, table)),
                                   lambda: one_info)
        an, cols = self._analysis(designs, table)
        metrics, info = cycle_batch.metrics(table, an, cols) if fidelity == "cycle" else (an.metrics, {})
        return ModelOutput(metrics, an.violations, lambda: self._layers(table, an, cols),
                           lambda: {**self._info(table, an, cols), **info})

    # -- helpers -----------------------------------------------------------------------------------
    def _analysis(self, designs: Designs, table: StageTable) -> tuple[Analysis, dict[str, Any]]:
        """:func:`analyze` of the designs, and their knob columns."""
        cols = self._columns(designs.rows, table)
        return analyze(table, Fabric.of(cols["device"], cols["precision"]), cols), cols

    def _columns(self, designs: Sequence[Mapping[str, Any]], table: StageTable) -> dict[str, Any]:
        """One array per knob over the designs (device and precision: lists of names)."""
        first = designs[0]
        cols: dict[str, Any] = {k: [d[k] for d in designs] for k in GLOBAL_KNOBS[:2]}
        for k in GLOBAL_KNOBS[2:]:
            vals = [d[k] for d in designs]
            cols[k] = np.array(vals, dtype=object if isinstance(vals[0], str) else float)
        bad = [s for s in cols["style"] if s not in STYLES]
        if bad:
            raise ConfigError.bad_value("style", bad[0], STYLES)
        cut = np.flatnonzero((cols["groups"] < 1) & (cols["style"] == "hybrid"))
        if cut.size:         # no group to cut into: the group kernels would index out of bounds
            raise ConfigError.bad_value("groups", designs[int(cut[0])]["groups"], "integers >= 1 for a hybrid")
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
        return cols

    def _layers(self, table: StageTable, an: Analysis, cols: dict[str, Any]) -> list[dict[str, Any]]:
        """Design 0's per-stage rows (each array row converted to Python values once)."""
        style = str(cols["style"][0])
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
        group_of = group_index(table, int(cols["groups"][0])).tolist()
        for row, cyc, comp, dram, tr, tc, g in zip(rows, e.cycles[0].tolist(), e.compute[0].tolist(),
                                                   e.dram_bytes[0].tolist(), e.tr[0].tolist(), e.tc[0].tolist(),
                                                   group_of):
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
