"""The analytical systolic model of a whole network, vectorised over designs × GEMMs.

Every GEMM of every MAC layer is one column of a ``(designs, GEMMs)`` array computation
(:func:`.analytical.gemm_cost` broadcasts), so one evaluation costs a fixed number of array
operations whatever the depth of the network. GEMMs are summed into layers, the fold order of
each layer is chosen (the faster one where ``auto``), and layers are summed into the network in
their order (a sequential sum: the same floating-point result as adding layer by layer).

Two implementations share the set-up (hardware columns, mapping codes, GEMM stack: :func:`_inputs`):
the array path (:func:`_array_cost`, numpy or torch: GPU and gradient search) and, for numpy designs,
the compiled CPU kernel :mod:`.analytical_kernel` (:func:`_kernel_cost`), bit-identical to it
(``tests/test_systolic_kernel.py``) and cheaper for one design and for batches alike.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.workload import Workload
from simulators.common.arrays import (
    broadcast_stack,
    is_torch,
    sequential_sum,
    stack,
    to_float,
    to_numpy,
    where,
)
from simulators.common.family import Designs, ModelOutput
from simulators.common.memo import remember
from simulators.common.technology import get_tech
from simulators.systolic import analytical, analytical_kernel
from simulators.systolic.analytical import LayerCost
from simulators.systolic.hardware import DATAFLOWS, area_mm2, pe_array_mm2, sram_area_mm2
from simulators.systolic.space import FOLD_ORDERS

HW_NUMERIC = analytical_kernel.HW_ROWS    # rows, cols, ifmap_kb, filter_kb, ofmap_kb, dram_bw, clock_mhz
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
    layer_macs: tuple[float, ...]         # MACs of each layer (the per-layer rows of one evaluation)
    columns: np.ndarray                   # (5, GEMMs) int64: m, k, n, repeat, layer (m … layer are its rows)

    @property
    def macs(self) -> np.ndarray:
        return self.m * self.k * self.n * self.repeat

    @functools.cached_property
    def layer_keys(self) -> frozenset[str]:
        """Every per-layer mapping column name ``LAYER.key`` of the workload's layers."""
        return frozenset(name for key, _ in _KNOBS for name in _layer_keys(self.names, key))

    def on(self, like: Any) -> GemmStack:
        """The stack as torch tensors on ``like``'s device when ``like`` is one, else itself."""
        if not is_torch(like):
            return self
        import torch

        def t(x: np.ndarray) -> Any:
            return torch.as_tensor(x, device=like.device)

        return dataclasses.replace(self, m=t(self.m), k=t(self.k), n=t(self.n), repeat=t(self.repeat))


_STACKS: weakref.WeakKeyDictionary[Workload, GemmStack] = weakref.WeakKeyDictionary()
#: the last workload asked for (a weak reference) and its stack: one evaluation after another on the same
#: workload skips the weak dictionary's look-up
_last: tuple[weakref.ref[Workload], GemmStack] | None = None


def gemm_stack(workload: Workload) -> GemmStack:
    """The workload's :class:`GemmStack` (memoised per workload object)."""
    global _last
    last = _last
    if last is not None and last[0]() is workload:
        return last[1]
    stack = _STACKS.get(workload)
    if stack is None:
        layers = workload.layers
        gemms = [(g, j) for j, op in enumerate(layers) for g in op.gemms()]
        cols = np.array([(g.m, g.k, g.n, g.repeat, j) for g, j in gemms], dtype=np.int64).reshape(-1, 5).T.copy()
        m, k, n, repeat, layer = cols
        starts = np.searchsorted(layer, np.arange(len(layers)))
        macs = np.bincount(layer, weights=m * k * n * repeat, minlength=len(layers))
        stack = _STACKS[workload] = GemmStack(m, k, n, repeat, layer, starts, tuple(op.name for op in layers),
                                              float(workload.total_macs), tuple(macs.tolist()), cols)
    _last = (weakref.ref(workload), stack)
    return stack


@dataclass
class NetworkCost:
    """Metrics over the designs, and the per-layer costs (arrays ``(designs, layers)``)."""

    metrics: dict[str, Any]
    packed: Any                 # the additive per-layer fields, (fields, designs, layers) (see :func:`_pack`)
    tile_folds_used: Any        # (designs, layers)
    dataflow: Any               # codes (designs, layers)
    row_order: Any              # 1 where the layer runs row folds outer

    @property
    def layers(self) -> LayerCost:
        """The per-layer costs (arrays ``(designs, layers)``)."""
        return _unpack(self.packed, self.tile_folds_used)


@dataclass(frozen=True)
class _Inputs:
    """What both implementations of the model read: the hardware columns as one integer block
    ``(HW_NUMERIC, designs, 1)``, the constants, the GEMM stack and the mapping codes ``(designs or 1,
    layers or 1)``."""

    hw: Any
    word_bytes: int
    tech: str
    stack: GemmStack
    dataflow: Any
    fold_order: Any
    tile: Any


def model(designs: Designs, workload: Workload) -> ModelOutput:
    """The metrics of every design of ``designs`` on ``workload`` and design 0's per-layer rows (built when
    read): :func:`_one` for one design of plain values, else :func:`evaluate`."""
    one = designs.one
    found = _one(one, workload) if one is not None else None
    if found is not None:
        return found
    cost = evaluate(designs, workload)
    return ModelOutput(cost.metrics, {}, lambda: layer_rows(cost, workload))


def evaluate(designs: Designs, workload: Workload) -> NetworkCost:
    """The analytical model for every design of ``designs`` on ``workload``: the compiled kernel on numpy
    designs, the array path on torch tensors (and on a workload without MAC layers)."""
    x = _inputs(designs, workload)
    if len(x.stack.names) == 0 or any(is_torch(v) for v in (x.hw, x.dataflow, x.fold_order, x.tile)):
        return _array_cost(x)
    return _kernel_cost(x)


def _inputs(designs: Designs, workload: Workload) -> _Inputs:
    word_bytes = int(designs.single("word_bytes"))
    tech = str(designs.single("tech"))
    hw = _hardware(designs)
    stack = gemm_stack(workload).on(hw)
    return _Inputs(hw, word_bytes, tech, stack, *mapping_codes(designs.columns, stack.names))


def _array_cost(x: _Inputs) -> NetworkCost:
    """The model as array operations over designs × GEMMs (numpy or torch)."""
    stack, word_bytes, tech, df = x.stack, x.word_bytes, x.tech, x.dataflow
    hw = analytical.prepare(dict(zip(HW_NUMERIC, x.hw)), word_bytes, tech)
    g_df, g_tile = _to_gemms(df, stack), _to_gemms(x.tile, stack)
    g = analytical.gemm_cost(stack, hw, g_df, _like(_ORDERS, g_df), word_bytes, tech, g_tile)
    both = _to_layers(_pack(g), stack, np.add)                       # (fields, orders, designs, layers)
    tiles = _to_layers(_broadcast(g.tile_folds_used, both.shape[1:-1] + g.cycles.shape[-1:]), stack, np.maximum)
    order = _like(x.fold_order, both)
    use_row = (order == 2) | ((order == 0) & (both[0, 1] < both[0, 0]))   # field 0: cycles
    chosen, tile_used = where(use_row, both[:, 1], both[:, 0]), where(use_row, tiles[1], tiles[0])
    total = _unpack(sequential_sum(chosen)[..., None], _peak(tile_used))   # layers added one after another
    metrics = analytical.summarize(total, hw, word_bytes, tech, stack.macs_total)
    return NetworkCost(metrics, chosen, tile_used, df, use_row * 1)


def _kernel_cost(x: _Inputs) -> NetworkCost:
    """The model by :mod:`.analytical_kernel` (numpy inputs), bit-identical to :func:`_array_cost`: the
    per-design floats it needs (SRAM energy per word as :func:`.analytical.prepare`, area as
    :func:`.analytical.summarize`) from the same numpy calls on the same values."""
    wb, tech = x.word_bytes, x.tech
    ints = x.hw.reshape(len(HW_NUMERIC), -1)
    floats = to_float(ints[:5])
    tn = get_tech(tech)
    e_sram = wb * tn.sram_pj_per_byte(floats[2:])
    area = area_mm2(floats[0], floats[1], floats[2], floats[3], floats[4], wb, tech)
    df, order, tile = (np.ascontiguousarray(v) for v in (x.dataflow, x.fold_order, x.tile))
    node = _node(tech, wb)
    metrics, packed, tiles, row = analytical_kernel.network(
        ints, e_sram, area, x.stack.columns, x.stack.starts, df, order, tile, wb, node.mac_reg_pj, node.dram_pj,
        x.stack.macs_total)
    return NetworkCost(dict(zip(analytical_kernel.METRICS, metrics[:, :, None])), packed, tiles, x.dataflow, row)


def _one(design: Mapping[str, Any], workload: Workload) -> ModelOutput | None:
    """One design of plain values (see :func:`_one_inputs`): its metrics as Python floats by
    :func:`.analytical_kernel.compiled_one_metrics` and its per-layer rows, built when read from
    :func:`_one_cost` of the same inputs; ``None`` when :func:`_one_inputs` is."""
    x = _one_inputs(design, workload)
    if x is None:
        return None
    metrics = analytical_kernel.compiled_one_metrics()(*x)
    return ModelOutput(dict(zip(analytical_kernel.METRICS, metrics)), {}, lambda: layer_rows(_one_cost(x), workload))


def _one_cost(x: tuple[Any, ...]) -> NetworkCost:
    """The :class:`NetworkCost` of one design's :func:`_one_inputs` (:func:`.analytical_kernel.network_one`)."""
    metrics, packed, tiles, row = analytical_kernel.network_one(x)
    return NetworkCost(dict(zip(analytical_kernel.METRICS, metrics.tolist())), packed, tiles, x[12][:1], row)


def _one_inputs(design: Mapping[str, Any], workload: Workload) -> tuple[Any, ...] | None:
    """The arguments of :func:`.analytical_kernel.network_one` (its ``ONE_ARGS`` types) for one design of plain
    values (``int`` hardware and tile folds in the ``int64`` range, ``str`` technology and mapping choices):
    what :func:`_kernel_cost` computes for a batch of one (per-design constants from :class:`_Node`; the
    area as :func:`.hardware.area_mm2` on Python floats, the same IEEE operations in the same order).
    ``None`` for anything else (other types, values out of range or not allowed): the general path reads
    those and raises its errors."""
    try:
        rows, cols, ifmap_kb, filter_kb, ofmap_kb, bw, clock, wb, tech = _HW_VALUES(design)
    except KeyError:
        return None
    if not (type(rows) is int and type(cols) is int and type(ifmap_kb) is int and type(filter_kb) is int
            and type(ofmap_kb) is int and type(bw) is int and type(clock) is int and type(wb) is int
            and type(tech) is str and _I64_MIN <= rows <= _I64_MAX and _I64_MIN <= cols <= _I64_MAX
            and _I64_MIN <= ifmap_kb <= _I64_MAX and _I64_MIN <= filter_kb <= _I64_MAX
            and _I64_MIN <= ofmap_kb <= _I64_MAX and _I64_MIN <= bw <= _I64_MAX and _I64_MIN <= clock <= _I64_MAX
            and _I64_MIN <= wb <= _I64_MAX):
        return None
    stack = gemm_stack(workload)
    codes = _codes_one(design, stack) if stack.names else None
    if codes is None:
        return None
    node = _NODES.get((tech, wb)) or _node(tech, wb)        # the hit, without a call
    word_pj = node.word_pj                  # a miss (None) is computed; so is a 0.0 hit, to the same 0.0
    e_i = word_pj.get(ifmap_kb) or node.sram_word_pj(ifmap_kb)
    e_f = word_pj.get(filter_kb) or node.sram_word_pj(filter_kb)
    e_o = word_pj.get(ofmap_kb) or node.sram_word_pj(ofmap_kb)
    area = pe_array_mm2(float(rows), float(cols), node.pe_um2) + sram_area_mm2(
        float(ifmap_kb), float(filter_kb), float(ofmap_kb), tech)
    return (rows, cols, ifmap_kb, filter_kb, bw, clock, e_i, e_f, e_o, area, stack.columns, stack.starts, codes, wb,
            node.mac_reg_pj, node.dram_pj, stack.macs_total)


#: a design's hardware values and constants, in :func:`_one_inputs`' order (one C call)
_HW_VALUES = operator.itemgetter("rows", "cols", "ifmap_kb", "filter_kb", "ofmap_kb", "dram_bw", "clock_mhz",
                                 "word_bytes", "tech")
#: bound of the memoised mapping codes (:func:`_codes_one`)
CODES_MEMO = 1024
#: bound of the memoised (technology, word bytes) constants (:class:`_Node`), and of each one's SRAM sizes
NODES_MEMO = 64
SIZES_MEMO = 1024


class _Node:
    """The per-design constants of :func:`_kernel_cost` that one (technology, word bytes) pair fixes, as
    floats: MAC + register energy per MAC and DRAM energy per byte (pJ), the area of one PE (µm²,
    :func:`.hardware.array_area_mm2`'s), and SRAM energy per word by size (pJ, memoised in ``word_pj``)."""

    __slots__ = ("dram_pj", "mac_reg_pj", "pe_um2", "tn", "wb", "word_pj")

    def __init__(self, tech: str, wb: int) -> None:
        tn = get_tech(tech)
        self.tn, self.wb = tn, wb
        self.mac_reg_pj: float = tn.mac_pj(wb) + analytical.REG_ACCESSES_PER_MAC * tn.reg_pj(wb)
        self.dram_pj = float(tn.dram_pj_per_byte)
        self.pe_um2 = tn.pe_um2(wb)
        self.word_pj: dict[int, float] = {}

    def sram_word_pj(self, kb: int) -> float:
        """SRAM energy per word of ``kb`` KB (:meth:`~simulators.common.technology.TechNode.sram_pj_per_byte_one`:
        the numpy calls of the batch on one value), memoised."""
        return remember(self.word_pj, kb, lambda: self.wb * self.tn.sram_pj_per_byte_one(kb), SIZES_MEMO)


#: (technology, word bytes) → its :class:`_Node`
_NODES: dict[tuple[str, int], _Node] = {}


def _node(tech: str, wb: int) -> _Node:
    """The :class:`_Node` of (``tech``, ``wb``), memoised (bounded by :data:`NODES_MEMO`)."""
    return remember(_NODES, (tech, wb), lambda: _Node(tech, wb), NODES_MEMO)


def layer_rows(cost: NetworkCost, workload: Workload, d: int = 0) -> list[dict[str, Any]]:
    """Design ``d``'s per-layer breakdown (the ``Result.layers`` of one evaluation)."""
    ops = workload.layers
    n_layers = len(ops)
    packed = to_numpy(cost.packed)
    fields = dict(zip(_PACKED, packed[:, d if packed.shape[1] > 1 else 0].tolist()))
    macs = gemm_stack(workload).layer_macs
    tiles, dfs, orders = (_row_list(x, d, n_layers) for x in (cost.tile_folds_used, cost.dataflow, cost.row_order))
    columns = zip(ops, dfs, orders, tiles, *(fields[k] for k in _ROW_FIELDS), macs)
    return [{"name": op.name, "dataflow": DATAFLOWS[int(df)], "fold_order": "row" if order else "col",
             "tile_folds_used": int(tile), "cycles": cycles, "compute_cycles": compute, "stall_cycles": stall,
             "energy_j": energy * 1e-12, "folds": folds, "macs": mac,
             "dram_words": {"ifmap": dram_i, "filter": dram_f, "ofmap": dram_o},
             "sram_words": {"ifmap": sram_i, "filter": sram_f, "ofmap": sram_o}}
            for (op, df, order, tile, cycles, compute, stall, energy, folds, dram_i, dram_f, dram_o, sram_i, sram_f,
                 sram_o, mac) in columns]


# -- packed fields and reductions ---------------------------------------------------------------------
#: the additive per-GEMM fields of :class:`.analytical.LayerCost`, packed on a leading axis
_FIELDS = ("cycles", "compute_cycles", "stall_cycles", "used_pe_cycles", "folds", "energy_pj")
_BUFFERS = analytical.BUFFERS
#: the packed rows read by :func:`layer_rows`, in the order it unpacks them
_ROW_FIELDS = ("cycles", "compute_cycles", "stall_cycles", "energy_pj", "folds", "dram_ifmap", "dram_filter",
               "dram_ofmap", "sram_ifmap", "sram_filter", "sram_ofmap")
#: the names of :func:`_pack`'s rows
_PACKED = (*_FIELDS, *(f"sram_{b}" for b in _BUFFERS), *(f"dram_{b}" for b in _BUFFERS))


def _pack(lc: LayerCost) -> Any:
    """The additive fields of a cost as one array ``(fields, *shape)`` (sram words, then dram words last)."""
    xs = [getattr(lc, f) for f in _FIELDS] + [lc.sram_words[b] for b in _BUFFERS] + [lc.dram_words[b] for b in _BUFFERS]
    if any(is_torch(x) for x in xs):
        import torch

        ref = next(x for x in xs if is_torch(x))
        return torch.stack(torch.broadcast_tensors(*(torch.as_tensor(x, device=ref.device) for x in xs)))
    return broadcast_stack(xs)     # every field is float64 (see analytical.gemm_cost)


def _unpack(packed: Any, tile: Any) -> LayerCost:
    f = dict(zip(_FIELDS, packed))
    n = len(_FIELDS)
    return LayerCost(f["cycles"], f["compute_cycles"], f["stall_cycles"], 0.0, f["used_pe_cycles"], f["folds"],
                     dict(zip(_BUFFERS, packed[n:n + 3])), dict(zip(_BUFFERS, packed[n + 3:])), f["energy_pj"],
                     tile)


def _broadcast(x: Any, shape: tuple[int, ...]) -> Any:
    return x.expand(shape) if is_torch(x) else np.broadcast_to(x, shape)


def _peak(x: Any) -> Any:
    """Maximum over layers, keeping the axis."""
    return x.amax(dim=-1, keepdim=True) if is_torch(x) else x.max(axis=-1, keepdims=True)


def _to_gemms(x: Any, stack: GemmStack) -> Any:
    """A ``(designs or 1, layers or 1)`` knob as ``(designs or 1, GEMMs or 1)``."""
    if x.shape[-1] == 1:
        return x
    idx: Any = stack.layer
    if is_torch(x):
        import torch

        idx = torch.as_tensor(idx, device=x.device)
    return x[:, idx]


def _to_layers(x: Any, stack: GemmStack, op: Any) -> Any:
    """GEMM columns (last axis) reduced into layer columns with ``op`` (np.add / np.maximum), GEMMs of a
    layer taken in order."""
    if len(stack.starts) == len(stack.layer):
        return x
    if not is_torch(x):
        return op.reduceat(x, stack.starts, axis=-1)
    import torch

    red = torch.maximum if op is np.maximum else torch.add
    parts = []
    for s, e in zip(stack.starts, [*stack.starts[1:], len(stack.layer)]):
        acc = x[..., s]
        for i in range(s + 1, e):
            acc = red(acc, x[..., i])
        parts.append(acc)
    return torch.stack(parts, dim=-1)


# -- design columns ----------------------------------------------------------------------------------
def mapping_codes(cols: Mapping[str, Any], layers: tuple[str, ...]) -> tuple[Any, Any, Any]:
    """The mapping knobs as ``(designs or 1, layers)`` arrays: dataflow and fold-order codes (indices
    into ``DATAFLOWS`` / ``FOLD_ORDERS``) and tile folds (``LAYER.key`` columns, else the shared one)."""
    return (_codes(_per_layer(cols, layers, "dataflow"), DATAFLOWS, "dataflow"),
            _codes(_per_layer(cols, layers, "fold_order", "auto"), FOLD_ORDERS, "fold_order"),
            _integers(_per_layer(cols, layers, "tile_folds", 1)))


def _codes_one(design: Mapping[str, Any], stack: GemmStack) -> np.ndarray | None:
    """One design's mapping codes as ``(3, 1 or layers)`` int64 (dataflow, fold order, tile folds: the
    values of :func:`mapping_codes`, broadcast to one width), or ``None`` when a knob is missing or takes
    a value other than an allowed name (dataflow, fold order) or an ``int64`` (tile folds)."""
    if design.keys().isdisjoint(stack.layer_keys):        # no LAYER.key: the shared knobs or defaults
        get = design.get
        key: Any = (get("dataflow"), get("fold_order", "auto"), get("tile_folds", 1))
        df, order, tile = key
        if not (type(df) is str and type(order) is str and type(tile) is int):
            return None
        codes = _SHARED_CODES.get(key)      # the hit, without building remember's closure
        if codes is not None:
            return codes
        df_code, order_code = _lookup(DATAFLOWS), _lookup(FOLD_ORDERS)
        if df in df_code and order in order_code and tile in _INT64:
            return remember(_SHARED_CODES, key, lambda: _frozen([[df_code[df]], [order_code[order]], [tile]]),
                            CODES_MEMO)
        return None
    df_code, order_code = _lookup(DATAFLOWS), _lookup(FOLD_ORDERS)
    dataflow, orders, tiles = ([design.get(name, design.get(key, default)) for name in _layer_keys(stack.names, key)]
                               for key, default in _KNOBS)
    if not (all(type(v) is str and v in df_code for v in dataflow)
            and all(type(v) is str and v in order_code for v in orders)
            and all(type(v) is int and v in _INT64 for v in tiles)):
        return None
    return _frozen([[df_code[v] for v in dataflow], [order_code[v] for v in orders], tiles])


#: the shared knobs' values (dataflow, fold order, tile folds) → their read-only ``(3, 1)`` codes
_SHARED_CODES: dict[tuple[str, str, int], np.ndarray] = {}


def _frozen(rows: list[list[int]]) -> np.ndarray:
    """Mapping codes as a read-only int64 array (memoised ones are shared by every design that has them)."""
    codes = np.array(rows, dtype=np.int64)
    codes.flags.writeable = False
    return codes


#: the mapping knobs of :func:`mapping_codes` and their defaults (``None``: required)
_KNOBS = (("dataflow", None), ("fold_order", "auto"), ("tile_folds", 1))
#: the values an ``int64`` holds (a Python ``int`` outside it takes the general path and its error)
_INT64 = range(-(1 << 63), 1 << 63)
_I64_MIN, _I64_MAX = _INT64.start, _INT64.stop - 1


def _per_layer(cols: Mapping[str, Any], layers: tuple[str, ...], key: str, default: Any = None) -> Any:
    """``(designs or 1, layers)`` values of a per-layer knob: ``LAYER.key`` columns, else the shared
    ``key`` column (one column broadcast over layers), else ``default``."""
    names = _layer_keys(layers, key)
    own = [cols.get(name) for name in names] if not cols.keys().isdisjoint(names) else None
    shared = cols.get(key)
    if own is None:
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


@functools.lru_cache(maxsize=64)
def _layer_keys(layers: tuple[str, ...], key: str) -> tuple[str, ...]:
    """The per-layer column names ``LAYER.key`` of a workload's layers."""
    return tuple(f"{name}.{key}" for name in layers)


def _like(x: Any, ref: Any) -> Any:
    """``x`` as a torch tensor on ``ref``'s device when ``ref`` is one."""
    if is_torch(ref) and not is_torch(x):
        import torch

        return torch.as_tensor(x, device=ref.device)
    return x


def _hardware(designs: Designs) -> Any:
    """The hardware columns as one integer block ``(HW_NUMERIC, designs, 1)`` (one conversion for numpy)."""
    cols = designs.columns
    raw = [cols[k] if k in cols else designs.column(k) for k in HW_NUMERIC]   # column(k) names a missing one
    block = stack([_integers(c) for c in raw]) if any(is_torch(c) for c in raw) else _integers(np.array(raw))
    return block[:, :, None]


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
    flat = arr.reshape(-1)
    if flat.size <= 64:             # few designs: a dictionary lookup per value
        lookup = _lookup(choices)
        values = [lookup.get(v, -1) for v in flat.tolist()]
        if -1 in values:
            raise ConfigError.bad_value(key, flat[values.index(-1)], choices)
        return np.array(values, dtype=np.int64).reshape(arr.shape)
    codes = np.full(flat.shape, -1, dtype=np.int64)   # many: one element-wise comparison per choice (no sort)
    for i, c in enumerate(choices):
        codes[flat == c] = i
    if (codes < 0).any():
        raise ConfigError.bad_value(key, flat[codes < 0][0], choices)
    return codes.reshape(arr.shape)


@functools.lru_cache(maxsize=16)
def _lookup(choices: tuple[str, ...]) -> dict[str, int]:
    """Value → code of a categorical knob's choices."""
    return {c: i for i, c in enumerate(choices)}


def _row_list(x: Any, d: int, n_layers: int) -> list[Any]:
    """Row ``d`` of a ``(designs or 1, layers or 1)`` array as a Python list (scalars broadcast)."""
    arr = to_numpy(x)
    if arr.ndim == 2:
        arr = arr[d if arr.shape[0] > 1 else 0]
    values = arr.reshape(-1).tolist()
    return values if len(values) == n_layers else values * n_layers
