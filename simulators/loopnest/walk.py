"""A loop-walking check of :mod:`.cost`: counts element transfers by enumerating the loop nest.

For one mapping of a small layer, every memory boundary is walked iteration by iteration and
instance by instance: the tile an instance holds is the *set* of elements its window of loops
touches (computed from loop indices, not from footprint formulas; padded iterates of the
operand's own dims touch nothing), a fill happens whenever that set changes, and a parent instance serves the union over
the children it multicasts to. Outputs count revisits (partial-sum reloads). Exponential in the
loop count: for tests on tiny layers.
"""

from __future__ import annotations

import itertools

import numpy as np

from simulators.loopnest.hardware import Hardware
from simulators.loopnest.problem import DIMS, OPERANDS, RELEVANT, LoopLayer


def walk_counts(layer: LoopLayer, hw: Hardware, spatial: np.ndarray, dims: np.ndarray, facs: np.ndarray,
                cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(reads, writes) per memory × operand (elements) for one mapping, by walking the loops;
    ``cuts``: memories × operands, as :class:`~.cost.Costs` gives them."""
    reads = np.zeros((len(hw.memories), 3))
    writes = np.zeros((len(hw.memories), 3))
    for xi, x in enumerate(OPERANDS):
        chain = (-1, *hw.hierarchy[x])
        for child, parent in zip(chain, chain[1:]):
            c = 0 if child < 0 else int(cuts[child, xi])
            if child < 0 and x == "O":           # the accumulator is updated every cycle
                moved, revisits = _accumulator_updates(layer, spatial, dims, facs, hw.memories[parent].served_axes)
            else:
                moved, revisits = _all_instances(layer, spatial, dims, facs, c, hw.memories[parent].served_axes, xi)
            if x == "O":
                writes[parent, xi] += moved
                reads[parent, xi] += revisits
            else:
                reads[parent, xi] += moved
            if child < 0:
                continue
            child_moved, child_revisits = _all_instances(
                layer, spatial, dims, facs, c, hw.memories[child].served_axes, xi)
            if x == "O":
                reads[child, xi] += child_moved
                writes[child, xi] += child_revisits
            else:
                writes[child, xi] += child_moved
    return reads, writes


def _transfers(windows: list[frozenset[tuple[int, ...]]]) -> tuple[int, int]:
    """Elements moved (one whole tile per change of the held set) and, of those, elements of
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


def _all_instances(layer: LoopLayer, spatial: np.ndarray, dims: np.ndarray, facs: np.ndarray, cut: int,
                   served: tuple[int, ...], xi: int) -> tuple[int, int]:
    """Elements moved into (and revisited by) every instance of a memory serving ``served``."""
    ranges = [range(1) if a in served else range(int(np.prod(spatial[a]))) for a in range(spatial.shape[0])]
    moved = revisits = 0
    for instance in itertools.product(*ranges):
        m, r = _transfers(_windows(layer, spatial, dims, facs, cut, served, xi, instance))
        moved, revisits = moved + m, revisits + r
    return moved, revisits


def _accumulator_updates(layer: LoopLayer, spatial: np.ndarray, dims: np.ndarray, facs: np.ndarray,
                         served: tuple[int, ...]) -> tuple[int, int]:
    """Outputs written into (and read back from) an output's first level: every iteration each
    instance adds the (spatially reduced) products to the outputs it holds, and reads them first
    unless this is the output's first arrival."""
    ranges = [range(1) if a in served else range(int(np.prod(spatial[a]))) for a in range(spatial.shape[0])]
    moved = revisits = 0
    for instance in itertools.product(*ranges):
        seen: set[tuple[int, ...]] = set()
        for w in _windows(layer, spatial, dims, facs, 0, served, 2, instance):
            moved += len(w)
            revisits += len(w & seen)
            seen |= w
    return moved, revisits


def _windows(layer: LoopLayer, spatial: np.ndarray, dims: np.ndarray, facs: np.ndarray, cut: int,
             served: tuple[int, ...], xi: int, instance: tuple[int, ...]) -> list[frozenset[tuple[int, ...]]]:
    """The element set of operand ``xi`` that one instance (its coordinate on the axes it does
    not serve) holds, for each outer iteration in order."""
    loops = [(int(d), int(f)) for d, f in zip(dims, facs) if d >= 0]
    inner, outer = loops[:cut], loops[cut:]
    unrolled = spatial.prod(axis=0)
    sizes = np.asarray(layer.sizes)
    rel = RELEVANT[xi]
    # spatial coordinate per dim: served axes vary, unserved axes fixed at the instance's
    axis_ranges = [range(int(np.prod(spatial[a]))) if a in served else range(instance[a], instance[a] + 1)
                   for a in range(spatial.shape[0])]
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
                if (v[rel] < sizes[rel]).all():   # padded iterates of its own dims touch no data
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

