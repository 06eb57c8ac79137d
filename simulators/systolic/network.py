"""The analytical systolic model of a whole network, vectorised over designs × GEMMs.

Every GEMM of every MAC layer is one column of a ``(designs, GEMMs)`` array computation
(:func:`.analytical.gemm_cost` broadcasts), so one evaluation costs a fixed number of array
operations whatever the depth of the network. GEMMs are summed into layers, the fold order of
each layer is chosen (the faster one where ``auto``), and layers are summed into the network in
their order (a sequential sum: the same floating-point result as adding layer by layer).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.workload import Workload
from simulators.common.arrays import is_torch, to_numpy
from simulators.common.family import Designs
from simulators.systolic import analytical
from simulators.systolic.analytical import LayerCost
from simulators.systolic.hardware import DATAFLOWS
from simulators.systolic.space import FOLD_ORDERS

HW_NUMERIC = ("rows", "cols", "ifmap_kb", "filter_kb", "ofmap_kb", "dram_bw", "clock_mhz")
#: both fold orders (0 = column folds outer, 1 = row folds outer) on a leading axis, costed in one pass
_ORDERS = np.array([0, 1]).reshape(2, 1, 1)


@dataclass(frozen=True)
class GemmStack:
    """The GEMMs of a workload's MAC layers as arrays (one entry per GEMM), in layer order."""

    m: np.ndarray
    k: np.ndarray
    n: np.ndarray
    repeat: np.ndarray
    layer: np.ndarray           # index of each GEMM's layer
    starts: np.ndarray          # index of each layer's first GEMM
    names: tuple[str, ...]      # layer names
    macs_total: float

    @property
    def macs(self) -> np.ndarray:
        return self.m * self.k * self.n * self.repeat

    def on(self, like: Any) -> GemmStack:
        """The stack as torch tensors on ``like``'s device when ``like`` is one, else itself."""
        if not is_torch(like):
            return self
        import torch

        def t(x: np.ndarray) -> Any:
            return torch.as_tensor(x, device=like.device)

        return GemmStack(t(self.m), t(self.k), t(self.n), t(self.repeat), self.layer, self.starts, self.names,
                         self.macs_total)


_STACKS: weakref.WeakKeyDictionary[Workload, GemmStack] = weakref.WeakKeyDictionary()


def gemm_stack(workload: Workload) -> GemmStack:
    """The workload's :class:`GemmStack` (memoised per workload object)."""
    stack = _STACKS.get(workload)
    if stack is None:
        layers = workload.layers
        gemms = [(g, j) for j, op in enumerate(layers) for g in op.gemms()]
        cols = np.array([(g.m, g.k, g.n, g.repeat, j) for g, j in gemms], dtype=np.int64).reshape(-1, 5)
        starts = np.searchsorted(cols[:, 4], np.arange(len(layers)))
        stack = _STACKS[workload] = GemmStack(cols[:, 0], cols[:, 1], cols[:, 2], cols[:, 3], cols[:, 4], starts,
                                              tuple(op.name for op in layers), float(workload.total_macs))
    return stack


@dataclass
class NetworkCost:
    """Metrics over the designs, and the per-layer costs (arrays ``(designs, layers)``)."""

    metrics: dict[str, Any]
    layers: LayerCost
    dataflow: Any               # codes (designs, layers)
    row_order: Any              # 1 where the layer runs row folds outer


def evaluate(designs: Designs, workload: Workload) -> NetworkCost:
    """The analytical model for every design of ``designs`` on ``workload``."""
    cols = designs.columns
    word_bytes = int(designs.single("word_bytes"))
    tech = str(designs.single("tech"))
    hw = analytical.prepare({k: _integers(designs.column(k))[:, None] for k in HW_NUMERIC}, word_bytes, tech)
    stack = gemm_stack(workload).on(hw["rows"])
    df = _codes(_per_layer(cols, stack.names, "dataflow"), DATAFLOWS, "dataflow")
    order = _codes(_per_layer(cols, stack.names, "fold_order", "auto"), FOLD_ORDERS, "fold_order")
    tile = _integers(_per_layer(cols, stack.names, "tile_folds", 1))
    g_df, g_tile = _to_gemms(df, stack), _to_gemms(tile, stack)
    both = _to_layers(analytical.gemm_cost(stack, hw, g_df, _like(_ORDERS, g_df), word_bytes, tech, g_tile), stack)
    col, row = _order(both, 0), _order(both, 1)
    order = _like(order, row.cycles)
    use_row = (order == 2) | ((order == 0) & (row.cycles < col.cycles))
    layers = analytical.select(use_row, row, col)
    metrics = analytical.summarize([_sum_layers(layers)], hw, word_bytes, tech, stack.macs_total)
    return NetworkCost(metrics, layers, df, use_row * 1)


def layer_rows(cost: NetworkCost, workload: Workload, d: int = 0) -> list[dict[str, Any]]:
    """Design ``d``'s per-layer breakdown (the ``Result.layers`` of one evaluation)."""
    lc = cost.layers
    ops = workload.layers
    stack = gemm_stack(workload)
    macs = np.bincount(stack.layer, weights=stack.macs, minlength=len(ops)).tolist()

    def row(x: Any) -> list[float]:
        return _row_list(x, d, len(ops))

    fields = {k: row(getattr(lc, k)) for k in ("cycles", "compute_cycles", "stall_cycles", "folds", "energy_pj")}
    tiles, dfs, orders = row(lc.tile_folds_used), row(cost.dataflow), row(cost.row_order)
    dram = {k: row(v) for k, v in lc.dram_words.items()}
    sram = {k: row(v) for k, v in lc.sram_words.items()}
    return [{"name": op.name, "dataflow": DATAFLOWS[int(dfs[j])], "fold_order": "row" if orders[j] else "col",
             "tile_folds_used": int(tiles[j]), "cycles": fields["cycles"][j],
             "compute_cycles": fields["compute_cycles"][j], "stall_cycles": fields["stall_cycles"][j],
             "energy_j": fields["energy_pj"][j] * 1e-12, "folds": fields["folds"][j], "macs": macs[j],
             "dram_words": {k: v[j] for k, v in dram.items()}, "sram_words": {k: v[j] for k, v in sram.items()}}
            for j, op in enumerate(ops)]


# -- reductions ------------------------------------------------------------------------------------
def _to_gemms(x: Any, stack: GemmStack) -> Any:
    """A ``(designs or 1, layers or 1)`` knob as ``(designs or 1, GEMMs or 1)``."""
    if x.shape[-1] == 1:
        return x
    idx: Any = stack.layer
    if is_torch(x):
        import torch

        idx = torch.as_tensor(idx, device=x.device)
    return x[:, idx]


def _to_layers(g: LayerCost, stack: GemmStack) -> LayerCost:
    """GEMM columns summed into layer columns (GEMMs of a layer added in order)."""
    if len(stack.starts) == len(stack.layer):
        return g

    def seg(x: Any, op: Any = np.add) -> Any:
        if is_torch(x):
            import torch

            red = torch.maximum if op is np.maximum else torch.add
            parts = []
            for s, e in zip(stack.starts, [*stack.starts[1:], len(stack.layer)]):
                acc = x[..., s]
                for i in range(s + 1, e):
                    acc = red(acc, x[..., i])
                parts.append(acc)
            return torch.stack(parts, dim=-1)
        return op.reduceat(np.asarray(x, dtype=float) if op is np.add else x, stack.starts, axis=-1)

    return LayerCost(seg(g.cycles), seg(g.compute_cycles), seg(g.stall_cycles), seg(g.macs), seg(g.used_pe_cycles),
                     seg(g.folds), {k: seg(v) for k, v in g.sram_words.items()},
                     {k: seg(v) for k, v in g.dram_words.items()}, seg(g.energy_pj),
                     seg(g.tile_folds_used, np.maximum))


def _order(lc: LayerCost, o: int) -> LayerCost:
    """Fold order ``o``'s slice of a cost computed for both orders (order-free fields are 2-D)."""
    def pick(x: Any) -> Any:
        return x[o] if getattr(x, "ndim", 0) == 3 else x

    return LayerCost(pick(lc.cycles), pick(lc.compute_cycles), pick(lc.stall_cycles), lc.macs,
                     pick(lc.used_pe_cycles), pick(lc.folds), {k: pick(v) for k, v in lc.sram_words.items()},
                     {k: pick(v) for k, v in lc.dram_words.items()}, pick(lc.energy_pj), pick(lc.tile_folds_used))


def _sum_layers(lc: LayerCost) -> LayerCost:
    """The network total of per-layer columns, added layer after layer (a cumulative sum's last entry)."""
    def total(x: Any) -> Any:
        if is_torch(x):
            return x.cumsum(dim=-1)[..., -1:]
        return np.cumsum(x, axis=-1)[..., -1:]

    def peak(x: Any) -> Any:
        return x.amax(dim=-1, keepdim=True) if is_torch(x) else np.max(x, axis=-1, keepdims=True)

    return LayerCost(total(lc.cycles), total(lc.compute_cycles), total(lc.stall_cycles), 0.0,
                     total(lc.used_pe_cycles), total(lc.folds), {k: total(v) for k, v in lc.sram_words.items()},
                     {k: total(v) for k, v in lc.dram_words.items()}, total(lc.energy_pj), peak(lc.tile_folds_used))


# -- design columns ----------------------------------------------------------------------------------
def _per_layer(cols: Mapping[str, Any], layers: tuple[str, ...], key: str, default: Any = None) -> Any:
    """``(designs or 1, layers)`` values of a per-layer knob: ``LAYER.key`` columns, else the shared
    ``key`` column (one column broadcast over layers), else ``default``."""
    own = [cols.get(f"{name}.{key}") for name in layers]
    shared = cols.get(key)
    if all(c is None for c in own):
        if shared is not None:
            return shared[:, None]
        if default is None:
            raise ConfigError(f"systolic design: missing parameter {key!r} (or LAYER.{key})")
        return np.array([[default]], dtype=object if isinstance(default, str) else None)
    missing = [name for name, c in zip(layers, own) if c is None]
    if missing and shared is None and default is None:
        raise ConfigError(f"systolic design: missing parameter {key!r} (or {missing[0]}.{key})")
    fill = shared if shared is not None else np.array([default], dtype=object if isinstance(default, str) else None)
    parts = [fill if c is None else c for c in own]
    if any(is_torch(p) for p in parts):
        import torch

        n = max(len(p) for p in parts)
        return torch.stack([torch.as_tensor(p).expand(n) for p in parts], dim=-1)
    n = max(len(p) for p in parts)
    return np.stack([np.broadcast_to(p, (n,)) for p in parts], axis=-1)


def _like(x: Any, ref: Any) -> Any:
    """``x`` as a torch tensor on ``ref``'s device when ``ref`` is one."""
    if is_torch(ref) and not is_torch(x):
        import torch

        return torch.as_tensor(x, device=ref.device)
    return x


def _integers(v: Any) -> Any:
    """A column as int64 (numpy) or long (torch)."""
    if is_torch(v):
        return v.long()
    return np.asarray(v).astype(np.int64)


def _codes(col: Any, choices: tuple[str, ...], key: str) -> Any:
    """Categorical values → integer codes (index into ``choices``); integer values pass through."""
    if is_torch(col):
        return col.long()
    arr = np.asarray(col)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    out = np.full(arr.shape, -1, dtype=np.int64)
    for i, c in enumerate(choices):
        out[arr == c] = i
    if (out < 0).any():
        raise ConfigError.bad_value(key, arr[out < 0].reshape(-1)[0], choices)
    return out


def _row_list(x: Any, d: int, n_layers: int) -> list[Any]:
    """Row ``d`` of a ``(designs or 1, layers or 1)`` array as a Python list (scalars broadcast)."""
    arr = to_numpy(x)
    if arr.ndim == 2:
        arr = arr[d if arr.shape[0] > 1 else 0]
    values = arr.reshape(-1).tolist()
    return values if len(values) == n_layers else values * n_layers
