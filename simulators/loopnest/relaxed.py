"""The relaxed (differentiable) path of the loop-nest cost model, on torch.

:func:`simulators.loopnest.cost.evaluate_many` is written against an array namespace: given numpy
trip counts it is the exact model; given a float64 torch tensor of trip counts it runs the same
formulas on torch (:data:`TORCH`), so footprints, access counts, energy and the roofline/stall
latency become differentiable functions of the trip counts. What stays discrete (taken on the
values, gradient zero): loop relevance (trip > 1), the LOMA-style greedy cuts, validity, the
double-buffering test and word rounding.

:func:`relaxed_loops` is the relaxation of a layer's tiling (DOSA-style, log space): each dim's
temporal trip count ``T`` splits into an inner factor ``T**u`` and an outer factor ``T**(1-u)``
with ``u ∈ [0, 1]`` continuous (:class:`~.mapping.LayerMappings` allows only the ladder divisors);
:func:`nearest_levels` rounds ``u`` back to the nearest ladder step (in log space).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from simulators.loopnest.mapping import ORDERS, LayerMappings
from simulators.loopnest.problem import DIMS

DTYPE = torch.float64


def _t(a: Any) -> torch.Tensor:
    """``a`` as a tensor: numeric values as float64 (torch would make Python floats float32)."""
    if isinstance(a, torch.Tensor):
        return a
    arr = np.asarray(a)
    return torch.as_tensor(arr) if arr.dtype == bool else torch.as_tensor(arr, dtype=DTYPE)


class _TorchNamespace:
    """The numpy functions :mod:`.cost` and :mod:`.problem` use, with numpy's signatures, on torch."""

    float64 = DTYPE

    @staticmethod
    def asarray(a: Any) -> torch.Tensor:
        return _t(a)

    @staticmethod
    def zeros(shape: Any) -> torch.Tensor:
        return torch.zeros(shape, dtype=DTYPE)

    @staticmethod
    def ones(shape: Any) -> torch.Tensor:
        return torch.ones(shape, dtype=DTYPE)

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> torch.Tensor:
        return torch.where(_t(cond).bool(), _t(a), _t(b))

    @staticmethod
    def maximum(a: Any, b: Any) -> torch.Tensor:
        return torch.maximum(_t(a), _t(b))

    @staticmethod
    def minimum(a: Any, b: Any) -> torch.Tensor:
        return torch.minimum(_t(a), _t(b))

    @staticmethod
    def cumprod(a: torch.Tensor, axis: int) -> torch.Tensor:
        return torch.cumprod(a, dim=axis)

    @staticmethod
    def flip(a: torch.Tensor, axis: int) -> torch.Tensor:
        return torch.flip(a, dims=(axis,))

    @staticmethod
    def prod(a: torch.Tensor, axis: int) -> torch.Tensor:
        return torch.prod(a, dim=axis)

    @staticmethod
    def max(a: torch.Tensor, axis: int) -> torch.Tensor:
        return torch.amax(a, dim=axis)

    @staticmethod
    def concatenate(arrays: list[Any], axis: int = 0) -> torch.Tensor:
        return torch.cat([_t(a) for a in arrays], dim=axis)

    @staticmethod
    def stack(arrays: list[Any], axis: int = 0) -> torch.Tensor:
        return torch.stack([_t(a) for a in arrays], dim=axis)

    @staticmethod
    def ceil(a: torch.Tensor) -> torch.Tensor:
        return torch.ceil(a)

    @staticmethod
    def floor(a: torch.Tensor) -> torch.Tensor:
        return torch.floor(a)

    @staticmethod
    def round(a: torch.Tensor) -> torch.Tensor:
        return torch.round(a)


#: the namespace :func:`simulators.loopnest.problem.array_namespace` returns for torch tensors
TORCH = _TorchNamespace()


def relaxed_loops(temporal: np.ndarray, order_in: np.ndarray, order_out: np.ndarray,
                  u: torch.Tensor) -> tuple[np.ndarray, torch.Tensor]:
    """Loop sequences (dims, facs; N × 2·dims, inner loops then outer, not compacted) of N relaxed
    tilings ``u`` (N × dims, in [0, 1]) of temporal trip counts ``temporal`` (N × dims, e.g.
    :meth:`~.mapping.LayerMappings.temporal`) under the given loop orders (N indices into ORDERS)."""
    t = torch.as_tensor(temporal.astype(np.float64))
    inner = t ** u
    outer = t / inner
    oi, oo = ORDERS[order_in], ORDERS[order_out]
    facs = torch.cat([torch.gather(inner, 1, torch.as_tensor(oi)), torch.gather(outer, 1, torch.as_tensor(oo))], 1)
    return np.concatenate([oi, oo], axis=1), facs


def nearest_levels(space: LayerMappings, option: int, u: np.ndarray) -> np.ndarray:
    """The tile-ladder step of each dim nearest (in log space) to the relaxed inner factor ``T**u``."""
    t = space.temporal(option)
    out = np.zeros(len(DIMS), dtype=np.int64)
    for d, ladder in enumerate(space.ladders(option)):
        if t[d] > 1:
            logs = np.log(np.asarray(ladder, dtype=np.float64))
            out[d] = int(np.argmin(np.abs(logs - u[d] * np.log(t[d]))))
    return out
