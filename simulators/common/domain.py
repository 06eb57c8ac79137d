"""The allowed values of a family's numeric design parameters, checked before its model runs.

A :class:`Bound` is a closed (or left-open) range, optionally of integers. :func:`check_one` checks one
design dict with a plain-Python loop (a single evaluation's cost, well under a microsecond for ten
parameters), :func:`check_rows` a batch of dicts design by design; :func:`check_columns` checks a batch
given as columns, column by column with numpy (torch columns are read
through :func:`~simulators.common.arrays.to_numpy`). NaN, ±inf, booleans and non-numbers never pass.
A failure is one :class:`~archgym.errors.ConfigError` line naming the family, the design (its index in a
batch), the parameter, the value and the allowed range. Each family's bounds and their sources:
docs/robustness.md, "Design values at the simulator API".
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from archgym.errors import ConfigError
from simulators.common.arrays import to_numpy


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


class Table(NamedTuple):
    """Bounds as :func:`check_one` reads them: ``(name, lowest, high)`` of the integer ones and of the others
    (:attr:`Bound.lowest`), and every bound by name."""

    integers: tuple[tuple[str, float, float], ...]
    reals: tuple[tuple[str, float, float], ...]
    bounds: Mapping[str, Bound]


def table(bounds: Mapping[str, Bound]) -> Table:
    """``bounds`` as :func:`check_one` reads them (built once per family)."""
    return Table(tuple((n, b.lowest, b.high) for n, b in bounds.items() if b.integer),
                 tuple((n, b.lowest, b.high) for n, b in bounds.items() if not b.integer), bounds)


def check_one(family: str, design: Mapping[str, Any], bounds: Table, index: int | None = None) -> None:
    """Raise a one-line :class:`ConfigError` for the first bounded parameter of ``design`` outside its bound
    (parameters the design does not carry are not checked: the required ones are checked before);
    ``index``: the design's place in its batch, named in the error. Python ints (and floats where integers
    are not required) inside their ranges pass in one loop; anything else is checked value by value."""
    try:
        for name, lowest, high in bounds.integers:
            v = design[name]
            if type(v) is not int or not lowest <= v <= high:
                break
        else:
            for name, lowest, high in bounds.reals:
                v = design[name]
                if (type(v) is not float and type(v) is not int) or not lowest <= v <= high:
                    break
            else:
                return
    except KeyError:          # an optional parameter the design does not carry
        pass
    for name, bound in bounds.bounds.items():
        if name in design:
            _check_value(_where(family, index), name, design[name], bound)


def check_rows(family: str, designs: Sequence[Mapping[str, Any]], bounds: Table) -> None:
    """:func:`check_one` of each design of a batch given as dicts, the error naming the design's index."""
    for i, design in enumerate(designs):
        check_one(family, design, bounds, i)


def check_columns(family: str, columns: Mapping[str, Any], bounds: Mapping[str, Bound]) -> None:
    """:func:`check_one` for a batch given as columns (name → numpy array or torch tensor): the error names
    the first design (by index) whose value is not allowed."""
    for name, bound in bounds.items():
        if name not in columns:
            continue
        col = to_numpy(columns[name]).reshape(-1)
        if col.dtype.kind in "iuf":
            bad = np.flatnonzero(~bound.mask(col))
            if bad.size:
                i = int(bad[0])
                raise _error(_where(family, i), name, col[i].item(), bound)
        else:                 # booleans, strings, objects: each entry on its own
            for i, v in enumerate(col.tolist()):
                _check_value(_where(family, i), name, v, bound)


def _check_value(where: str, name: str, value: Any, bound: Bound) -> None:
    """Raise the error for ``value`` unless it is a real number (numpy scalars too) that ``bound`` allows."""
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


def _error(where: str, name: str, value: Any, bound: Bound) -> ConfigError:
    return ConfigError.bad_value(name, value, bound.text, where)


def _num(x: float) -> str:
    """A bound for the error text: integers up to 10⁷ in full, others as ``1e6`` / ``0.5``."""
    if float(x).is_integer() and abs(x) < 1e7:
        return str(int(x))
    return f"{x:g}".replace("e+0", "e").replace("e+", "e")
