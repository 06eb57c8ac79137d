"""``FPGASimulator``: DNN accelerators built from an FPGA's DSPs, BRAM/URAM and LUTs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.metrics import BatchResult, Result
from archgym.simulator import Simulator
from archgym.space import DesignSpace
from archgym.workload import Workload
from simulators.fpga import cycle
from simulators.fpga.devices import DEVICES, FPGADevice
from simulators.fpga.layers import StageTable, lower
from simulators.fpga.model import Analysis, analyze, group_stages, time_metrics
from simulators.fpga.precision import get_precision
from simulators.fpga.space import SCHEDULE, STYLES, build_space, param_name

GLOBAL_KNOBS = ("device", "precision", "style", "tm", "tn", "buf_kib", "clock_mhz", "groups", "reconfig",
                "util_cap", "weight_mem", "fifo_depth")


class FPGASimulator(Simulator):
    """FPGA DNN accelerators: FINN-style layer pipelines, Zhang/Angel-Eye tiled engines, InTAR hybrids."""

    name = "fpga"
    default_preset = "zcu102"
    version = "2"   # 2: hybrid dataflow groups fold within the engine's lanes; throughput counts MAC ops

    def presets(self) -> dict[str, FPGADevice]:
        return dict(DEVICES)

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        return build_space(workload, self.preset(preset), self.check_mapping(mapping))

    # -- evaluation --------------------------------------------------------------------------------
    def evaluate(self, design: Mapping[str, Any], workload: Workload, fidelity: str = "analytical") -> Result:
        self.check_fidelity(fidelity)
        table = lower(workload)
        dev, prec, cols = self._columns([design], table)
        an = analyze(table, dev, prec, cols)
        metrics = {k: float(v[0]) for k, v in an.metrics.items()}
        info = self._info(table, an, cols, fidelity)
        if fidelity == "cycle":
            metrics, detail = self._cycle_metrics(table, dev, prec, an, cols)
            info.update(detail)
        violations = [k for k, v in an.violations.items() if bool(v[0])]
        return Result(metrics, not violations, violations, self._layers(table, an, str(design["style"])), info)

    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, np.ndarray],
                       workload: Workload, fidelity: str = "analytical") -> BatchResult:
        self.check_fidelity(fidelity)
        if isinstance(designs, Mapping):
            n = len(next(iter(designs.values()))) if designs else 0
            designs = [{k: _py(v[i]) for k, v in designs.items()} for i in range(n)]
        if fidelity != "analytical":
            return super().evaluate_batch(designs, workload, fidelity)
        table = lower(workload)
        n = len(designs)
        keys: dict[tuple[str, str], list[int]] = {}
        for i, d in enumerate(designs):
            keys.setdefault((str(d.get("device")), str(d.get("precision"))), []).append(i)
        metrics: dict[str, np.ndarray] = {}
        valid = np.ones(n, dtype=bool)
        violations: list[list[str]] = [[] for _ in range(n)]
        for idx in keys.values():
            dev, prec, cols = self._columns([designs[i] for i in idx], table)
            an = analyze(table, dev, prec, cols)
            for k, v in an.metrics.items():
                metrics.setdefault(k, np.full(n, np.nan))[idx] = v
            for name, bad in an.violations.items():
                for j in np.flatnonzero(bad):
                    violations[idx[j]].append(name)
                    valid[idx[j]] = False
        return BatchResult(metrics, valid, violations)

    # -- helpers -----------------------------------------------------------------------------------
    def _columns(self, designs: Sequence[Mapping[str, Any]], table: StageTable
                 ) -> tuple[FPGADevice, Any, dict[str, Any]]:
        first = designs[0]
        missing = [k for k in ("device", "precision", "style", "tm", "tn") if k not in first]
        if missing:
            raise ConfigError(f"fpga design: missing parameter {missing[0]!r}")
        if first["device"] not in DEVICES:
            raise ConfigError.bad_value("device", first["device"], DEVICES)
        dev, prec = DEVICES[first["device"]], get_precision(first["precision"])
        defaults = {"buf_kib": 256, "clock_mhz": 200, "groups": 1, "reconfig": "intar", "util_cap": 0.9,
                    "weight_mem": "auto", "fifo_depth": 0}
        cols: dict[str, Any] = {}
        for k in GLOBAL_KNOBS[2:]:
            vals = [d.get(k, defaults.get(k)) for d in designs]
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

    def _cycle_metrics(self, table: StageTable, dev: FPGADevice, prec: Any, an: Analysis,
                       cols: dict[str, Any]) -> tuple[dict[str, float], dict[str, Any]]:
        """Metrics of design 0 with times from the cycle-level models, and what to add to ``info``
        (hybrid: the per-group breakdown at cycle level)."""
        style = str(cols["style"][0])
        bpc = float(an.extra["bpc"][0])
        detail: dict[str, Any] = {}
        if style == "streaming":
            lat, ii = cycle.simulate_pipeline(table, an.stream, 0, bpc)
            dram = float(an.stream.offchip_bytes[0])
        elif style == "tiled":
            lat = cycle.simulate_engine(table, an.engine, 0, float(cols["tm"][0]), float(cols["tn"][0]),
                                        prec.bits / 8.0, bpc)
            ii = lat
            dram = float(an.engine.dram_bytes[0].sum())
        else:
            trace = cycle.simulate_hybrid(table, dev, prec, an, 0, int(cols["groups"][0]), float(cols["tm"][0]),
                                          float(cols["tn"][0]), float(cols["fifo_depth"][0]))
            lat = ii = trace.cycles
            dram = trace.dram_bytes
            detail["groups"] = [dict(vars(g), analytical_cycles=float(an.extra["group_cycles"][0, g.group]))
                                for g in trace.groups]
            detail["reconfig_cycles"] = trace.reconfig_cycles
        one = {k: v[:1] for k, v in an.extra["res"].items()}
        util = {k: v[:1] for k, v in an.extra["util"].items()}
        m = time_metrics(table, dev, one, util, an.f_mhz[:1], np.array([lat]), np.array([ii]), np.array([dram]),
                         an.extra["lanes"][:1])
        return {k: float(v[0]) for k, v in m.items()}, detail

    def _layers(self, table: StageTable, an: Analysis, style: str) -> list[dict[str, Any]]:
        col = {int(i): j for j, i in enumerate(table.mac_idx)}
        rows = []
        for i, name in enumerate(table.names):
            row: dict[str, Any] = {"name": name, "kind": "mac" if table.is_mac[i] else "eltwise",
                                   "macs": int(table.macs[i])}
            if style == "streaming":
                row["cycles"] = float(an.stream.cycles[0, i])
                row["lanes"] = int(an.stream.lanes[0, i])
                if i in col:
                    row["pe"], row["simd"] = int(an.pe[0, col[i]]), int(an.simd[0, col[i]])
                for r, v in an.stream.res.items():
                    row[r] = float(v[0, i])
            else:
                row["cycles"] = float(an.engine.cycles[0, i])
                row["compute_cycles"] = float(an.engine.compute[0, i])
                row["dram_bytes"] = float(an.engine.dram_bytes[0, i])
                row["tr"], row["tc"] = int(an.engine.tr[0, i]), int(an.engine.tc[0, i])
                if style == "hybrid":
                    g = int(an.group_of[i])
                    row["group"] = g
                    row["mode"] = "dataflow" if an.group_mode[0, g] else "sequential"
            rows.append(row)
        return rows

    def _info(self, table: StageTable, an: Analysis, cols: dict[str, Any], fidelity: str) -> dict[str, Any]:
        style = str(cols["style"][0])
        info: dict[str, Any] = {"fidelity": fidelity, "clock_mhz": float(an.f_mhz[0])}
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


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
