"""The allowed values of a family's design parameters, checked before its model runs.

A :class:`Bound` is a closed (or left-open) range, optionally of integers; :class:`Choices` the values of a
categorical (string) parameter. :func:`check_one` checks one
design dict with a plain-Python loop (a single evaluation's cost, well under a microsecond for ten
parameters), :func:`check_rows` a batch of dicts design by design; :func:`check_columns` checks a batch
given as columns, column by column with numpy (torch columns are read
through :func:`~simulators.common.arrays.to_numpy`). NaN, ±inf, booleans and non-numbers never pass a
:class:`Bound`; only its own values pass a :class:`Choices` (``True`` is not ``1``).
A failure is one :class:`~archgym.errors.ConfigError` line naming the family, the design (its index in a
batch), the parameter, the value and the allowed range. Each family's bounds and their sources:
docs/robustness.md, "Design values at the simulator API".

Names: a bound's key is a parameter's name, or a pattern for per-layer knobs — ``"cut@*"`` (a trailing
``*``) bounds every parameter whose name starts with ``cut@``, ``"*.tile_folds"`` (a leading ``*``) every
one whose name ends with ``.tile_folds``. An exact name wins over a pattern, else the first pattern in the
mapping's order. Only the parameters a design carries are checked (optional knobs stay optional); which
bound applies to which of its names depends only on the set of names, so :class:`Table` keeps it per
name tuple.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from archgym.errors import ConfigError
from simulators.common.arrays import to_numpy
from simulators.common.memo import remember


@dataclass(frozen=True)
class Bound:
    """Values ``low ≤ v ≤ high`` (``low < v`` when not ``low_inclusive``), integers when ``integer``."""

    low: float
    high: float
    integer: bool = False
    low_inclusive: bool = True

    @property
    def lowest(self) -> float:
        """The least allowed value as an inclusive bound (the float after ``low`` when it is excluded:
        ``v ≥ lowest`` is exactly ``v > low`` for every int and float)."""
        return self.low if self.low_inclusive else math.nextafter(self.low, math.inf)

    @property
    def text(self) -> str:
        """What is allowed, for the error: "an integer in 1 … 65536", "a number > 0 and ≤ 1e9"."""
        kind = "an integer" if self.integer else "a number"
        if self.low_inclusive:
            return f"{kind} in {_num(self.low)} … {_num(self.high)}"
        return f"{kind} > {_num(self.low)} and ≤ {_num(self.high)}"

    def holds(self, value: float) -> bool:
        """Whether a finite or non-finite float ``value`` is allowed."""
        return self.lowest <= value <= self.high and (not self.integer or value.is_integer())

    def mask(self, column: np.ndarray) -> np.ndarray:
        """Which entries of a numeric numpy column are allowed (NaN never is)."""
        ok = (column >= self.lowest) & (column <= self.high)
        if self.integer and column.dtype.kind == "f":
            ok &= column == np.floor(column)
        return np.asarray(ok)


@dataclass(frozen=True)
class Choices:
    """The allowed values of a categorical parameter (the tuple its model and space use)."""

    values: tuple[Any, ...]

    @functools.cached_property
    def _keys(self) -> frozenset[tuple[str, Any]]:
        return frozenset((_kind(v), v) for v in self.values)

    @functools.cached_property
    def fast(self) -> frozenset[str]:
        """What :func:`check_one` tests ``value in`` first: the string values (no other value equals a
        string); any other value (an integer code, or not allowed) is checked by :meth:`holds`, where ``True``
        is not ``1``."""
        return frozenset(v for v in self.values if isinstance(v, str))

    @property
    def text(self) -> str:
        """What is allowed, for the error: "one of 'on', 'off'"."""
        return "one of " + ", ".join(repr(v) for v in self.values)

    def holds(self, value: Any) -> bool:
        """Whether ``value`` is one of :attr:`values` of the same kind (:func:`_kind`: ``True`` is not ``1``,
        ``1.0`` is not ``1``; numpy scalars count as their Python kind; unhashable: no)."""
        try:
            return (_kind(value), value) in self._keys
        except TypeError:
            return False


def _kind(value: Any) -> str:
    """A value's kind for :class:`Choices`: bool, int, real, str or its type's name."""
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int"
    if isinstance(value, numbers.Real):
        return "real"
    return "str" if isinstance(value, str) else type(value).__name__


#: what a family's ``bounds`` maps a name or pattern to
Domain = Bound | Choices


class Checks(NamedTuple):
    """The bounds of one set of names as :func:`check_one` reads them: ``(name, lowest, high)`` of the
    integer ones and of the others (:attr:`Bound.lowest`), ``(name, Choices.fast)`` of the categorical ones,
    and every bound by name."""

    integers: tuple[tuple[str, float, float], ...]
    reals: tuple[tuple[str, float, float], ...]
    choices: tuple[tuple[str, frozenset[str]], ...]
    bounds: Mapping[str, Domain]


#: name tuples a :class:`Table` keeps the checks of (a bound on memory, whatever the designs)
MEMO_LIMIT = 256


class Table:
    """A family's bounds (names and patterns, see the module docstring) and, per tuple of design names
    seen, the :class:`Checks` of those names (built once per family)."""

    def __init__(self, bounds: Mapping[str, Domain]):
        self.exact = {n: b for n, b in bounds.items() if not _is_pattern(n)}
        self.patterns = tuple((n, b) for n, b in bounds.items() if _is_pattern(n))
        self.memo: dict[tuple[str, ...], Checks] = {}

    def bound(self, name: str) -> Domain | None:
        """The bound of parameter ``name`` (its own, else the first pattern it matches), or ``None``."""
        own = self.exact.get(name)
        if own is not None or not self.patterns or not isinstance(name, str):
            return own
        return next((b for p, b in self.patterns if _matches(p, name)), None)

    def checks(self, names: tuple[str, ...]) -> Checks:
        """The :class:`Checks` of ``names`` (a design's, in order), memoised (:func:`check_one` reads the memo
        first)."""
        return remember(self.memo, names, lambda: self._build(names), MEMO_LIMIT)

    def _build(self, names: tuple[str, ...]) -> Checks:
        bounds = {n: b for n in names if (b := self.bound(n)) is not None}
        ranges = {n: b for n, b in bounds.items() if isinstance(b, Bound)}
        return Checks(tuple((n, b.lowest, b.high) for n, b in ranges.items() if b.integer),
                      tuple((n, b.lowest, b.high) for n, b in ranges.items() if not b.integer),
                      tuple((n, b.fast) for n, b in bounds.items() if isinstance(b, Choices)), bounds)


def _is_pattern(key: str) -> bool:
    return key.startswith("*") or key.endswith("*")


def _matches(pattern: str, name: str) -> bool:
    """Whether ``name`` matches ``pattern`` (``prefix*`` or ``*suffix``)."""
    return name.startswith(pattern[:-1]) if pattern.endswith("*") else name.endswith(pattern[1:])


def check_one(family: str, design: Mapping[str, Any], bounds: Table, index: int | None = None) -> None:
    """Raise a one-line :class:`ConfigError` for the first bounded parameter of ``design`` outside its bound
    (parameters the design does not carry are not checked: the required ones are checked before);
    ``index``: the design's place in its batch, named in the error. Python ints (and floats where integers
    are not required) inside their ranges, and strings among their choices, pass in one loop each; anything
    else is checked value by value."""
    key = tuple(design)
    checks = bounds.memo.get(key) or bounds.checks(key)
    for name, lowest, high in checks.integers:
        v = design[name]
        if type(v) is not int or not lowest <= v <= high:
            break
    else:
        for name, lowest, high in checks.reals:
            v = design[name]
            if (type(v) is not float and type(v) is not int) or not lowest <= v <= high:
                break
        else:
            try:
                for name, allowed in checks.choices:
                    if design[name] not in allowed:
                        break
                else:
                    return
            except TypeError:      # an unhashable value: checked below
                pass
    for name, bound in checks.bounds.items():
        _check_value(_where(family, index), name, design[name], bound)


def check_rows(family: str, designs: Sequence[Mapping[str, Any]], bounds: Table) -> None:
    """:func:`check_one` of each design of a batch given as dicts, the error naming the design's index."""
    for i, design in enumerate(designs):
        check_one(family, design, bounds, i)


def check_columns(family: str, columns: Mapping[str, Any], bounds: Table) -> None:
    """:func:`check_one` for a batch given as columns (name → numpy array or torch tensor): the error names
    the first design (by index) whose value is not allowed."""
    for name, bound in bounds.checks(tuple(columns)).bounds.items():
        col = to_numpy(columns[name]).reshape(-1)
        if isinstance(bound, Choices):
            values = col.tolist()
            try:
                if bound.fast.issuperset(values):
                    continue
            except TypeError:  # an unhashable entry: found below
                pass
            for i, v in enumerate(values):
                if not bound.holds(v):
                    raise _error(_where(family, i), name, v, bound)
        elif col.dtype.kind in "iuf":
            bad = np.flatnonzero(~bound.mask(col))
            if bad.size:
                i = int(bad[0])
                raise _error(_where(family, i), name, col[i].item(), bound)
        else:                 # booleans, strings, objects: each entry on its own
            for i, v in enumerate(col.tolist()):
                _check_value(_where(family, i), name, v, bound)


def _check_value(where: str, name: str, value: Any, bound: Domain) -> None:
    """Raise the error for ``value`` unless it is a real number (numpy scalars too) that ``bound`` allows, or
    one of its choices."""
    if isinstance(bound, Choices):
        if not bound.holds(value):
            raise _error(where, name, value.item() if isinstance(value, np.generic) else value, bound)
        return
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _error(where, name, value, bound)
    try:
        x = float(value)
    except OverflowError:          # an int beyond float range is beyond every bound
        raise _error(where, name, value, bound) from None
    if not bound.holds(x):
        raise _error(where, name, value.item() if isinstance(value, np.generic) else value, bound)


def _where(family: str, index: int | None) -> str:
    return f"{family} design" if index is None else f"{family} design {index}"


def _error(where: str, name: str, value: Any, bound: Domain) -> ConfigError:
    return ConfigError.bad_value(name, value, bound.text, where)


def _num(x: float) -> str:
    """A bound for the error text: integers up to 10⁷ in full, others as ``1e6`` / ``0.5``."""
    if float(x).is_integer() and abs(x) < 1e7:
        return str(int(x))
    return f"{x:g}".replace("e+0", "e").replace("e+", "e")
