"""``SystolicSimulator``: the systolic-array family behind ``archgym simulate systolic`` and
``Systolic-v0``: SCALE-Sim-compatible fold arithmetic, an analytical roofline model vectorised
over designs (numpy or torch) and a fold-level cycle model (:mod:`.cycle`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.metrics import BatchResult, Result, derive
from archgym.simulator import Simulator
from archgym.space import DesignSpace
from archgym.workload import Workload
from simulators.common.arrays import design_columns, is_torch, to_numpy
from simulators.systolic import analytical
from simulators.systolic.analytical import LayerCost
from simulators.systolic.hardware import DATAFLOWS, PRESETS, SystolicConfig
from simulators.systolic.space import FOLD_ORDERS, build_space

_HW_NUMERIC = ("rows", "cols", "ifmap_kb", "filter_kb", "ofmap_kb", "dram_bw", "clock_mhz")


class SystolicSimulator(Simulator):
    """Systolic arrays (TPU/Eyeriss-like, SCALE-Sim compatible): R×C PEs with os/ws/is dataflows,
    three double-buffered SRAMs and a DRAM interface."""

    name = "systolic"
    default_preset = "tpu-v1"
    fidelities = ("analytical", "cycle", "scalesim")   # scalesim: cycle level, SCALE-Sim's own buffers

    def presets(self) -> dict[str, SystolicConfig]:
        return dict(PRESETS)

    def space(self, workload: Workload, preset: str | None = None, mapping: str = "auto") -> DesignSpace:
        return build_space(self.preset(preset), workload, self.check_mapping(mapping))

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self, design: Mapping[str, Any], workload: Workload, fidelity: str = "analytical") -> Result:
        self.check_fidelity(fidelity)
        cols = {k: np.array([v], dtype=object if isinstance(v, str) else None) for k, v in design.items()}
        if fidelity != "analytical":
            from simulators.systolic import cycle

            return cycle.evaluate(design, workload, "scalesim" if fidelity == "scalesim" else "fold")
        metrics, layers = self._analytical(cols, 1, workload)
        out = {k: float(to_numpy(v).reshape(-1)[0]) for k, v in metrics.items()}
        rows = []
        for op, (lc, df, order) in zip(workload.layers, layers):
            rows.append({"name": op.name, "dataflow": DATAFLOWS[int(np.asarray(df).reshape(-1)[0])],
                         "fold_order": "row" if int(np.asarray(order).reshape(-1)[0]) else "col",
                         "tile_folds_used": int(_f(lc.tile_folds_used)),
                         "cycles": _f(lc.cycles), "compute_cycles": _f(lc.compute_cycles),
                         "stall_cycles": _f(lc.stall_cycles), "energy_j": _f(lc.energy_pj) * 1e-12,
                         "folds": _f(lc.folds), "macs": lc.macs,
                         "dram_words": {k: _f(v) for k, v in lc.dram_words.items()},
                         "sram_words": {k: _f(v) for k, v in lc.sram_words.items()}})
        return Result(derive(out), True, [], rows, {"fidelity": "analytical"})

    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any],
                       workload: Workload, fidelity: str = "analytical") -> BatchResult:
        """Vectorised analytical model; ``designs`` is a list of dicts or name → array (numpy, or
        torch tensors with integer dataflow codes 0/1/2 = os/ws/is to run on a GPU)."""
        self.check_fidelity(fidelity)
        if fidelity != "analytical":
            return super().evaluate_batch(designs, workload, fidelity)
        names = list(designs[0]) if isinstance(designs, Sequence) and designs else []
        cols, n = design_columns(designs, names)
        metrics, _ = self._analytical(cols, n, workload)
        out = derive({k: _per_design(v, n) for k, v in metrics.items()})
        valid = np.all([np.isfinite(v) for v in out.values()], axis=0) if out else np.ones(n, bool)
        violations: list[list[str]] = [[]] * n  # one shared, never mutated: BatchResult.row copies
        for i in np.flatnonzero(~valid):
            violations[i] = ["non_finite_metrics"]
        return BatchResult(out, valid, violations)

    # -- internals ----------------------------------------------------------------------------
    def _analytical(self, cols: Mapping[str, Any], n: int, workload: Workload
                    ) -> tuple[dict[str, Any], list[tuple[LayerCost, Any, Any]]]:
        word_bytes = int(_single(cols, "word_bytes"))
        tech = str(_single(cols, "tech"))
        hw = analytical.prepare({k: _numeric(cols, k) for k in _HW_NUMERIC}, word_bytes, tech)
        layers: list[tuple[LayerCost, Any, Any]] = []
        for op in workload.layers:
            gemms = op.gemms()
            df = _codes(_layer_col(cols, op.name, "dataflow"), DATAFLOWS, "dataflow")
            order_col = _layer_col(cols, op.name, "fold_order", "auto")
            order = _codes(order_col, FOLD_ORDERS, "fold_order")
            tile = _layer_tile(cols, op.name)
            col = analytical.layer_cost(gemms, hw, df, order * 0, word_bytes, tech, tile)
            if _all(order == 0):       # auto everywhere: pick the faster order per design
                row = analytical.layer_cost(gemms, hw, df, order * 0 + 1, word_bytes, tech, tile)
                better_row = row.cycles < col.cycles
                lc = analytical.select(better_row, row, col)
                chosen = better_row * 1
            else:
                row = analytical.layer_cost(gemms, hw, df, order * 0 + 1, word_bytes, tech, tile)
                auto_row = row.cycles < col.cycles
                use_row = (order == 2) | ((order == 0) & auto_row)
                lc = analytical.select(use_row, row, col)
                chosen = use_row * 1
            layers.append((lc, df, chosen))
        metrics = analytical.summarize([lc for lc, _, _ in layers], hw, word_bytes, tech, float(workload.total_macs))
        return metrics, layers


def _per_design(value: Any, n: int) -> np.ndarray:
    """A metric as a float array with one entry per design (scalars are broadcast)."""
    arr = to_numpy(value).astype(float, copy=False).reshape(-1)
    return arr if arr.size == n else np.full(n, arr[0])


def _f(x: Any) -> float:
    return float(to_numpy(x).reshape(-1)[0]) if not isinstance(x, (int, float)) else float(x)


def _all(x: Any) -> bool:
    return bool(x.all()) if hasattr(x, "all") else bool(x)


def _single(cols: Mapping[str, Any], key: str) -> Any:
    if key not in cols:
        raise ConfigError(f"systolic design: missing parameter {key!r}")
    vals = to_numpy(cols[key]).reshape(-1)
    first = vals[0]
    if len(vals) > 1 and not (vals == first).all():
        raise ConfigError(f"systolic design: {key} must be the same for every design of a batch")
    return first.item() if isinstance(first, np.generic) else first


def _numeric(cols: Mapping[str, Any], key: str) -> Any:
    if key not in cols:
        raise ConfigError(f"systolic design: missing parameter {key!r}")
    return _integers(cols[key])


def _integers(v: Any) -> Any:
    """A column as int64 (numpy) or long (torch)."""
    if is_torch(v):
        return v.long()
    return np.asarray(v).astype(np.int64)


def _layer_col(cols: Mapping[str, Any], layer: str, key: str, default: Any = None) -> Any:
    """``LAYER.key`` or the shared ``key`` column; ``default`` (one value) when neither is given."""
    for name in (f"{layer}.{key}", key):
        if name in cols:
            return cols[name]
    if default is None:
        raise ConfigError(f"systolic design: missing parameter {key!r} (or {layer}.{key})")
    return np.array([default], dtype=object if isinstance(default, str) else None)


def _layer_tile(cols: Mapping[str, Any], layer: str) -> Any:
    """The layer's SRAM tile in outer folds (``LAYER.tile_folds`` or ``tile_folds``; default 1)."""
    return _integers(_layer_col(cols, layer, "tile_folds", 1))


def _codes(col: Any, choices: Sequence[str], key: str) -> Any:
    """Categorical column → integer codes (index into ``choices``); integer columns pass through."""
    if is_torch(col):
        return col.long()
    arr = np.asarray(col)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    out = np.full(arr.shape, -1, dtype=np.int64)
    for i, c in enumerate(choices):
        out[arr == c] = i
    if (out < 0).any():
        bad = arr[out < 0].reshape(-1)[0]
        raise ConfigError.bad_value(key, bad, choices)
    return out
