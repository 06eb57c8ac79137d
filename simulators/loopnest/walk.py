"""A loop-walking check of :mod:`.cost`: counts element transfers by enumerating the loop nest.

For one mapping of a small layer, every memory boundary is walked iteration by iteration: the
tile a child holds is the *set* of elements its window of loops touches (computed from loop
indices, not from footprint formulas), a fill happens whenever that set changes, and the parent
serves the union over the children it multicasts to. Outputs count first visits (final writes)
and revisits (partial-sum reloads). Exponential in the loop count: for tests on tiny layers.
"""

from __future__ import annotations

import itertools

import numpy as np

from simulators.loopnest.hardware import Hardware
from simulators.loopnest.problem import DIMS, OPERANDS, LoopLayer


def walk_counts(layer: LoopLayer, hw: Hardware, spatial: np.ndarray, dims: np.ndarray, facs: np.ndarray,
                cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(reads, writes) per memory × operand (elements) for one mapping, by walking the loops."""
    reads = np.zeros((len(hw.memories), 3))
    writes = np.zeros((len(hw.memories), 3))
    used = spatial.prod(axis=1)
    pes = int(used.prod())
    for xi, x in enumerate(OPERANDS):
        chain = (-1, *hw.hierarchy[x])
        for child, parent in zip(chain, chain[1:]):
            c = 0 if child < 0 else int(cuts[child])
            served_p = hw.memories[parent].served_axes
            inst_p = _instances(served_p, used)
            moved, revisits = _transfers(_windows(layer, spatial, dims, facs, c, served_p, xi))
            if child < 0:
                child_moved, child_revisits = pes * _fills(layer, spatial, dims, facs, xi), 0
            else:
                served_c = hw.memories[child].served_axes
                inst_c = _instances(served_c, used)
                m, r = _transfers(_windows(layer, spatial, dims, facs, c, served_c, xi))
                child_moved, child_revisits = m * inst_c, r * inst_c
            if x != "O":
                reads[parent, xi] += moved * inst_p
                if child >= 0:
                    writes[child, xi] += child_moved
                continue
            writes[parent, xi] += moved * inst_p
            reads[parent, xi] += revisits * inst_p
            if child >= 0:
                reads[child, xi] += child_moved
                writes[child, xi] += child_revisits
    return reads, writes


def _transfers(windows: list[frozenset[tuple[int, ...]]]) -> tuple[int, int]:
    """Elements moved (one whole tile per change of the held set) and of those, elements of
    tiles seen before (partial-sum reloads when the operand is the output)."""
    moved = revisits = 0
    seen: set[frozenset[tuple[int, ...]]] = set()
    for k, w in enumerate(windows):
        if k and w == windows[k - 1]:
            continue
        moved += len(w)
        revisits += len(w) if w in seen else 0
        seen.add(w)
    return moved, revisits


def _fills(layer: LoopLayer, spatial: np.ndarray, dims: np.ndarray, facs: np.ndarray, xi: int) -> int:
    """Times one PE's MAC operand changes (one element each)."""
    windows = _windows(layer, spatial, dims, facs, 0, (), xi)
    return sum(1 for k, w in enumerate(windows) if k == 0 or w != windows[k - 1])


def _instances(served: tuple[int, ...], used: np.ndarray) -> int:
    return int(np.prod([u for a, u in enumerate(used) if a not in served]))


def _windows(layer: LoopLayer, spatial: np.ndarray, dims: np.ndarray, facs: np.ndarray, cut: int,
             served: tuple[int, ...], xi: int) -> list[frozenset[tuple[int, ...]]]:
    """The element set of operand ``xi`` one instance holds, for each outer iteration in order."""
    loops = [(int(d), int(f)) for d, f in zip(dims, facs) if d >= 0]
    inner, outer = loops[:cut], loops[cut:]
    unrolled = spatial.prod(axis=0)
    # spatial coordinate per dim: served axes vary, unserved axes fixed at 0
    axis_ranges = [range(int(np.prod(spatial[a]))) if a in served else range(1) for a in range(spatial.shape[0])]
    spatial_points = []
    for combo in itertools.product(*axis_ranges):
        point = np.zeros(len(DIMS), dtype=np.int64)
        for a, flat in enumerate(combo):
            for d in range(len(DIMS)):          # mixed unrolling: mixed radix over the axis' dims
                f = int(spatial[a, d])
                point[d] += (flat % f) * _axis_stride(spatial, a, d)
                flat //= f
        spatial_points.append(point)
    out = []
    for outer_idx in itertools.product(*[range(f) for _, f in reversed(outer)]):
        elems: set[tuple[int, ...]] = set()
        for inner_idx in itertools.product(*[range(f) for _, f in reversed(inner)]):
            t = np.zeros(len(DIMS), dtype=np.int64)
            stride = np.ones(len(DIMS), dtype=np.int64)
            for (d, f), i in zip(loops, (*reversed(inner_idx), *reversed(outer_idx))):
                t[d] += i * stride[d]
                stride[d] *= f
            for sp in spatial_points:
                v = sp + unrolled * t
                elems.add(_element(layer, v, xi))
        out.append(frozenset(elems))
    return out


def _axis_stride(spatial: np.ndarray, axis: int, d: int) -> int:
    """Where axis ``axis``'s share of dim ``d``'s spatial index starts (earlier axes inner)."""
    return int(np.prod(spatial[:axis, d]))


def _element(layer: LoopLayer, v: np.ndarray, xi: int) -> tuple[int, ...]:
    g, b, k, c, oy, ox, fy, fx = (int(a) for a in v)
    if xi == 0:
        return (g, k, c, fy, fx)
    if xi == 1:
        return (g, b, c, oy * layer.stride[0] + fy * layer.dilation[0], ox * layer.stride[1] + fx * layer.dilation[1])
    return (g, b, k, oy, ox)

