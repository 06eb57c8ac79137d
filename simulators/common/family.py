"""One vectorised base for every simulator family (a template method, like SB3's ``BaseAlgorithm``).

A family supplies two things: its required parameter columns (:attr:`Family.parameters`) and its
model over arrays of designs (:meth:`Family.model`, returning a :class:`ModelOutput`). The base
does the rest once for every family:

* ``evaluate`` is ``evaluate_batch`` of one design (plus design 0's per-layer detail): the same
  model call, with its one row read as Python floats rather than stacked into a block;
* a missing required parameter is a :class:`~archgym.errors.ConfigError` naming it (no silent
  defaults; mapping knobs that a family documents as "absent = auto" are the family's business);
* validity: a design is invalid when any of the model's violation masks is set for it, or, when
  none is, if a metric is not finite (violation ``non_finite:METRIC``), the same for one design
  and for a batch;
* derived metrics (EDP, power) come from :func:`archgym.metrics.derive`, never from a family;
* units: every metric leaves as a float64 numpy array with one entry per design (torch tensors and
  scalars broadcast), under a name that carries its unit (:data:`archgym.metrics.METRICS`).
"""

from __future__ import annotations

import functools
import math
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.metrics import BatchResult, Result, derive
from archgym.simulator import Simulator
from archgym.space import PLAIN_DTYPES
from archgym.workload import Workload
from simulators.common import domain
from simulators.common.arrays import broadcast_stack, is_torch, to_numpy
from simulators.common.domain import Domain

#: design 0's per-layer rows, built only when ``Result.layers`` of one evaluation is read
LayerRows = Callable[[], list[dict[str, Any]]]
#: design 0's ``info`` extras, computed only when one design is evaluated
Info = Callable[[], dict[str, Any]]


class Designs:
    """A batch of ``n`` designs seen as columns (name → array) and as rows (dicts), each built on
    first use from whichever form the caller gave."""

    def __init__(self, family: str, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any]):
        self.family = family
        self._rows: list[Mapping[str, Any]] | None = None
        self._cols: dict[str, Any] | None = None
        self._names: Mapping[str, Any] | None = None
        if type(designs) is not list and isinstance(designs, Mapping):
            self._cols = {k: v if is_torch(v) else np.asarray(v) for k, v in designs.items()}
            self.n = len(next(iter(self._cols.values()))) if self._cols else 0
        else:
            self._rows = list(designs)
            self.n = len(self._rows)

    @property
    def names(self) -> Mapping[str, Any]:
        """The parameter names (of the first design when given as rows) as the keys of a mapping, in order
        (a design given as a dict is its own)."""
        if self._names is None:
            keys = self._cols if self._cols is not None else (self._rows[0] if self._rows else {})
            self._names = keys if type(keys) is dict else dict.fromkeys(keys)
        return self._names

    @property
    def columns(self) -> dict[str, Any]:
        """Name → array over the designs (numpy; torch tensors pass through)."""
        if self._cols is None:
            rows = self._rows or []
            cols = {}
            for k in self.names:
                try:
                    vals = [d[k] for d in rows]
                except KeyError:
                    raise self.missing(k) from None
                cols[k] = np.array(vals, dtype=object if isinstance(vals[0], str) else None)
            self._cols = cols
        return self._cols

    @property
    def rows(self) -> list[Mapping[str, Any]]:
        """One dict of plain Python values per design."""
        if self._rows is None:
            cols = self.columns
            lists = [to_numpy(cols[k]).reshape(-1).tolist() for k in cols]
            self._rows = [dict(zip(cols, vals)) for vals in zip(*lists)]
        return self._rows

    @property
    def one(self) -> Mapping[str, Any] | None:
        """The design of a batch of one given as a dict, else ``None``: a model may read its plain values
        directly rather than build columns of one entry."""
        rows = self._rows
        return rows[0] if rows is not None and len(rows) == 1 else None

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def column(self, name: str) -> Any:
        """The column of a required parameter (a :class:`ConfigError` when absent)."""
        if name not in self:
            raise self.missing(name)
        return self.columns[name]

    def single(self, name: str) -> Any:
        """A parameter that must take one value across the batch (word size, technology, preset)."""
        vals = to_numpy(self.column(name)).reshape(-1)
        first = vals[0]
        if vals.size > 1 and not _all_equal(vals, first):
            raise ConfigError(f"{self.family} design: {name} must be the same for every design of a batch "
                              f"(got {first!r} and others)")
        return first.item() if isinstance(first, np.generic) else first

    def missing(self, name: str) -> ConfigError:
        return ConfigError(f"{self.family} design: missing parameter {name!r}")


@dataclass
class ModelOutput:
    """What a family's model returns for ``n`` designs.

    ``metrics``: name (with unit) → array over the designs or a scalar shared by all;
    ``violations``: constraint name → boolean mask over the designs (True = violated);
    ``layers``: design 0's per-layer rows (``evaluate`` hands it to the result, which builds them
    when they are first read); ``info``: design 0's extras (called only by ``evaluate``).
    """

    metrics: Mapping[str, Any]
    violations: Mapping[str, Any] = field(default_factory=dict)
    layers: LayerRows | None = None
    info: Info | None = None


class Family(Simulator):
    """Base class of the simulator families: columns in, metric arrays out (see the module docstring)."""

    #: parameters every design must carry (hardware and constants); the model may read more
    parameters: tuple[str, ...] = ()
    #: allowed values of design parameters (ranges, choices), checked before the model runs (:mod:`simulators.common.domain`)
    bounds: Mapping[str, Domain] = {}
    #: what the model needs of a workload, checked before it runs: ``"ops"`` an operator (a request trace
    #: has none), ``"layers"`` a MAC-bearing one, ``""`` nothing (the DRAM family takes traces)
    workload_needs = "ops"

    @abstractmethod
    def model(self, designs: Designs, workload: Workload, fidelity: str) -> ModelOutput:
        """The family's model over a batch of ``designs`` (``designs.n ≥ 1``) at ``fidelity``."""

    # -- template methods ------------------------------------------------------------------------
    def evaluate(self, design: Mapping[str, Any], workload: Workload, fidelity: str = "analytical") -> Result:
        """One design: :meth:`evaluate_batch` of one (the same model call on one design, the same
        derived metrics and validity rules, read as Python floats: :func:`_one`), with its info and
        (built when read) per-layer rows."""
        designs = Designs(self.name, [design])
        out = self._model(designs, workload, fidelity)
        return _one(out, fidelity)

    def evaluate_batch(self, designs: Sequence[Mapping[str, Any]] | Mapping[str, Any],
                       workload: Workload, fidelity: str = "analytical") -> BatchResult:
        """Many designs (a list of dicts, or name → array: numpy, or torch where a family allows). A list
        of one design, or columns of one entry (an env step), takes :meth:`evaluate`'s way (:func:`_row`:
        the same values as a batch's row 0)."""
        one = _only_design(designs)
        if one is not None:
            metrics, violations = self._one_row(one, workload, fidelity)
            rows = np.array(list(metrics.values()), dtype=np.float64).reshape(-1, 1)
            return BatchResult(dict(zip(metrics, rows)), np.array([not violations]), [violations])
        return self._run(Designs(self.name, designs), workload, fidelity)

    def evaluate_row(self, design: Mapping[str, Any], workload: Workload, fidelity: str = "analytical"
                     ) -> tuple[dict[str, float], list[str]] | None:
        """One design's row of :meth:`evaluate_batch` with no batch to pack or read: its metrics as Python
        floats, derived ones included, and its violations (valid when there are none);
        :meth:`archgym.evaluator.Evaluator.evaluate_one` calls it. ``None`` when a subclass overrides
        :meth:`evaluate_batch` (whose rows are then its own)."""
        if type(self).evaluate_batch is not Family.evaluate_batch:
            return None
        return self._one_row(design, workload, fidelity)

    def _one_row(self, design: Mapping[str, Any], workload: Workload, fidelity: str
                 ) -> tuple[dict[str, float], list[str]]:
        """The model on one design, read as :meth:`_run` would put it in a batch's row 0 (:func:`_row`)."""
        return _row(self._model(Designs(self.name, [design]), workload, fidelity))

    def _run(self, designs: Designs, workload: Workload, fidelity: str) -> BatchResult:
        """The batch result of the model on ``designs``, its metrics' rows views of one ``(metrics, designs)``
        block."""
        if designs.n == 0:
            self.check_fidelity(fidelity)
            return BatchResult({}, np.zeros(0, dtype=bool), [])
        out = self._model(designs, workload, fidelity)
        n = designs.n
        given, block = _stacked(out.metrics, n)
        derived = derive(given)
        block = _derived_block(derived, given, block)
        metrics = dict(zip(derived, block))
        masks = _stacked(out.violations, n, bool)[0]
        finite = np.isfinite(block)
        if not finite.all():      # a design the model passed but that has a non-finite metric
            flagged = np.logical_or.reduce(list(masks.values())) if masks else np.zeros(n, dtype=bool)
            bad = ~finite & ~flagged
            rows = list(metrics)
            for j in np.flatnonzero(bad.any(axis=1)).tolist():
                masks[f"non_finite:{rows[j]}"] = bad[j]
        return BatchResult(metrics, *_validity(masks, n))

    def _model(self, designs: Designs, workload: Workload, fidelity: str) -> ModelOutput:
        """The model's output on ``designs`` (``n ≥ 1``), after the fidelity and the required parameters
        are checked; a mapping knob the model needs and the design lacks (one it looks up by name and
        :attr:`bounds` knows) is the same one-line error as a missing required parameter."""
        self.check_fidelity(fidelity)
        names = designs.names
        if not names.keys() >= self._required:
            raise designs.missing(next(name for name in self.parameters if name not in names))
        if self.bounds:
            self._check_bounds(designs)
        self.check_workload(workload)
        try:
            return self.model(designs, workload, fidelity)
        except KeyError as exc:
            name = exc.args[0] if len(exc.args) == 1 else None
            if type(name) is str and name not in names and self._bound_table.bound(name) is not None:
                raise designs.missing(name) from None
            raise

    def check_workload(self, workload: Workload) -> None:
        """A one-line :class:`ConfigError` unless ``workload`` has what :attr:`workload_needs` (a model, and a
        family's ``space``, would fail on it with a raw error)."""
        if self.workload_needs and not (workload.has_layers if self.workload_needs == "layers" else len(workload)):
            what = "a MAC-bearing operator (conv2d, gemm, gemv, attention)" if self.workload_needs == "layers" else "an operator"
            raise ConfigError.bad_value("workload", workload.name, f"a workload with {what}", where=self.name)

    def _check_bounds(self, designs: Designs) -> None:
        """:attr:`bounds` on ``designs``: given as dicts, design by design (a plain loop; one design's error
        names no index); as columns, at once."""
        rows = designs._rows
        if rows is None:
            domain.check_columns(self.name, designs.columns, self._bound_table)
        elif len(rows) == 1:
            domain.check_one(self.name, rows[0], self._bound_table)
        else:
            domain.check_rows(self.name, rows, self._bound_table)

    @functools.cached_property
    def _bound_table(self) -> domain.Table:
        """:attr:`bounds` as the :class:`~simulators.common.domain.Table` that :meth:`_check_bounds` and
        :meth:`_model` read (built once per family)."""
        return domain.Table(self.bounds)

    @functools.cached_property
    def _required(self) -> frozenset[str]:
        """:attr:`parameters` as a set (one subset test per call)."""
        return frozenset(self.parameters)


def _only_design(designs: Sequence[Mapping[str, Any]] | Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The design of a batch of one: a list's only dict, or columns of one entry each (numpy int64,
    float64, bool, str or object arrays) as a dict of Python values; ``None`` for anything else."""
    if type(designs) is list:
        return designs[0] if len(designs) == 1 else None
    if type(designs) is not dict or not designs:
        return None
    one = {}
    for name, column in designs.items():
        if type(column) is not np.ndarray or column.shape != (1,) or (
                column.dtype not in PLAIN_DTYPES and column.dtype.kind != "U"):
            return None
        one[name] = column.tolist()[0]
    return one


def _row(out: ModelOutput) -> tuple[dict[str, float], list[str]]:
    """A model's output on one design as the values :meth:`Family._run` puts in the batch's row 0 (each
    metric as a float64, :func:`~archgym.metrics.derive` of them, a violation when its mask is set, else
    ``non_finite:METRIC`` for each metric that is not finite), without the ``(metrics, 1)`` block and masks."""
    given = out.metrics
    if type(given) is not dict or not _FLOAT.issuperset(map(type, given.values())):  # else already floats
        given = {k: v if type(v) is float else _float(v) for k, v in given.items()}
    metrics = derive(given)
    violations = [k for k, v in out.violations.items() if (v if type(v) is bool else _entry(v))]
    if not violations and not math.isfinite(sum(metrics.values())):   # a non-finite term makes the sum one
        violations = [f"non_finite:{k}" for k, v in metrics.items() if not math.isfinite(v)]
    return metrics, violations


#: the type of a metric :func:`_row` takes as it is
_FLOAT = frozenset((float,))


def _one(out: ModelOutput, fidelity: str) -> Result:
    """The :class:`Result` of a model's output on one design: :func:`_row`'s values, its info and layers."""
    metrics, violations = _row(out)
    info = out.info() if out.info is not None else {}
    return Result(metrics, not violations, violations, out.layers or [], {"fidelity": fidelity, **info})


def _float(value: Any) -> float:
    """One design's metric as the float64 a batch's block holds: numpy float scalars and ints by ``float``,
    else :func:`_entry`."""
    if isinstance(value, (float, int)):
        return float(value)
    return float(_entry(value))


def _entry(value: Any) -> Any:
    """One design's entry of a model output (a metric or a violation mask): a one-entry array's entry, other
    values broadcast to one entry as :func:`_stacked` does (its error for a value of more entries)."""
    if type(value) is np.ndarray and value.size == 1:
        return value.item(0)
    return np.broadcast_to(to_numpy(value).reshape(-1), (1,))[0]


def _all_equal(vals: np.ndarray, first: Any) -> bool:
    """Whether every entry of ``vals`` equals ``first`` (object arrays of strings: ``list.count``, which
    checks identity before equality, is ~6× cheaper than numpy's element-wise object comparison)."""
    if vals.dtype == object:
        return vals.tolist().count(first) == vals.size
    return bool((vals == first).all())


def _stacked(values: Mapping[str, Any], n: int,
             dtype: type = np.float64) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Name → one numpy row of ``n`` entries per value (scalars, length-1 arrays and tensors broadcast),
    all rows views of one block ``(values, n)``, and the block."""
    block: np.ndarray = np.empty((len(values), n), dtype=dtype)
    for i, v in enumerate(values.values()):
        block[i] = v.reshape(-1) if type(v) is np.ndarray else to_numpy(v).reshape(-1)
    return dict(zip(values, block)), block


def _derived_block(derived: Mapping[str, Any], given: Mapping[str, np.ndarray], block: np.ndarray) -> np.ndarray:
    """``derived`` (from :func:`archgym.metrics.derive`) as one block: ``given``'s rows (``block``) copied
    at once and the derived metrics appended when ``derived`` starts with ``given`` unchanged, else every
    value stacked."""
    k = len(given)
    head = list(derived)[:k]
    if head != list(given) or any(derived[name] is not given[name] for name in head):
        return broadcast_stack(list(derived.values())) if derived else np.zeros((0, block.shape[1]))
    out = np.empty((len(derived), block.shape[1]))
    out[:k] = block
    for i, name in enumerate(list(derived)[k:], start=k):
        out[i] = derived[name]
    return out


def loop(designs: Designs, one: Callable[[Mapping[str, Any]], Result]) -> ModelOutput:
    """The model of a family without a batched path at some fidelity: ``one`` design at a time,
    stacked (metrics a design lacks are NaN; its violations become masks)."""
    results = [one(d) for d in designs.rows]
    keys = dict.fromkeys(k for r in results for k in r.metrics)
    metrics = {k: np.array([r.metrics.get(k, np.nan) for r in results], dtype=float) for k in keys}
    names = dict.fromkeys(v for r in results for v in r.violations)
    violations = {v: np.array([v in r.violations for r in results]) for v in names}
    first = results[0]
    return ModelOutput(metrics, violations, lambda: first.layers, lambda: first.info)


def _validity(masks: Mapping[str, np.ndarray], n: int) -> tuple[np.ndarray, list[list[str]]]:
    """(valid mask, violation names per design) from named violation masks."""
    names = [k for k, v in masks.items() if v.any()]
    if not names:
        return np.ones(n, dtype=bool), [[] for _ in range(n)]
    bad = np.stack([masks[k] for k in names], axis=1)
    valid = np.asarray(~bad.any(axis=1))
    per_design: list[list[str]] = [[] for _ in range(n)]
    for name in names:                   # each name's designs at once (a design's names stay in `names` order)
        for i in np.flatnonzero(masks[name]).tolist():
            per_design[i].append(name)
    return valid, per_design
