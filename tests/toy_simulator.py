"""A tiny simulator that implements the archgym :class:`~archgym.simulator.Simulator` contract.

It exists for contract tests (environments, agents, stores): it is fast, has a cross-parameter
constraint, a single-parameter constraint, a simulator-side invalidity (a buffer too small for
the workload), both fidelities, presets, all three mapping modes and a vectorised batch path.
Its numbers are a toy roofline, not a model of any real device.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.metrics import BatchResult, Result, derive
from archgym.simulator import Simulator
from archgym.space import Constraint, DesignSpace, categorical, ordinal, pow2
from archgym.workload import Workload

TILES = (1, 2, 4, 8)


@dataclass(frozen=True)
class ToyConfig:
    rows: int
    cols: int
    sram_kib: int
    clock_mhz: int
    dataflow: str
    source: str = "toy preset for contract tests (not a real device)"


PRESETS = {
    "small": ToyConfig(8, 8, 64, 400, "ws"),
    "large": ToyConfig(16, 16, 256, 800, "os"),
}


def _pe_budget(d: Mapping[str, Any]) -> Any:
    return np.asarray(d["rows"]) * np.asarray(d["cols"]) <= 512


def _clock_limit(d: Mapping[str, Any]) -> Any:
    return np.asarray(d["clock_mhz"]) <= 1000


def _tile_fits(name: str) -> Constraint:
    return Constraint(f"tile_fits_rows@{name}", lambda d: np.asarray(d[name]) <= np.asarray(d["rows"]),
                      f"{name} ≤ rows")


class ToySimulator(Simulator):
    """Toy systolic-like array for contract tests: latency ∝ folds, energy ∝ MACs + traffic."""

    name = "toy"
    default_preset = "small"

    def presets(self) -> dict[str, ToyConfig]:
        return dict(PRESETS)

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        cfg = self.preset(preset)
        mapping = self.check_mapping(mapping)
        params = [
            pow2("rows", 2, 64, unit="PEs", default=cfg.rows),
            pow2("cols", 2, 64, unit="PEs", default=cfg.cols),
            pow2("sram_kib", 4, 512, unit="KiB", default=cfg.sram_kib),
            ordinal("clock_mhz", (200, 400, 800, 1600), unit="MHz", default=cfg.clock_mhz),
            categorical("dataflow", ("os", "ws", "is"), default=cfg.dataflow),
        ]
        constraints = [Constraint("pe_budget", _pe_budget, "rows × cols ≤ 512"),
                       Constraint("clock_limit", _clock_limit, "clock ≤ 1000 MHz (timing closure)")]
        names = self._tile_names(workload, mapping)
        params += [ordinal(n, TILES, unit="rows", default=1) for n in names]
        constraints += [_tile_fits(n) for n in names]
        return DesignSpace(tuple(params), tuple(constraints), f"toy-{mapping}")

    @staticmethod
    def _tile_names(workload: Workload, mapping: str) -> list[str]:
        if mapping == "auto":
            return []
        if mapping == "shared":
            return ["tile"]
        return [f"tile@{op.name}" for op in workload.layers]

    def evaluate(self, design: Mapping[str, Any], workload: Workload, fidelity: str = "analytical") -> Result:
        cols = {k: np.array([v]) for k, v in design.items()}
        return self.evaluate_batch(cols, workload, fidelity).row(0)

    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, np.ndarray],
                       workload: Workload, fidelity: str = "analytical") -> BatchResult:
        self.check_fidelity(fidelity)
        if not isinstance(designs, Mapping):
            designs = {k: np.array([d[k] for d in designs]) for k in designs[0]} if designs else {}
        rows = np.asarray(designs["rows"], dtype=float)
        cols = np.asarray(designs["cols"], dtype=float)
        sram = np.asarray(designs["sram_kib"], dtype=float)
        clock = np.asarray(designs["clock_mhz"], dtype=float) * 1e6
        df_gain = np.select([designs["dataflow"] == "os", designs["dataflow"] == "ws"], [1.0, 0.9], 1.1)
        cycles = np.zeros_like(rows)
        dram = np.zeros_like(rows)
        need_kib = 0.0
        for i, op in enumerate(workload.layers):
            tile = np.asarray(designs.get(f"tile@{op.name}", designs.get("tile", np.ones_like(rows))), float)
            for g in op.gemms():
                folds = np.ceil(g.m / (rows * tile)) * np.ceil(g.n / cols)
                cycles += g.repeat * folds * (g.k + rows + cols) * df_gain / np.sqrt(tile)
                dram += g.repeat * (g.m * g.k + g.k * g.n) * op.word_bytes * (1 + 64 / sram)
                need_kib = max(need_kib, g.k * op.word_bytes / 64)  # 64 rows of the reduction operand
        if fidelity == "cycle":
            cycles = cycles + 100.0 * len(workload.layers)  # pipeline fill per layer
        latency = cycles / clock
        energy = 1e-12 * workload.total_macs * (1 + 0.1 * clock / 1e9) + 20e-12 * dram
        area = 0.01 * rows * cols + 0.005 * sram
        valid = sram >= need_kib
        metrics = derive({"latency_s": latency, "cycles": cycles, "energy_j": energy, "area_mm2": area,
                          "dram_bytes": dram,
                          "utilization": np.minimum(workload.total_macs / np.maximum(cycles * rows * cols, 1), 1.0)})
        violations = [[] if ok else ["sram_too_small"] for ok in valid]
        return BatchResult({k: np.asarray(v, float) for k, v in metrics.items()}, valid, violations)


TOY_ENV_ID = "archgym-test/Toy-v0"


def register_toy_env() -> str:
    """Register :data:`TOY_ENV_ID` (a ``DesignEnv`` over :class:`ToySimulator`) with Gymnasium."""
    import gymnasium as gym

    if TOY_ENV_ID not in gym.registry:
        gym.register(TOY_ENV_ID, entry_point="envs.design_env:DesignEnv",
                     vector_entry_point="envs.vector:DesignVectorEnv",
                     kwargs={"simulator": ToySimulator(), "env_id": TOY_ENV_ID})
    return TOY_ENV_ID


def env_family(env_id: str) -> str:
    """The simulator family behind a registered env id (``toy`` for :data:`TOY_ENV_ID`)."""
    import envs

    return "toy" if env_id == TOY_ENV_ID else envs.entry(env_id).simulator
