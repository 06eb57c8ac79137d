"""Layers as loop nests: the seven conv loops plus groups, operand relevance and footprints.

Dimensions (``DIMS``): ``G`` groups, ``B`` batch, ``K`` output channels, ``C`` input channels
(per group), ``OY``/``OX`` output rows/columns, ``FY``/``FX`` filter rows/columns. Operands:
``W`` weights (G,K,C,FY,FX), ``I`` inputs (G,B,C,IY,IX) with the sliding window
``IY = (OY−1)·stride + (FY−1)·dilation + 1``, ``O`` outputs (G,B,K,OY,OX). GEMM ``A[M×K]·B[K×N]``
is ``OX=M, C=K, K=N``; attention is two grouped GEMMs (one group per head).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from archgym.workload import Op

DIMS = ("G", "B", "K", "C", "OY", "OX", "FY", "FX")
D = {name: i for i, name in enumerate(DIMS)}
OPERANDS = ("W", "I", "O")

#: RELEVANT[x, d]: a loop over d touches different data of operand x (sliding-window dims count
#: as relevant for inputs: a new OY/FY iterate needs new rows unless the window is reused)
RELEVANT = np.zeros((3, len(DIMS)), dtype=bool)
for _d in ("G", "K", "C", "FY", "FX"):
    RELEVANT[0, D[_d]] = True
for _d in ("G", "B", "C", "OY", "OX", "FY", "FX"):
    RELEVANT[1, D[_d]] = True
for _d in ("G", "B", "K", "OY", "OX"):
    RELEVANT[2, D[_d]] = True
#: dims summed over (a loop over them accumulates partial sums into the same output)
REDUCTION = ~RELEVANT[2]


@dataclass(frozen=True)
class LoopLayer:
    """One loop nest: sizes per ``DIMS``, window geometry and operand precisions (bits)."""

    name: str
    sizes: tuple[int, ...]
    stride: tuple[int, int] = (1, 1)       # (y, x)
    dilation: tuple[int, int] = (1, 1)     # (y, x)
    bits: tuple[int, int, int, int] = (8, 8, 8, 24)   # W, I, O final, O partial sum
    padding: tuple[int, int] = (0, 0)       # zero rows/columns on each side of the input (y, x)
    input_size: tuple[int, int] | None = None   # stored input rows/columns (default: what windows reach)

    def size(self, dim: str) -> int:
        return self.sizes[D[dim]]

    @property
    def macs(self) -> int:
        return int(np.prod(self.sizes, dtype=np.int64))

    def footprints(self, ext: np.ndarray) -> np.ndarray:
        """Elements of W, I, O touched by a tile with per-dim extents ``ext`` (…, 8) → (…, 3)."""
        return footprints(ext, self.stride, self.dilation, self.input_hw)

    @property
    def input_hw(self) -> tuple[int, int]:
        """The input rows/columns stored in memory: the window's span less the zero padding,
        which is generated, not fetched (ZigZag clips tiles the same way)."""
        if self.input_size is not None:
            return self.input_size
        s, d, p = self.stride, self.dilation, self.padding
        return ((self.size("OY") - 1) * s[0] + (self.size("FY") - 1) * d[0] + 1 - 2 * p[0],
                (self.size("OX") - 1) * s[1] + (self.size("FX") - 1) * d[1] + 1 - 2 * p[1])

    def operand_elems(self) -> np.ndarray:
        """Whole-layer W, I, O element counts."""
        return self.footprints(np.asarray(self.sizes, dtype=np.float64))


def array_namespace(*arrays: Any) -> Any:
    """numpy, or the torch namespace of the relaxed model (:mod:`.relaxed`) when any of ``arrays``
    is a torch tensor: the one cost-model code path serves both."""
    if any(type(a).__module__.startswith("torch") for a in arrays):
        from simulators.loopnest.relaxed import TORCH

        return TORCH
    return np


def host(a: Any) -> np.ndarray:
    """``a``'s values as a numpy array (a torch tensor is detached: its gradient stops here)."""
    return a.detach().cpu().numpy() if type(a).__module__.startswith("torch") else np.asarray(a)


def footprints(ext: np.ndarray, stride: Any, dilation: Any, input_hw: Any) -> np.ndarray:
    """W, I, O footprints (elements) of tiles with extents ``ext`` (…, dims) → (…, 3).

    ``stride``, ``dilation`` and ``input_hw`` are (y, x) pairs: scalars, or arrays that broadcast
    against ``ext[..., 0]`` (one geometry per candidate); numpy arrays, or torch tensors on the
    relaxed path."""
    xp = array_namespace(ext)
    g, b, k, c, oy, ox, fy, fx = (ext[..., i] for i in range(len(DIMS)))
    iy = xp.minimum(_window(oy, fy, stride[0], dilation[0], xp), input_hw[0])
    ix = xp.minimum(_window(ox, fx, stride[1], dilation[1], xp), input_hw[1])
    return xp.stack([g * k * c * fy * fx, g * b * c * iy * ix, g * b * k * oy * ox], -1)


def _window(o: Any, f: Any, stride: Any, dilation: Any, xp: Any) -> Any:
    """Input rows touched by ``o`` output rows × ``f`` filter rows: the bounding box
    ``(o−1)·stride + (f−1)·dilation + 1``, except that with dilation 1 a window narrower than
    the stride leaves gaps, touching exactly ``o·f`` rows."""
    box = (o - 1) * stride + (f - 1) * dilation + 1
    return xp.where((dilation == 1) & (f < stride), o * f, box)


def from_op(op: Op, psum_bits: int = 0) -> list[LoopLayer]:
    """The loop nests of one workload operator (empty for element-wise operators).

    Operand precision is the operator's ``word_bytes``; partial sums default to a 24-bit
    accumulator for 8-bit operands and 32-bit otherwise (assumed; docs/loopnest.md).
    """
    w = 8 * op.word_bytes
    bits = (w, w, w, psum_bits or (24 if w <= 8 else 32))
    d = op.dims
    if op.kind == "conv2d":
        g = d["groups"]
        p, q = op.out_hw
        sizes = {"G": g, "B": d["N"], "K": d["K"] // g, "C": d["C"] // g, "OY": p, "OX": q,
                 "FY": d["R"], "FX": d["S"]}
        pad = min(d["pad"], (d["R"] - 1) // 2, (d["S"] - 1) // 2)   # never more than the window reaches
        return [LoopLayer(op.name, _tuple(sizes), (d["stride"], d["stride"]), (1, 1), bits, (pad, pad),
                          (d["H"], d["W"]))]
    out = []
    for i, gemm in enumerate(op.gemms()):
        sizes = {"G": gemm.repeat, "B": 1, "K": gemm.n, "C": gemm.k, "OY": 1, "OX": gemm.m, "FY": 1, "FX": 1}
        name = op.name if len(op.gemms()) == 1 else f"{op.name}#{i}"
        out.append(LoopLayer(name, _tuple(sizes), bits=bits))
    return out


def _tuple(sizes: dict[str, int]) -> tuple[int, ...]:
    return tuple(int(sizes.get(name, 1)) for name in DIMS)
