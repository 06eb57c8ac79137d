"""Objectives: each kind orders designs as it should; invalid designs get the defined penalty."""

import math
import warnings

import numpy as np
import pytest

from archgym.errors import ConfigError
from archgym.evaluator import bound_violations
from archgym.metrics import Objective, Result, derive


def r(latency, energy, area=1.0, valid=True):
    return Result(derive({"latency_s": latency, "energy_j": energy, "area_mm2": area}), valid)


def test_minimize_is_log_scaled():
    obj = Objective.parse("latency_s")
    assert obj.cost(r(1e-3, 1)) == pytest.approx(-3)
    assert obj.reward(r(1e-3, 1)) > obj.reward(r(1e-2, 1))


def test_edp_and_weighted_log():
    obj = Objective.parse("edp")
    assert obj.cost(r(1e-3, 1e-2)) == pytest.approx(math.log10(1e-5))
    assert r(1e-3, 1e-2).metrics["edp_js"] == pytest.approx(1e-5)
    assert r(1e-3, 1e-2).metrics["power_w"] == pytest.approx(10)


def test_target_distance_is_archgym_style():
    obj = Objective.parse("target:latency_s=1e-3,area_mm2=10")
    assert obj.cost(r(1e-3, 1, 10)) == 0
    assert obj.cost(r(2e-3, 1, 5)) == pytest.approx(1 + 0.5)


def test_constraints_penalise_relative_excess():
    obj = Objective("minimize", "latency_s", constraints={"area_mm2": 10}, penalty=10)
    inside, outside = r(1e-3, 1, 9), r(1e-3, 1, 12)
    assert obj.cost(inside) == pytest.approx(-3)
    assert obj.cost(outside) == pytest.approx(-3 + 10 * 0.2)
    assert list(bound_violations(obj.constraints, outside.metrics)) == ["area_mm2<=10"]
    assert bound_violations(obj.constraints, inside.metrics) == {}


def test_invalid_designs_get_the_defined_penalty():
    obj = Objective.parse("edp")
    assert obj.cost(Result.invalid(["sram_fit"])) == obj.invalid_cost
    assert obj.cost(r(0.0, 1)) == obj.invalid_cost  # log of zero is not a cost
    costs = obj.cost_batch({"latency_s": np.array([1e-3, 1e-3]), "energy_j": np.array([1.0, 1.0])},
                           np.array([True, False]))
    assert costs[0] == pytest.approx(-3) and costs[1] == obj.invalid_cost


@pytest.mark.parametrize("spec", ["bogus:x=1", "log:", "target:latency_s=-1", {"kind": "nope"}, {"colour": 1}])
def test_bad_objectives(spec):
    with pytest.raises(ConfigError):
        Objective.parse(spec)


def test_unknown_metric_in_objective_names_the_metric():
    with pytest.raises(ConfigError, match="objective metric: 'speed'"):
        Objective.parse("speed").cost(r(1, 1))


def _numpy_derive(metrics):
    """``derive``'s EDP and power the numpy way (all of ``derive`` at 98c6e14), as Python floats."""
    lat = np.asarray(metrics["latency_s"], dtype=float)
    energy = np.asarray(metrics["energy_j"], dtype=float)
    power = np.divide(energy, lat, out=np.zeros(np.broadcast(energy, lat).shape), where=lat > 0)
    return {**metrics, "edp_js": energy * lat, "power_w": power}


@pytest.mark.parametrize("wrap", [float, lambda v: np.array([v])], ids=["floats", "arrays of one"])
def test_derive_of_one_design_is_numpy_derive(wrap):
    """One design's floats (or a batch of one's rows) take Python's × and ÷: numpy's bits and warnings on
    10⁵ values over the whole float range and its extremes (0, −0, subnormals, ±inf, NaN, overflow)."""
    rng = np.random.default_rng(4)
    x = 10.0 ** rng.uniform(-323, 308, (50_000, 2))
    x[rng.random(x.shape) < 0.05] *= -1
    extremes = [0.0, -0.0, 5e-324, 1e-308, 1.0, 1.7976931348623157e308, math.inf, -math.inf, math.nan]
    pick = rng.random(x.shape) < 0.05
    x[pick] = rng.choice(extremes, int(pick.sum()))
    fast = 0
    for i, (lat, energy) in enumerate(x.tolist()):
        metrics = {"latency_s": wrap(lat), "energy_j": wrap(energy)}
        finite = math.isfinite(lat * energy) and math.isfinite(energy / lat if lat > 0 else 0.0)
        if i % 20 == 0 or not finite:
            assert _with_warnings(derive, metrics) == _with_warnings(_numpy_derive, metrics), (lat, energy)
            continue
        got, want = derive(metrics), _numpy_derive(metrics)
        assert list(got) == ["latency_s", "energy_j", "edp_js", "power_w"]
        for k in ("edp_js", "power_w"):
            assert np.asarray(got[k]).tobytes() == np.asarray(want[k]).tobytes(), (lat, energy)
            assert type(got[k]) is (float if wrap is float else np.ndarray)
        fast += 1
    assert fast > len(x) // 4                              # the float way was taken often


def _with_warnings(fn, *args):
    """``fn(*args)``'s keys, its derived values as types and bytes, and the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args)
    derived = [(np.asarray(out[k]).shape, np.asarray(out[k]).tobytes()) for k in ("edp_js", "power_w")]
    return list(out), derived, [str(w.message) for w in caught]


def test_derive_keeps_given_values_and_arrays():
    lat, energy = np.array([1e-3, 0.0, np.nan]), np.array([2.0, 1.0, 1.0])
    out = derive({"latency_s": lat, "energy_j": energy, "edp_js": 7.0})
    assert out["edp_js"] == 7.0 and out["power_w"].tolist() == [2000.0, 0.0, 0.0]
    assert derive({"latency_s": 2.0, "energy_j": 3.0, "power_w": 1.0}) == \
        {"latency_s": 2.0, "energy_j": 3.0, "power_w": 1.0, "edp_js": 6.0}
