"""Lower a :class:`~archgym.workload.Workload` to the RDU kernel graph (DFModel's formulation).

Each operator becomes one kernel of shape ``(outer, M, K)`` streamed over ``rows`` (the tiled
dimension: tokens or output pixels):

* ``systolic`` kernels (conv2d, gemm, gemv, attention) do ``outer·M·K`` MACs per row; on one
  PCU a row-tile of ``r`` rows takes ``outer·⌈M/V⌉·⌈r/S⌉·K`` cycles (``kernel_level.py``);
* ``simd`` kernels (element-wise) do ``ops`` operations on ``M`` elements per row; a PCU takes
  ``⌈M/V⌉·r·⌈ops/S⌉`` cycles (the S stages chain up to S operations per element).

All sizes are element counts; bytes come from the hardware's datatype width.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numba import njit

from archgym.workload import Op, Workload

SYSTOLIC, SIMD = 0, 1


@dataclass
class KernelGraph:
    """Arrays over kernels (topological order) and edges, plus a per-graph memo for mappers."""

    names: list[str]
    kind: np.ndarray        # SYSTOLIC or SIMD
    outer: np.ndarray       # independent repetitions (groups, heads)
    m: np.ndarray           # output features (lanes dimension) per row
    k: np.ndarray           # reduction length (systolic) / operations per element (simd)
    rows: np.ndarray        # tiled dimension
    flops: np.ndarray       # operations of the whole kernel
    weight_elems: np.ndarray  # stationary operand read from memory (weights, KV cache)
    out_elems: np.ndarray   # output tensor
    src_in_elems: np.ndarray  # graph inputs read from memory (kernels without predecessors)
    is_sink: np.ndarray     # output leaves the graph
    allreduce: np.ndarray   # output needs an all-reduce under tensor parallelism
    edge_src: np.ndarray
    edge_dst: np.ndarray
    memo: dict[Any, Any] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.names)

    @property
    def total_flops(self) -> float:
        return float(self.flops.sum())


def edges_sorted(kg: KernelGraph) -> tuple[np.ndarray, np.ndarray]:
    """The ``(E, 2)`` edges (producer, consumer) stably sorted by consumer, and by producer descending:
    the orders the chain bounds walk them in (:func:`.cycle.chains`, :class:`.section_table.SectionTable`;
    memoised in ``kg.memo``)."""
    if (key := "edges sorted") not in kg.memo:
        edges = np.stack([kg.edge_src, kg.edge_dst], axis=1).astype(np.int64).reshape(-1, 2)
        kg.memo[key] = edges[np.argsort(edges[:, 1], kind="stable")], edges[np.argsort(-edges[:, 0], kind="stable")]
    return kg.memo[key]


def _shape(op: Op, rows_hint: int) -> tuple[int, int, int, int, int]:
    """(kind, outer, M, K, rows) of one operator."""
    d = op.dims
    if op.kind == "attention":
        # QKᵀ then PV per head: per query row H·(Lkv·D + D·Lkv) MACs = outer H, M Lkv, K 2D.
        return SYSTOLIC, d["H"], d["Lkv"], 2 * d["D"], d["B"] * d["Lq"]
    if op.kind == "eltwise":
        rows = rows_hint if rows_hint >= 1 and d["E"] % rows_hint == 0 else 1
        return SIMD, 1, d["E"] // rows, d["ops"], rows
    g = op.gemms()[0]
    return SYSTOLIC, g.repeat, g.n, g.k, g.m


def lower(workload: Workload) -> KernelGraph:
    """The kernel graph of ``workload`` (pure; cache it per workload object)."""
    ops = workload.ops
    index = {op.name: i for i, op in enumerate(ops)}
    g = workload.graph
    preds = [[index[p] for p in g.predecessors(op.name)] for op in ops]
    succs = [[index[s] for s in g.successors(op.name)] for op in ops]
    rows: list[int] = [0] * len(ops)
    shapes: list[tuple[int, int, int, int, int]] = [(0, 0, 0, 0, 0)] * len(ops)
    for i, op in enumerate(ops):  # MAC kernels first: their rows are intrinsic
        if op.kind != "eltwise":
            shapes[i] = _shape(op, 0)
            rows[i] = shapes[i][4]
    for i, op in enumerate(ops):  # element-wise kernels take their rows from a neighbour
        if op.kind == "eltwise":
            hint = next((rows[p] for p in preds[i] if rows[p]), 0) or _next_rows(i, succs, rows)
            shapes[i] = _shape(op, hint)
            rows[i] = shapes[i][4]
    kind, outer, m, k, rws = (np.array(col, dtype=np.int64) for col in zip(*shapes))
    systolic_seen = np.cumsum(kind == SYSTOLIC)
    # Megatron pairing: column-parallel then row-parallel GEMM; the second needs an all-reduce.
    allreduce = (kind == SYSTOLIC) & (systolic_seen % 2 == 0)
    edges = [(index[a], index[b]) for a, b in g.edges]
    return KernelGraph(
        names=[op.name for op in ops], kind=kind, outer=outer, m=m, k=k, rows=rws,
        flops=np.array([op.flops for op in ops], dtype=float),
        weight_elems=np.array([op.weight_elems for op in ops], dtype=float),
        out_elems=np.array([op.output_elems for op in ops], dtype=float),
        src_in_elems=np.array([0.0 if preds[i] else float(op.input_elems) for i, op in enumerate(ops)]),
        is_sink=np.array([not s for s in succs], dtype=bool),
        allreduce=allreduce,
        edge_src=np.array([e[0] for e in edges], dtype=np.int64),
        edge_dst=np.array([e[1] for e in edges], dtype=np.int64))


def _next_rows(i: int, succs: list[list[int]], rows: list[int]) -> int:
    """Rows of the first MAC kernel reachable downstream of ``i`` (0 if none)."""
    frontier, seen = list(succs[i]), set()
    while frontier:
        j = frontier.pop(0)
        if j in seen:
            continue
        seen.add(j)
        if rows[j]:
            return rows[j]
        frontier.extend(succs[j])
    return 0


def units_and_unit_cycles(kg: KernelGraph, rows_per_step: np.ndarray, tp: np.ndarray | int,
                          lanes: np.ndarray | int, stages: np.ndarray | int,
                          kernels: np.ndarray | slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
    """Work of one step split into equal units: ``(units, cycles per unit)`` per kernel
    (:func:`unit_work`, compiled, element by element).

    With ``P`` PCUs a step takes ``⌈units/P⌉·cycles_per_unit`` cycles — the best split of
    DFModel's ``lane_par × stage_par`` for that ``P``. Arrays broadcast over designs; the last axis
    runs over the kernels ``kernels`` (all of them by default; an index array picks any).
    """
    cols = [np.asarray(a, dtype=np.int64) for a in (kg.kind[kernels], kg.outer[kernels], kg.m[kernels],
                                                     kg.k[kernels], rows_per_step, tp, lanes, stages)]
    shape = np.broadcast_shapes(*(c.shape for c in cols))
    kind, outer, m, k, rows, t, la, st = (np.atleast_2d(np.broadcast_to(c, shape)) for c in cols)   # views
    out = np.empty((2, *shape), dtype=np.int64)
    _work(kind, outer, m, k, rows, t, la, st, out.reshape(2, *kind.shape))
    return out[0], out[1]


@njit(cache=True)
def _work(kind: np.ndarray, outer: np.ndarray, m: np.ndarray, k: np.ndarray, rows: np.ndarray, tp: np.ndarray,
          lanes: np.ndarray, stages: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """:func:`units_and_unit_cycles` of 2-D (broadcast) arrays into ``out`` (units, cycles per unit)."""
    for r in range(kind.shape[0]):
        for i in range(kind.shape[1]):
            out[0, r, i], out[1, r, i] = unit_work(kind[r, i], outer[r, i], m[r, i], k[r, i], rows[r, i], tp[r, i],
                                                   lanes[r, i], stages[r, i])


@njit(cache=True, inline="always")
def unit_work(kind: int, outer: int, m: int, k: int, rows: int, tp: int, lanes: int,
              stages: int) -> tuple[int, int]:  # pragma: no cover - compiled
    """``(units, cycles per unit)`` of one kernel: ``⌈⌈m/tp⌉/lanes⌉`` lane groups (``m/tp`` a float
    division, as numpy's), times ``outer·⌈rows/stages⌉`` for a systolic kernel (``k`` cycles a
    unit) or ``rows`` for a SIMD one (``⌈k/stages⌉`` cycles a unit); each at least 1."""
    return grouped_work(kind, outer, lane_groups(m, tp, lanes), k, rows, stages)


@njit(cache=True, inline="always")
def lane_groups(m: int, tp: int, lanes: int) -> int:  # pragma: no cover - compiled
    """``⌈⌈m/tp⌉/lanes⌉`` of :func:`unit_work` (``m/tp`` a float division, as numpy's)."""
    return -(-np.int64(np.ceil(m / tp)) // lanes)


@njit(cache=True, inline="always")
def grouped_work(kind: int, outer: int, groups: int, k: int, rows: int,
                 stages: int) -> tuple[int, int]:  # pragma: no cover - compiled
    """:func:`unit_work` of a kernel with ``groups`` lane groups (:func:`lane_groups`)."""
    if kind == SYSTOLIC:
        return max(outer * groups * -(-rows // stages), 1), max(k, 1)
    return max(groups * rows, 1), max(-(-k // stages), 1)
