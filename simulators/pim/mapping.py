"""Lowering workload operators to PIM jobs, and the mapping choices of the PIM family.

Every MAC-bearing operator lowers through :meth:`archgym.workload.Op.gemms` (``Gemm(m, k, n,
repeat)``, SCALE-Sim convention) to :class:`~simulators.pim.gemv.Job` ``(G=repeat, M=n, K=k,
N=m)``: a decode-time linear layer ``gemv`` (B vectors × one weight matrix) is one job with
G = 1, N = B; a decode attention (``Lq = 1``) is two jobs over the KV cache, ``q·Kᵀ`` with
G = B·H matrices of Lkv × D and ``p·V`` with G = B·H matrices of D × Lkv, one vector each.
Element-wise operators (norms, softmax, activations, residual adds) always run on the host.

Mapping choices (design parameters in ``shared`` / ``per-layer`` modes, searched in ``auto``):
``place``        ``pim`` or ``host`` per operator (``auto``: the faster one for the design);
``split_k``      split-K degree (0 = the simulator picks the fastest of 1, 2, 4, 8, 16);
``tile_rows``    rows per row block (0 = the simulator picks from 8, 16, 32, 64);
``sub_batches``  1, or 2 to interleave two half batches so host and PIM work overlap
                 (NeuPIMs-style; 0 = the better of the two).
"""

from __future__ import annotations

import weakref
from dataclasses import replace

from archgym.workload import Op, Workload
from simulators.pim.gemv import Job

PLACES = ("auto", "pim", "host")
SPLIT_CHOICES = (0, 1, 2, 4, 8, 16)
TILE_CHOICES = (0, 8, 16, 32, 64)
SUB_BATCHES = (0, 1, 2)


def jobs(op: Op) -> list[Job]:
    """The PIM jobs of a MAC operator (empty for element-wise operators)."""
    return [Job(g.repeat, g.n, g.k, g.m) for g in op.gemms()]


def resident_elems(op: Op) -> int:
    """Elements that must live in the PIM memory for ``op``: weights, or the KV cache."""
    return sum(j.G * j.M * j.K for j in jobs(op))


def is_attention(op: Op) -> bool:
    return op.kind == "attention"


def half_batch(workload: Workload) -> Workload | None:
    """The workload for one of two sub-batches, or None when it cannot be split in two.

    Only decode-style workloads split: every MAC operator a ``gemv`` or ``attention`` with batch
    B ≥ 2 (each sub-batch gets ``ceil(B/2)``); element-wise operators get half their elements.
    Memoised per workload object (one half workload, so its lowered plan is built once too).
    """
    if workload not in _HALVES:
        _HALVES[workload] = _halve(workload)
    return _HALVES[workload]


def _halve(workload: Workload) -> Workload | None:
    ops = workload.ops
    mac_ops = [op for op in ops if op.kind != "eltwise"]
    if not mac_ops or any(op.kind not in ("gemv", "attention") or op.dims["B"] < 2 for op in mac_ops):
        return None
    halved = []
    for op in ops:
        dims = dict(op.dims)
        if op.kind == "eltwise":
            dims["E"] = max(1, -(-dims["E"] // 2))
        else:
            dims["B"] = -(-dims["B"] // 2)
        halved.append(replace(op, dims=dims))
    return Workload.chain(f"{workload.name}/2", halved)


_HALVES: weakref.WeakKeyDictionary[Workload, Workload | None] = weakref.WeakKeyDictionary()
