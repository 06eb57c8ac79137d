"""Action masks: which parameter values can be ruled out before a design is simulated.

A :class:`MaskModel` analyses a :class:`~archgym.space.DesignSpace`'s constraints once:

1. it finds the parameters each constraint reads (by calling it on a recording mapping);
2. it groups constraints that share parameters into connected components; a component whose
   parameters span at most ``limit`` combinations is enumerated exactly, otherwise each of its
   constraints that is small enough is enumerated on its own;
3. it keeps, per enumerated unit, the feasible index rows.

From these it answers two questions, both *sound* (a feasible value is never masked):

* :meth:`static_mask` — values of one parameter that no completion of the others can make
  feasible (what ``MultiDiscrete`` masking can express: each dimension is masked independently);
* :meth:`partial_mask` — values of one parameter that make a partial design infeasible, given
  the parameters fixed so far (sequential mode).

What cannot be masked: a cross-parameter constraint in one-shot mode (a value is feasible with
*some* partner value, so neither dimension can be masked alone); constraints over more than
``limit`` combinations that cannot be split; constraints that cannot be called on a recording
mapping; and invalidity found only by the simulator (e.g. a buffer too small for a layer) —
those designs still get the invalid penalty. The masks are exact when every component is
enumerated.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from archgym.space import Constraint, DesignSpace


class _Recorder(Mapping):
    """A read-only mapping that remembers which keys were read."""

    def __init__(self, data: Mapping[str, Any]):
        self._data = data
        self.seen: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.seen.add(key)
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def constraint_reads(space: DesignSpace, constraint: Constraint, samples: int = 8) -> set[str] | None:
    """Parameters ``constraint`` reads, or ``None`` when it cannot be traced."""
    rng = np.random.default_rng(0)
    idx = np.vstack([space.to_indices(space.default()), space.sample_indices(samples - 1, rng)])
    recorder = _Recorder(space.indices_to_columns(idx))
    try:
        constraint.check(recorder)
    except Exception:  # noqa: BLE001 - an untraceable constraint is simply not masked
        return None
    return recorder.seen & set(space.names)


class MaskModel:
    """Feasible index rows of small groups of constraints (see the module docstring)."""

    def __init__(self, space: DesignSpace, limit: int = 1 << 16):
        self.space = space
        self.limit = limit
        self.nvec = space.nvec
        self.units: list[tuple[np.ndarray, np.ndarray]] = []  # (param positions, feasible rows)
        pos = {n: i for i, n in enumerate(space.names)}
        traced = [(c, constraint_reads(space, c)) for c in space.constraints]
        self.untraced = [c.name for c, r in traced if r is None]
        for group in _components([(c, r) for c, r in traced if r]):
            params = sorted({pos[n] for _, r in group for n in r})
            if self._combos(params) <= limit:
                self._add_unit(params, [c for c, _ in group])
                continue
            for c, reads in group:
                params = sorted(pos[n] for n in reads)
                if self._combos(params) <= limit:
                    self._add_unit(params, [c])
        self._by_param: dict[int, list[int]] = {}
        for u, (positions, _) in enumerate(self.units):
            for j in positions:
                self._by_param.setdefault(int(j), []).append(u)

    def _combos(self, params: list[int]) -> int:
        return int(np.prod([int(self.nvec[j]) for j in params], dtype=object))

    def _add_unit(self, params: list[int], constraints: list[Constraint]) -> None:
        sizes = tuple(int(self.nvec[j]) for j in params)
        grid = np.stack(np.unravel_index(np.arange(int(np.prod(sizes))), sizes), axis=1)
        names = [self.space.names[j] for j in params]
        columns = self.space.indices_to_columns(self.space.to_indices(self.space.default()))  # length 1
        columns.update(self.space.subspace(names).indices_to_columns(grid))
        ok = np.ones(len(grid), dtype=bool)
        try:
            for c in constraints:
                ok &= np.broadcast_to(np.asarray(c.check(columns), dtype=bool), ok.shape)
        except Exception:  # noqa: BLE001 - a constraint that fails on arrays is not masked
            return
        self.units.append((np.asarray(params, dtype=np.int64), grid[ok].astype(np.int32)))

    def static_mask(self, j: int) -> np.ndarray:
        """Boolean mask over parameter ``j``'s values: False where no design can be feasible."""
        return self.partial_mask({}, j)

    def partial_mask(self, fixed: Mapping[int, int], j: int) -> np.ndarray:
        """Mask over parameter ``j``'s values given ``fixed`` (position → value index)."""
        size = int(self.nvec[j])
        mask = np.ones(size, dtype=bool)
        for u in self._by_param.get(j, []):
            params, rows = self.units[u]
            keep = np.ones(len(rows), dtype=bool)
            for col, p in enumerate(params):
                if int(p) in fixed and int(p) != j:
                    keep &= rows[:, col] == fixed[int(p)]
            if not keep.any():  # the prefix is already infeasible: masking cannot help any more
                continue
            allowed = np.zeros(size, dtype=bool)
            allowed[rows[keep, int(np.flatnonzero(params == j)[0])]] = True
            mask &= allowed
        return mask if mask.any() else np.ones(size, dtype=bool)

    def static_masks(self) -> list[np.ndarray]:
        return [self.static_mask(j) for j in range(len(self.nvec))]


def _components(traced: list[tuple[Constraint, set[str]]]) -> list[list[tuple[Constraint, set[str]]]]:
    """Group constraints that (transitively) share a parameter."""
    groups: list[tuple[set[str], list[tuple[Constraint, set[str]]]]] = []
    for item in traced:
        names, members = set(item[1]), [item]
        rest = []
        for g_names, g_members in groups:
            if g_names & names:
                names |= g_names
                members = g_members + members
            else:
                rest.append((g_names, g_members))
        groups = rest + [(names, members)]
    return [members for _, members in groups]
