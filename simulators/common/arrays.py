"""One vectorised code path for numpy arrays and torch tensors.

Batched simulators write their formulas with the operators ``+ - * / // **`` and the few
functions here; the same code then runs on numpy (CPU) or on torch tensors (CPU or GPU).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

#: types that are never torch tensors (checked first: ``is_torch`` runs on every array operation)
_PLAIN = frozenset({np.ndarray, int, float, bool, np.int64, np.float64, np.bool_})


def is_torch(x: Any) -> bool:
    t = type(x)
    return t not in _PLAIN and t.__module__.startswith("torch")


def ceil_div(a: Any, b: Any) -> Any:
    """⌈a / b⌉ for non-negative integers (arrays, tensors or scalars)."""
    return -(-a // b)


def maximum(a: Any, b: Any) -> Any:
    if type(a) in _PLAIN and type(b) in _PLAIN:      # the common numpy case, without dispatch calls
        return np.maximum(a, b)
    if is_torch(a) or is_torch(b):
        import torch

        a = a if is_torch(a) else torch.as_tensor(a, device=b.device)
        b = b if is_torch(b) else torch.as_tensor(b, device=a.device)
        return torch.maximum(a, b)
    return np.maximum(a, b)


def minimum(a: Any, b: Any) -> Any:
    if type(a) in _PLAIN and type(b) in _PLAIN:
        return np.minimum(a, b)
    if is_torch(a) or is_torch(b):
        import torch

        a = a if is_torch(a) else torch.as_tensor(a, device=b.device)
        b = b if is_torch(b) else torch.as_tensor(b, device=a.device)
        return torch.minimum(a, b)
    return np.minimum(a, b)


def where(cond: Any, a: Any, b: Any) -> Any:
    """Element-wise choice; a torch tensor among the arguments makes the result a tensor on its device."""
    if (type(cond) in _PLAIN and type(a) in _PLAIN and type(b) in _PLAIN) \
            or not (is_torch(cond) or is_torch(a) or is_torch(b)):
        return np.where(cond, a, b)
    import torch

    dev = next(x for x in (cond, a, b) if is_torch(x)).device
    return torch.where(torch.as_tensor(cond, device=dev), torch.as_tensor(a, device=dev),
                       torch.as_tensor(b, device=dev))


def sequential_sum(x: Any) -> Any:
    """Sum over the last axis with the terms added left to right (the floating-point result of a loop,
    not numpy's pairwise summation): ``cumsum`` on small arrays, an in-place loop over the last axis
    on large ones (3× cheaper there than ``cumsum``)."""
    if x.shape[-1] == 0:
        return x.sum(-1)
    if is_torch(x) or x[..., 0].size < 256:
        return x.cumsum(-1)[..., -1]
    acc = x[..., 0].copy()
    for i in range(1, x.shape[-1]):
        acc += x[..., i]
    return acc


def stack(xs: Sequence[Any]) -> Any:
    """Arrays of one shape stacked on a new leading axis (a torch tensor when any of them is one)."""
    if any(is_torch(x) for x in xs):
        import torch

        dev = next(x for x in xs if is_torch(x)).device
        return torch.stack([torch.as_tensor(x, device=dev) for x in xs])
    return np.array(xs)


def broadcast_stack(xs: Sequence[Any], dtype: Any = np.float64) -> np.ndarray:
    """numpy arrays (or scalars) broadcast to one shape and stacked on a new leading axis as ``dtype``:
    ``np.stack(np.broadcast_arrays(*xs)).astype(dtype)`` in one allocation (cheap on small arrays)."""
    out = np.empty((len(xs), *np.broadcast(*xs).shape), dtype=dtype)
    for i, x in enumerate(xs):
        out[i] = x
    return out


def to_float(x: Any) -> Any:
    if type(x) in _PLAIN:
        return np.asarray(x, dtype=np.float64)
    if is_torch(x):
        import torch

        return x.to(torch.float64)
    return np.asarray(x, dtype=np.float64)


def to_numpy(x: Any) -> np.ndarray:
    if type(x) is np.ndarray:
        return x
    if is_torch(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def design_columns(designs: Sequence[Mapping[str, Any]] | Mapping[str, Any],
                   names: Sequence[str]) -> tuple[dict[str, np.ndarray], int]:
    """A list of design dicts or a mapping name → array, as one numpy column per name."""
    if isinstance(designs, Mapping):
        cols = {k: v if is_torch(v) else np.asarray(v) for k, v in designs.items()}
        n = len(next(iter(cols.values()))) if cols else 0
        return cols, n
    n = len(designs)
    return {k: np.array([d[k] for d in designs]) for k in names if n and k in designs[0]}, n


def distinct_rows(keys: np.ndarray, last_major: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(the index in ``keys`` of each distinct row's first occurrence, each row's distinct-row number) of
    a 2-D integer array: ``np.unique(keys, axis=0, return_index=True, return_inverse=True)``'s index
    and inverse by one stable lexicographic sort, the distinct rows ordered by the first column first
    (``last_major``: by the last column first)."""
    order = np.lexsort(keys.T if last_major else keys.T[::-1])
    ranked = keys[order]
    new = np.ones(len(keys), dtype=bool)
    new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    inverse = np.empty(len(keys), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return order[new], inverse
