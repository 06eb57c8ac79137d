"""The searchable mapping space of one layer on one machine, and its compact encoding.

A mapping is (spatial option, inner loop order, outer loop order, hold, one tile level per dim):

* the spatial option fixes the unrolling per array axis (:func:`hardware.spatial_factors`);
* each dim's remaining temporal trip count ``T`` splits into an inner factor ``a`` (a divisor of
  ``T`` on a ladder of ``TILE_LEVELS`` steps from 1 to ``T``, geometrically spaced) and an outer
  factor ``T / a``;
* the loop sequence is the inner factors in the inner order, then the outer factors in the outer
  order; orders are the six *stationarity orders*: the loops irrelevant to a first operand
  innermost, then those irrelevant to a second one (Timeloop's permutation classes that change
  access counts).

Memories then cut that sequence bottom-up (:mod:`.cost`); ``hold`` says whether the memories right
below DRAM take as much as fits or only the inner tile. Every code is a legal mapping, so a
random action is a valid design unless the hardware's smallest memories cannot hold one element.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from simulators.loopnest.hardware import Hardware, SpatialOption, enumeration_hardware, spatial_factors
from simulators.loopnest.problem import DIMS, OPERANDS, RELEVANT, LoopLayer

TILE_LEVELS = 3
#: what the memories right below DRAM hold: as much as fits (LOMA's greedy allocation), or just
#: the inner tile (outer loops stay at DRAM: smaller first tiles to load, more refills)
HOLDS = ("fill", "tile")
ORDER_NAMES = tuple(f"{a}{b}" for a, b in itertools.permutations(OPERANDS, 2))   # "WI": W then I stationary


def stationarity_order(first: str, second: str) -> tuple[int, ...]:
    """Dims inner→outer: irrelevant to ``first`` innermost, then irrelevant to ``second``."""
    f, s = OPERANDS.index(first), OPERANDS.index(second)
    return tuple(sorted(range(len(DIMS)), key=lambda d: (RELEVANT[f, d], RELEVANT[s, d], d)))


ORDERS = np.array([stationarity_order(n[0], n[1]) for n in ORDER_NAMES], dtype=np.int64)


def divisors(t: int) -> list[int]:
    """Every divisor of ``t`` in increasing order, by trial division up to √t (up to t: 19 CPU s for a
    dimension of 10⁸)."""
    low = [d for d in range(1, math.isqrt(t) + 1) if t % d == 0]
    return low + [t // d for d in reversed(low) if d * d != t]


def tile_ladder(t: int, levels: int = TILE_LEVELS) -> list[int]:
    """``levels`` divisors of ``t`` from 1 to ``t``, nearest to a geometric ladder (may repeat)."""
    divs = divisors(t)
    if levels == 1:
        return [t]
    logs = np.log(np.array(divs, dtype=float))
    targets = np.linspace(0.0, math.log(t), levels)
    return [divs[int(np.argmin(np.abs(logs - x)))] for x in targets]


@dataclass(frozen=True)
class LayerMappings:
    """Every encoded mapping of ``layer`` on ``hw`` (see the module docstring)."""

    layer: LoopLayer
    hw: Hardware
    levels: int = TILE_LEVELS

    @cached_property
    def spatial(self) -> list[np.ndarray]:
        """Per spatial option, the axes × dims unrolling factors."""
        return [spatial_factors(o, self.hw.array, self.layer.sizes, self.hw.fractional_unrolling)
                for o in self.hw.spatial]

    def temporal(self, s: int) -> np.ndarray:
        """Trip counts left for the temporal loops under spatial option ``s`` (ceil: padded)."""
        unrolled = self.spatial[s].prod(axis=0)
        return np.ceil(np.asarray(self.layer.sizes) / unrolled - 1e-9).astype(np.int64)

    def ladders(self, s: int) -> list[list[int]]:
        return [tile_ladder(int(t), self.levels) for t in self.temporal(s)]

    @property
    def codes_per_option(self) -> int:
        return len(ORDERS) ** 2 * self.levels ** len(DIMS)

    def decode(self, s: int, order_in: np.ndarray, order_out: np.ndarray, hold: np.ndarray,
               tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Loop sequences (dims, facs), each (N, 2·len(DIMS)), and the cap on the top on-chip
        memories' cuts (−1: none) of N encoded mappings."""
        t = self.temporal(s)
        ladder = np.array(self.ladders(s), dtype=np.int64)              # dims × levels
        inner = ladder[np.arange(len(DIMS)), tiles]                     # N × dims
        outer = t[None, :] // inner
        oi, oo = ORDERS[order_in], ORDERS[order_out]                    # N × dims
        dims = np.concatenate([oi, oo], axis=1)
        facs = np.concatenate([np.take_along_axis(inner, oi, 1), np.take_along_axis(outer, oo, 1)], axis=1)
        dims, facs = compact(dims, facs)
        cap = np.where(np.asarray(hold) == 1, (inner > 1).sum(axis=1), -1)
        return dims, facs, cap

    def enumerate(self, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """All distinct mappings of option ``s`` (see :func:`_enumerate`; memoised: the set
        depends only on the layer's sizes, the array and the option, not on memories)."""
        return _enumerate(self.layer.sizes, self.hw.array, self.hw.spatial[s], self.levels)

    def _enumerate_uncached(self, s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """All distinct mappings of option ``s``: (codes N×(3+dims), dims, facs, cap), one code per
        distinct loop sequence and cap (dims with one iterate and repeated ladder steps add nothing)."""
        ladders = self.ladders(s)
        choices = [sorted({lad.index(v) for v in lad}) for lad in ladders]
        tiles = np.array(list(itertools.product(*choices)), dtype=np.int64)
        heads = np.array(list(itertools.product(range(len(ORDERS)), range(len(ORDERS)), range(len(HOLDS)))),
                         dtype=np.int64)
        codes = np.concatenate([np.repeat(heads, len(tiles), 0), np.tile(tiles, (len(heads), 1))], axis=1)
        dims, facs, cap = self.decode(s, codes[:, 0], codes[:, 1], codes[:, 2], codes[:, 3:])
        key = np.concatenate([dims * (1 << 32) + facs, cap[:, None]], axis=1)
        _, first = np.unique(key, axis=0, return_index=True)
        first.sort()
        width = max(1, int((facs > 1).sum(axis=1).max()))       # trailing trip-1 columns dropped
        return codes[first], dims[first, :width], facs[first, :width], cap[first]


@functools.lru_cache(maxsize=512)
def _enumerate(sizes: tuple[int, ...], array: tuple[int, ...], option: SpatialOption,
               levels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    space = LayerMappings(LoopLayer("_", sizes), enumeration_hardware(array, option), levels)
    out = space._enumerate_uncached(0)
    for a in out:
        a.setflags(write=False)
    return out


def compact(dims: np.ndarray, facs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loop sequences with their trip-1 loops dropped (padded at the end with dim −1, trip 1):
    codes that differ only in where such loops sit are the same mapping."""
    keep = facs > 1
    order = np.argsort(~keep, axis=1, kind="stable")
    dims = np.where(np.take_along_axis(keep, order, 1), np.take_along_axis(dims, order, 1), -1)
    return dims, np.take_along_axis(facs, order, 1)
