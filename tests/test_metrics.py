"""Objectives: each kind orders designs as it should; invalid designs get the defined penalty."""

import math

import numpy as np
import pytest

from archgym.errors import ConfigError
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
    assert obj.constraint_violations(outside.metrics) == ["area_mm2<=10"]


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
