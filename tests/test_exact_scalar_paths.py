"""The one-design fast paths give, bit for bit, what their array twins give for a batch of one:
``Objective.cost_one`` against ``Objective.cost_batch`` and ``ObservationBuilder.normalise_metrics``
against ``ObservationBuilder._squash``, on over 10⁵ values spanning every float range and the extremes
(0, −0, subnormals, the largest floats, ±inf, NaN, missing metrics, ints), warnings included."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

from archgym.metrics import Objective
from archgym.space import DesignSpace, int_range
from archgym.workload import get_workload
from envs.observation import ObservationBuilder

EXTREMES = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1e-300, 1e-301, 1.0, 10.0, 1e300,
            1.7976931348623157e308,
            -1.0, -1e308, math.inf, -math.inf, math.nan]
OBJECTIVES = [
    Objective.parse("edp"),
    Objective.parse("min:latency_s"),
    Objective.parse("max:throughput_ops_per_s"),
    Objective.parse("target:latency_s=1e-3,area_mm2=10"),
    Objective("weighted_log", weights={"latency_s": 2, "energy_j": -0.5}, constraints={"area_mm2": 100},
              penalty=3),
    Objective("minimize", "energy_j", constraints={"area_mm2": 1e-20, "power_w": 7}, penalty=1e290),
    Objective("weighted_log", weights={"latency_s": 2 ** 60 + 1}),        # an int no float holds: array way
    Objective("target", targets={"latency_s": 1e-300}, constraints={"energy_j": 3}),
]
NAMES = ["latency_s", "energy_j", "area_mm2", "power_w", "throughput_ops_per_s"]


def _values(rng: np.random.Generator, n: int, exponent: float | np.ndarray = 0.0) -> np.ndarray:
    """Mostly within 30 decades of ``10**exponent``, else anywhere in the float range (either sign
    sometimes), extremes mixed in."""
    x = 10.0 ** np.clip(exponent + rng.uniform(-30, 30, n), -323, 308)
    wide = rng.random(n) < 0.2
    x[wide] = 10.0 ** rng.uniform(-323, 308, int(wide.sum()))
    x[rng.random(n) < 0.03] *= -1
    pick = rng.random(n) < 0.05
    x[pick] = rng.choice(EXTREMES, int(pick.sum()))
    return x


def _bits(x: float) -> bytes:
    return np.float64(x).tobytes()


def _metrics(row: np.ndarray, rng: np.random.Generator, names: list[str] = NAMES) -> dict[str, Any]:
    """Metrics of one design, some missing, some ints or numpy scalars rather than floats."""
    out: dict[str, Any] = {}
    for name, v, kind in zip(names, row.tolist(), rng.integers(0, 40, len(names)).tolist()):
        if kind == 0:
            continue                                   # not computed
        out[name] = {1: int(abs(v)) if math.isfinite(v) and abs(v) < 1e18 else v,
                     2: np.float64(v), 3: np.float32(v if abs(v) < 1e38 else 0.5)}.get(kind, v)
    return out


def _cost_batch(obj: Objective, metrics: dict[str, Any], valid: bool) -> float:
    arrays = {k: np.array([v], dtype=float) for k, v in metrics.items()}
    return float(obj.cost_batch(arrays, np.array([valid]))[0])


def _outcome(fn: Any, *args: Any) -> tuple[Any, list[str]]:
    """``fn(*args)``'s value (or error) and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value: Any = fn(*args)
        except Exception as exc:                       # the same error both ways
            value = f"{type(exc).__name__}: {exc}"
    if isinstance(value, float):
        value = _bits(value)
    elif isinstance(value, np.ndarray):
        value = (value.dtype, value.tobytes())
    return value, sorted(str(w.message) for w in caught)


@pytest.mark.parametrize("obj", OBJECTIVES, ids=[o.describe() for o in OBJECTIVES])
def test_cost_one_is_cost_batch_of_one(obj):
    rng = np.random.default_rng(1)
    n = 3_000                                           # × 5 metrics × 8 objectives: > 10⁵ values
    rows = _values(rng, n * len(NAMES)).reshape(n, len(NAMES))
    fast = 0
    for i, row in enumerate(rows):
        metrics, valid = _metrics(row, rng), i % 5 != 0
        fast += math.isfinite(obj._float_cost(metrics))
        if i % 20 == 0:                                 # warnings and errors too, on a share of the rows
            want_outcome = _outcome(_cost_batch, obj, metrics, valid)
            assert _outcome(obj.cost_one, metrics, valid) == want_outcome, metrics
        else:
            try:
                want = _cost_batch(obj, metrics, valid)
            except Exception:
                continue
            assert _bits(obj.cost_one(metrics, valid)) == _bits(want), (metrics, valid)
    assert fast > n // 10 or obj.weights.get("latency_s") == 2 ** 60 + 1   # the float way is tested


def test_cost_one_takes_the_float_way_on_plain_metrics():
    """The fast way is taken (no array built) for the usual valid design; NaN metrics take the array way."""
    obj = Objective("weighted_log", weights={"latency_s": 1.0, "energy_j": 1.0}, constraints={"area_mm2": 50})
    metrics = {"latency_s": 2e-3, "energy_j": 0.25, "area_mm2": 60.0}
    assert math.isfinite(obj._float_cost(metrics))
    assert math.isnan(obj._float_cost({**metrics, "energy_j": math.nan}))
    assert math.isnan(obj._float_cost({**metrics, "area_mm2": np.float32(60.0)}))


def _builder(metrics: list[str]) -> ObservationBuilder:
    space = DesignSpace((int_range("x", 0, 3),))
    reference = {"latency_s": 1e-3, "energy_j": 1e-300, "area_mm2": 1e300, "power_w": math.nan}
    return ObservationBuilder(space, get_workload("gemm:M=8,N=8,K=8"), metrics, reference, False)


def test_normalise_metrics_is_squash_of_one_row():
    builder = _builder(NAMES[:4] + ["utilization"])
    rng = np.random.default_rng(2)
    exponents = np.log10(builder.reference)
    rows = _values(rng, 20_000 * 5, np.tile(exponents, 20_000)).reshape(-1, 5)
    fast = 0
    for i, row in enumerate(rows):
        metrics = _metrics(row, rng, builder.metrics)
        fast += all(type(v) is float for v in metrics.values())
        raw = np.array([[metrics.get(m, np.nan) for m in builder.metrics]], dtype=float)
        if i % 20 == 0:
            want_outcome = _outcome(lambda r: builder._squash(r)[0], raw)
            assert _outcome(builder.normalise_metrics, metrics) == want_outcome, metrics
        else:
            got = builder.normalise_metrics(metrics)
            assert got.dtype == np.float32 and got.tobytes() == builder._squash(raw)[0].tobytes(), metrics
    assert fast > len(rows) // 10


def test_normalise_metrics_without_metrics():
    assert _builder([]).normalise_metrics({"latency_s": 1.0}).shape == (0,)
    assert _builder(["latency_s"]).normalise_metrics({}).tolist() == [0.5]


@pytest.mark.parametrize("ufunc", [np.log10, np.tanh])
def test_numpy_ufuncs_do_not_depend_on_position(ufunc):
    """The fast paths call log10 / tanh once on several values where the array paths call them on
    one-element arrays: every element must come out as it does alone."""
    x = np.abs(_values(np.random.default_rng(3), 100_000))
    with np.errstate(divide="ignore", invalid="ignore"):
        together = ufunc(x)
        alone = np.concatenate([ufunc(x[i:i + 1]) for i in range(len(x))])
    assert together.tobytes() == alone.tobytes()
