"""Design spaces: named, typed, finite parameters and the constraints between them.

A *design* is a plain ``dict`` mapping parameter names to values. A :class:`DesignSpace`
knows its size, samples and enumerates designs, encodes them as integer indices (for
Gymnasium's ``MultiDiscrete``) and as points of the unit cube (for BoTorch / pymoo), and
checks named constraints, returning the names of the violated ones.

Constraints are written once with numpy-friendly expressions, so the same function checks
one design (scalars) and a batch of designs (one array per parameter).
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from archgym.errors import ConfigError

Design = dict[str, Any]
Columns = dict[str, np.ndarray]

#: column dtypes whose entries read back (``tolist``) as the Python values they hold: a batch of one given
#: as columns of these is one plain design (:meth:`DesignSpace.plain_design`, ``simulators.common.family``)
PLAIN_DTYPES = frozenset({np.dtype(np.int64), np.dtype(np.float64), np.dtype(bool), np.dtype(object)})

KINDS = ("int", "pow2", "ordinal", "categorical")


@dataclass(frozen=True)
class Param:
    """One finite, typed design parameter.

    ``kind`` is ``int`` (an integer range), ``pow2`` (powers of two), ``ordinal`` (ordered
    choices, numeric or not) or ``categorical`` (unordered choices). ``values`` lists every
    allowed value in order; ``unit`` is a human-readable unit ("PEs", "KiB", "MHz", "" …).
    """

    name: str
    values: tuple[Any, ...]
    kind: str = "ordinal"
    unit: str = ""
    default: Any = None
    doc: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ConfigError.bad_value(f"{self.name}.kind", self.kind, KINDS)
        if not self.values:
            raise ConfigError(f"{self.name}: a parameter needs at least one value")
        if len(set(self.values)) != len(self.values):
            raise ConfigError(f"{self.name}: values must be distinct, got {list(self.values)}")
        if self.default is None:
            object.__setattr__(self, "default", self.values[len(self.values) // 2])
        elif self.default not in self.values:
            raise ConfigError.bad_value(f"{self.name}.default", self.default, self.values)

    @property
    def size(self) -> int:
        return len(self.values)

    @property
    def is_numeric(self) -> bool:
        return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                   for v in self.values)

    def index(self, value: Any) -> int:
        """Index of ``value`` (after coercing strings such as ``"128"``)."""
        value = self.coerce(value)
        return self.values.index(value)

    def coerce(self, value: Any) -> Any:
        """Return the allowed value equal to ``value``; raise a one-line error otherwise."""
        if isinstance(value, np.generic):
            value = value.item()
        if value in self.values:
            return self.values[self.values.index(value)]
        if isinstance(value, str):
            for candidate in self.values:
                if str(candidate) == value.strip():
                    return candidate
                if isinstance(candidate, (int, float)) and not isinstance(candidate, bool):
                    try:
                        if float(value) == float(candidate):
                            return candidate
                    except ValueError:
                        pass
        raise ConfigError.bad_value(self.name, value, _describe(self))

    def restrict(self, values: Iterable[Any]) -> Param:
        """A copy that allows only ``values`` (each must already be allowed)."""
        kept = tuple(self.coerce(v) for v in values)
        if not kept:
            raise ConfigError.bad_value(f"{self.name} values", [], f"a non-empty list of {_describe(self)}")
        kept = tuple(v for v in self.values if v in kept)  # keep the original order
        default = self.default if self.default in kept else kept[len(kept) // 2]
        return replace(self, values=kept, default=default)


def _describe(param: Param) -> str:
    vals = list(param.values)
    if len(vals) > 12:
        return f"{vals[0]} … {vals[-1]} ({param.kind}, {len(vals)} values)"
    return ", ".join(str(v) for v in vals)


def int_range(name: str, low: int, high: int, step: int = 1, **kw: Any) -> Param:
    """Integers ``low, low+step, …, high`` (inclusive)."""
    return Param(name, tuple(range(int(low), int(high) + 1, int(step))), "int", **kw)


def pow2(name: str, low: int, high: int, **kw: Any) -> Param:
    """Powers of two from ``low`` to ``high`` inclusive (both must be powers of two)."""
    for bound in (low, high):
        if bound < 1 or bound & (bound - 1):
            raise ConfigError.bad_value(name, bound, "a power of two ≥ 1")
    exps = range(int(math.log2(low)), int(math.log2(high)) + 1)
    return Param(name, tuple(2**e for e in exps), "pow2", **kw)


def ordinal(name: str, values: Sequence[Any], **kw: Any) -> Param:
    """Ordered choices."""
    return Param(name, tuple(values), "ordinal", **kw)


def categorical(name: str, choices: Sequence[Any], **kw: Any) -> Param:
    """Unordered choices (one-hot or categorical kernels in BO, never treated as ordered)."""
    return Param(name, tuple(choices), "categorical", **kw)


@dataclass(frozen=True)
class Constraint:
    """A named predicate over a design; ``check`` must work on scalars and on numpy arrays."""

    name: str
    check: Callable[[Mapping[str, Any]], Any]
    doc: str = ""


@dataclass(frozen=True)
class DesignSpace:
    """An ordered product of :class:`Param` with named :class:`Constraint` s."""

    params: tuple[Param, ...]
    constraints: tuple[Constraint, ...] = field(default=())
    name: str = "space"

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(f"{self.name}: duplicate parameter names {dupes}")

    # -- basic facts -------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    @property
    def nvec(self) -> np.ndarray:
        """Number of values of each parameter (the ``MultiDiscrete`` shape)."""
        return np.array([p.size for p in self.params], dtype=np.int64)

    @property
    def size(self) -> int:
        return int(math.prod(p.size for p in self.params))

    def __len__(self) -> int:
        return len(self.params)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise ConfigError.bad_value("parameter", name, self.names, where=self.name)

    def default(self) -> Design:
        return {p.name: p.default for p in self.params}

    # -- validation and coercion -----------------------------------------------------------
    def validate(self, design: Mapping[str, Any], partial: bool = False) -> Design:
        """Coerce ``design`` to allowed values; unknown or missing names raise one line."""
        unknown = [k for k in design if k not in self]
        if unknown:
            raise ConfigError.bad_value("parameter", unknown[0], self.names, where=self.name)
        out: Design = {}
        for p in self.params:
            if p.name in design:
                out[p.name] = p.coerce(design[p.name])
            elif not partial:
                raise ConfigError(f"{self.name}: design is missing parameter {p.name!r}")
        return out

    def complete(self, design: Mapping[str, Any]) -> Design:
        """``design`` with defaults filled in for missing parameters, validated."""
        return self.validate({**self.default(), **design})

    def violations(self, design: Mapping[str, Any]) -> list[str]:
        """Names of the constraints that ``design`` violates (empty when valid)."""
        return [c.name for c in self.constraints if not bool(c.check(design))]

    def violations_batch(self, columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """For each constraint, a boolean array: True where the batch member violates it."""
        n = len(next(iter(columns.values()))) if columns else 0
        return {c.name: _violated(c, columns, n) for c in self.constraints}

    # -- encodings ---------------------------------------------------------------------------
    def to_indices(self, design: Mapping[str, Any]) -> np.ndarray:
        return np.array([p.index(design[p.name]) for p in self.params], dtype=np.int64)

    def from_indices(self, indices: Sequence[int] | np.ndarray) -> Design:
        idx = np.asarray(indices)
        idx = (idx if idx.dtype == np.int64 else idx.astype(np.int64)).reshape(-1).tolist()
        if len(idx) != len(self.params):
            raise ConfigError(f"{self.name}: expected {len(self.params)} indices, got {len(idx)}")
        out: Design = {}
        for (name, values), i in zip(self._choices, idx):
            if not 0 <= i < len(values):
                raise ConfigError.bad_value(f"{name} index", i, f"0..{len(values) - 1}")
            out[name] = values[i]
        return out

    @functools.cached_property
    def _choices(self) -> tuple[tuple[str, Sequence[Any]], ...]:
        """Each parameter's name and values, looked up once (``from_indices`` runs on every env step)."""
        return tuple((p.name, p.values) for p in self.params)

    def to_unit(self, design: Mapping[str, Any]) -> np.ndarray:
        """Map a design to ``[0, 1]^d`` (value index / (size - 1); 0 for one-value params)."""
        return self.indices_to_unit(self.to_indices(design))

    def from_unit(self, point: Sequence[float] | np.ndarray) -> Design:
        return self.from_indices(self.unit_to_indices(np.asarray(point, dtype=float)))

    def indices_to_unit(self, indices: np.ndarray) -> np.ndarray:
        denom = np.maximum(self.nvec - 1, 1)
        return np.asarray(indices, dtype=float) / denom

    def unit_to_indices(self, unit: np.ndarray) -> np.ndarray:
        """Round unit-cube points (shape ``(d,)`` or ``(n, d)``) to the nearest indices."""
        unit = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)
        return np.rint(unit * (self.nvec - 1)).astype(np.int64)

    def indices_to_columns(self, indices: np.ndarray) -> Columns:
        """Turn an ``(n, d)`` index matrix into one value array per parameter (batch designs)."""
        indices = np.atleast_2d(np.asarray(indices, dtype=np.int64))
        return {p.name: table[column] for p, table, column in zip(self.params, self._tables, indices.T)}

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        """Each parameter's position, by name."""
        return {p.name: j for j, p in enumerate(self.params)}

    @functools.cached_property
    def _tables(self) -> tuple[np.ndarray, ...]:
        """Each parameter's values as an array (object dtype for non-numeric ones), built once."""
        return tuple(np.array(p.values) if p.is_numeric else np.array(p.values, dtype=object)
                     for p in self.params)

    def plain_design(self, indices: Sequence[int]) -> Design | None:
        """:meth:`from_indices` of value ``indices`` (Python ints, each in range) without numpy, when every
        column of :meth:`indices_to_columns` holds the parameter's values as they are (a dtype of
        :data:`PLAIN_DTYPES` whose entries read back as the values, type included: true of every family's
        space), so that the dict is also the design that :meth:`columns_to_designs` and a batch of one read
        from the columns; else ``None``."""
        plain = self._plain
        return None if plain is None else {name: values[i] for (name, values), i in zip(plain, indices)}

    @functools.cached_property
    def _plain(self) -> tuple[tuple[str, Sequence[Any]], ...] | None:
        """:attr:`_choices` when every column reads back as its parameter's values (see :meth:`plain_design`)."""
        for p, table in zip(self.params, self._tables):
            if table.dtype not in PLAIN_DTYPES or any(type(a) is not type(b) or a != b
                                                      for a, b in zip(table.tolist(), p.values)):
                return None
        return self._choices

    def violations_at(self, indices: Sequence[int]) -> list[str]:
        """Names of the constraints that the design at value ``indices`` (Python ints, each in range)
        violates: :meth:`violations_batch` of its row of :meth:`indices_to_columns`, each constraint given
        the one-entry columns it reads (built when read), not every column, and its outcome remembered
        per the values of those columns (:class:`_Outcomes`)."""
        return [c.name for c, outcomes in zip(self.constraints, self._outcomes) if outcomes.violated(indices)]

    @functools.cached_property
    def _outcomes(self) -> tuple[_Outcomes, ...]:
        """Each constraint's remembered outcomes (:meth:`violations_at`)."""
        return tuple(_Outcomes(self, c) for c in self.constraints)

    def designs_to_columns(self, designs: Sequence[Mapping[str, Any]]) -> Columns:
        return self.indices_to_columns(np.array([self.to_indices(d) for d in designs]).reshape(-1, len(self)))

    def columns_to_designs(self, columns: Mapping[str, np.ndarray]) -> list[Design]:
        n = len(next(iter(columns.values()))) if columns else 0
        return [{k: _py(v[i]) for k, v in columns.items()} for i in range(n)]

    # -- sampling and enumeration ------------------------------------------------------------
    def sample_indices(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.integers(0, self.nvec, size=(n, len(self.params)), dtype=np.int64)

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> list[Design]:
        rng = np.random.default_rng(rng)
        return [self.from_indices(row) for row in self.sample_indices(n, rng)]

    def iter_index_chunks(self, chunk: int = 65536) -> Iterator[np.ndarray]:
        """Enumerate the whole space as ``(≤chunk, d)`` index matrices (row-major order)."""
        total = self.size
        for start in range(0, total, chunk):
            flat = np.arange(start, min(start + chunk, total), dtype=np.int64)
            yield np.stack(np.unravel_index(flat, tuple(self.nvec)), axis=1) if len(self) else flat[:, None]

    def enumerate(self, limit: int = 1_000_000) -> Iterator[Design]:
        """Every design, in index order; refuses spaces larger than ``limit``."""
        if self.size > limit:
            raise ConfigError(f"{self.name}: {self.size} designs is more than the enumeration limit {limit}")
        for combo in itertools.product(*(p.values for p in self.params)):
            yield dict(zip(self.names, combo))

    # -- composition and overrides ---------------------------------------------------------
    def product(self, other: DesignSpace, name: str | None = None) -> DesignSpace:
        """The product space (e.g. hardware × mapping); parameter names must be disjoint."""
        return DesignSpace(self.params + other.params, self.constraints + other.constraints,
                           name or f"{self.name}×{other.name}")

    def restrict(self, fix: Mapping[str, Any] | None = None,
                 values: Mapping[str, Sequence[Any]] | None = None,
                 ranges: Mapping[str, tuple[Any, Any]] | None = None) -> DesignSpace:
        """Narrow the space: ``fix`` pins a value, ``values`` lists the allowed ones,
        ``ranges`` keeps values within ``[low, high]`` (numeric parameters)."""
        fix, values, ranges = dict(fix or {}), dict(values or {}), dict(ranges or {})
        for key in [*fix, *values, *ranges]:
            self[key]  # raises a one-line error for unknown names
        params = []
        for p in self.params:
            if p.name in fix:
                p = p.restrict([fix[p.name]])
            if p.name in values:
                p = p.restrict(values[p.name])
            if p.name in ranges:
                lo, hi = ranges[p.name]
                kept = [v for v in p.values if lo <= v <= hi]
                if not kept:
                    raise ConfigError.bad_value(f"{p.name} range", (lo, hi), _describe(p))
                p = p.restrict(kept)
            params.append(p)
        return DesignSpace(tuple(params), self.constraints, self.name)

    def subspace(self, names: Iterable[str]) -> DesignSpace:
        """Only the listed parameters (constraints are dropped: they may need the others)."""
        wanted = set(names)
        return DesignSpace(tuple(p for p in self.params if p.name in wanted), (), self.name)

    def describe(self) -> list[dict[str, Any]]:
        return [{"name": p.name, "kind": p.kind, "unit": p.unit, "size": p.size,
                 "values": list(p.values), "default": p.default, "doc": p.doc} for p in self.params]


def _violated(constraint: Constraint, columns: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """True where each of the ``n`` designs of ``columns`` violates ``constraint`` (a scalar answer: the
    same for all)."""
    ok = np.asarray(constraint.check(columns), dtype=bool)
    return ~(ok if ok.shape == (n,) else np.broadcast_to(ok, (n,)))


#: most outcomes :class:`_Outcomes` remembers per constraint (a bound on memory, not on correctness)
OUTCOMES_MEMO = 4096


class _Outcomes:
    """One constraint's outcomes on single designs, remembered per the value indices of the columns it
    read. A check is a function of the values it reads: a design that agrees with an earlier one on
    every column that one's check read makes the check read the same columns, in the same order, with the
    same values, and give the same answer. So the read columns learnt from the first check key the
    memo, and an outcome is kept only when its check read exactly those columns."""

    def __init__(self, space: DesignSpace, constraint: Constraint):
        self.space, self.constraint = space, constraint
        self.read: tuple[int, ...] | None = None
        self.seen: dict[tuple[int, ...], bool] = {}

    def violated(self, indices: Sequence[int]) -> bool:
        """Whether the design at ``indices`` violates the constraint (:meth:`DesignSpace.violations_at`)."""
        if self.read is not None:
            hit = self.seen.get(tuple([indices[j] for j in self.read]))
            if hit is not None:
                return hit
        columns = _RowColumns(self.space, indices)
        hit = bool(_violated(self.constraint, columns, 1)[0])
        read = tuple(sorted(columns.read))
        if self.read is None:
            self.read = read
        if read == self.read and len(self.seen) < OUTCOMES_MEMO:
            self.seen[tuple([indices[j] for j in read])] = hit
        return hit


class _RowColumns(Mapping[str, np.ndarray]):
    """One design's :meth:`DesignSpace.indices_to_columns`, each one-entry column built when first read
    (``read``: the positions of those read)."""

    def __init__(self, space: DesignSpace, indices: Sequence[int]):
        self._positions = space._positions
        self._tables, self._indices = space._tables, indices
        self._built: Columns = {}
        self.read: set[int] = set()

    def __getitem__(self, name: str) -> np.ndarray:
        column = self._built.get(name)
        if column is None:
            j = self._positions[name]
            i = self._indices[j]
            column = self._built[name] = self._tables[j][i:i + 1].copy()
            self.read.add(j)
        return column

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)


def _py(value: Any) -> Any:
    """numpy scalar → Python scalar (for JSON and dict designs)."""
    return value.item() if isinstance(value, np.generic) else value
