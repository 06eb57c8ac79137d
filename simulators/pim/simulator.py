"""``PIMSimulator``: bank-level processing-in-memory (HBM-PIM, GDDR6-AiM, AttAcc, GeniePIM-style
LPDDR5X, DDR4) behind ``archgym simulate pim`` and ``archgym/PIM-v0``.

GEMVs (decode-time linear layers, attention over the KV cache) run on PIM units next to the
banks or on the host; element-wise operators run on the host. The analytical model
(:mod:`.gemv`, :mod:`.analytical`) is vectorised over designs; the cycle model (:mod:`.cycle`)
simulates the DRAM commands of the same mapping. Both report the host-only baseline
(``host_latency_s``) and ``speedup_vs_host``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from archgym.errors import ConfigError, UnknownNameError
from archgym.metrics import BatchResult, Result, derive
from archgym.simulator import Simulator
from archgym.space import DesignSpace
from archgym.workload import Workload
from simulators.common.arrays import design_columns
from simulators.pim import analytical
from simulators.pim.hardware import PRESETS, PIMConfig
from simulators.pim.space import build_space


class PIMSimulator(Simulator):
    """Bank-level processing-in-memory (HBM-PIM / GDDR6-AiM / AttAcc class) with a host for the
    rest: GEMV placement, split-K, DRAM-command timing and the host-only baseline."""

    name = "pim"
    default_preset = "hbm-pim"
    fidelities = ("analytical", "cycle")

    def presets(self) -> dict[str, PIMConfig]:
        return dict(PRESETS)

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        return build_space(self.preset(preset), workload, self.check_mapping(mapping))

    # -- evaluation -------------------------------------------------------------------------------
    def evaluate(self, design: Mapping[str, Any], workload: Workload, fidelity: str = "analytical") -> Result:
        self.check_fidelity(fidelity)
        cfg = self._config(design)
        cols = {k: np.array([v], dtype=object if isinstance(v, str) else None) for k, v in design.items()}
        job_fn = analytical.analytical_job
        if fidelity == "cycle":
            from simulators.pim.cycle import cycle_job

            job_fn = cycle_job
        cost = analytical.evaluate(cfg, cols, 1, workload, job_fn)
        metrics = derive({k: float(np.asarray(v).reshape(-1)[0]) for k, v in cost.metrics.items()})
        violations = _violations(cost.violations, 0)
        layers = [_layer_row(o) for o in cost.ops]
        info = {"fidelity": fidelity, "preset": cfg.name}
        return Result(metrics, not violations, violations, layers, info)

    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any],
                       workload: Workload, fidelity: str = "analytical") -> BatchResult:
        """Vectorised analytical model over designs (a list of dicts or name → array)."""
        self.check_fidelity(fidelity)
        if fidelity == "cycle":
            return super().evaluate_batch(designs, workload, fidelity)
        names = list(designs[0]) if isinstance(designs, Sequence) and designs else []
        cols, n = design_columns(designs, names)
        if n == 0:
            return BatchResult({}, np.zeros(0, dtype=bool), [])
        cfg = self._config(cols)
        cost = analytical.evaluate(cfg, cols, n, workload)
        metrics = derive({k: np.asarray(v, dtype=float) * np.ones(n) for k, v in cost.metrics.items()})
        violations = [_violations(cost.violations, i) for i in range(n)]
        valid = np.array([not v for v in violations], dtype=bool)
        return BatchResult(metrics, valid, violations)

    # -- internals --------------------------------------------------------------------------------
    def _config(self, design: Mapping[str, Any]) -> PIMConfig:
        if "preset" not in design:
            raise ConfigError("pim design: missing parameter 'preset'")
        values = np.asarray(design["preset"], dtype=object).reshape(-1)
        if len(set(values.tolist())) != 1:
            raise ConfigError("pim design: preset must be the same for every design of a batch")
        name = str(values[0])
        if name not in PRESETS:
            raise UnknownNameError(f"pim preset: {name!r} is not known; allowed: {', '.join(PRESETS)}")
        return PRESETS[name]


def _violations(masks: Mapping[str, np.ndarray], i: int) -> list[str]:
    """Names of the violated checks of design ``i`` (a True mask entry means violated)."""
    return [k for k, v in masks.items() if bool(np.asarray(v).reshape(-1)[i])]


def _layer_row(o: analytical.OpCost) -> dict[str, Any]:
    def f(x: Any) -> float:
        return float(np.asarray(x).reshape(-1)[0])

    row: dict[str, Any] = {"name": o.op.name, "kind": o.op.kind,
                           "place": "pim" if bool(np.asarray(o.on_pim).reshape(-1)[0]) else "host",
                           "latency_s": f(o.ns) * 1e-9, "energy_j": f(o.pj) * 1e-12,
                           "host_latency_s": f(o.host_ns) * 1e-9, "dram_bytes": f(o.ext_bytes),
                           "macs": o.op.macs}
    if row["place"] == "pim":
        row.update({k: f(v) for k, v in o.choice.items()})
    return row
