"""Validation data: published figures, how the model reproduces each one, and the tolerance.

One :class:`Check` per published figure. ``benchmarks/validate.py`` writes ``docs/validation.md``
from these rows and ``tests/test_<family>_validation.py`` asserts the same rows, so the report and
the tests share one source of truth. A row is *independent* when no model parameter was derived
from its figure (``provenance.py`` records where every preset parameter comes from, and a test
checks that no independent row uses a figure a parameter was derived from); other rows are
*consistency checks* and never count as validation. A known miss stays in the table: its test
asserts that the model still misses (so a fix shows up as a failing test that asks for the table
to be updated), never that it passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Check:
    """One published figure and the model's reproduction of it."""

    key: str                      # short id, unique within a family (docs/references.md ids where they exist)
    figure: str                   # what is compared, with its unit
    source: str                   # where the published number comes from
    config: str                   # the configuration the model runs
    #: value, or (low, high) band (math.inf: a lower bound); a callable when the figure comes from
    #: running a reference tool (SCALE-Sim), so that it is computed only when the tool is there
    published: float | tuple[float, float] | Callable[[], float]
    model: Callable[[], float | tuple[float, float]]
    tolerance: float              # relative
    independent: bool             # False: a consistency check, not validation
    note: str = ""                # why this tolerance / why it misses / what is assumed
    known_miss: bool = False      # the model misses this figure (reported, not tuned away)
    derived_from: tuple[str, ...] = ()  # figure ids this row depends on (see provenance.FIGURES_USED)
    requires: str = ""            # "scalesim": needs SCALE-Sim's own Python


@dataclass(frozen=True)
class Outcome:
    """A check evaluated: the model figure, its error against the published one, pass or miss."""

    check: Check
    published: float | tuple[float, float] | None  # None: not run (a requirement is missing)
    model: float | tuple[float, float] | None
    error: float | None                          # relative, signed; 0 inside a band or range
    passed: bool | None

    @property
    def status(self) -> str:
        if self.passed is None:
            return "not run"
        if self.passed:
            return "pass"
        return "known miss" if self.check.known_miss else "FAIL"


def relative_error(model: float | tuple[float, float], published: float | tuple[float, float]) -> float:
    """Signed relative error; 0 when a model value lies in a published band or a model range
    contains the published value; otherwise the distance to the nearest end."""
    lo, hi = model if isinstance(model, tuple) else (model, model)
    plo, phi = published if isinstance(published, tuple) else (published, published)
    if hi < plo:
        return hi / plo - 1.0
    if lo > phi:
        return lo / phi - 1.0
    return 0.0


def evaluate(check: Check, available: Callable[[str], bool] = lambda _: True) -> Outcome:
    """Run ``check``'s model (unless its requirement is unavailable) and compare."""
    if check.requires and not available(check.requires):
        return Outcome(check, None, None, None, None)
    published = check.published() if callable(check.published) else check.published
    model = check.model()
    err = relative_error(model, published)
    return Outcome(check, published, model, err, abs(err) <= check.tolerance + 1e-12)


def verdict(outcome: Outcome) -> str | None:
    """What a test reports for this row: None when it holds (within tolerance, or a known miss
    still missing), else one line saying what changed."""
    c = outcome.check
    if outcome.passed is None or outcome.passed != c.known_miss:
        return None
    if c.known_miss:
        return (f"{c.key}: known miss now within ±{c.tolerance:.0%} (model {fmt(outcome.model)} vs "
                f"{fmt(outcome.published)}): drop known_miss and regenerate docs/validation.md")
    return (f"{c.key}: {c.figure}: model {fmt(outcome.model)} vs published {fmt(outcome.published)} "
            f"({outcome.error:+.1%}) outside ±{c.tolerance:.0%}")


def fmt(value: float | tuple[float, float] | None) -> str:
    """A figure for the table: 4 significant digits, ranges as ``lo–hi``, bounds as ``≥ lo``."""
    if value is None:
        return "—"
    if isinstance(value, tuple):
        lo, hi = value
        if math.isinf(hi):
            return f"≥ {fmt(lo)}"
        return fmt(lo) if lo == hi else f"{fmt(lo)}–{fmt(hi)}"
    return f"{value:,.4g}" if abs(value) < 1e3 else f"{value:,.0f}"


@dataclass
class Family:
    """The checks of one simulator family and the text the report puts above its table."""

    name: str
    intro: str
    checks: list[Check] = field(default_factory=list)
