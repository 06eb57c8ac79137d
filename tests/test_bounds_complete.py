"""Every design parameter of every family is bounded (docs/robustness.md, "Design values at the simulator
API"), so a hostile value for any of them, or a missing one, is one ConfigError line at every fidelity: never
a raw exception (found by tests/test_fuzz.py's simulator-design fuzzing: unhashable values, a complex number,
an empty list, a huge integer, a missing mapping knob, the SCALE-Sim fidelity's integer dataflow codes)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from archgym.errors import ConfigError
from archgym.metrics import Result
from archgym.simulator import get_simulator
from archgym.workload import get_workload
from simulators.common.family import Family

GEMM = "gemm:M=64,N=64,K=64"
FAMILIES = ("systolic", "loopnest", "pim", "fpga", "rdu", "dram")
#: family → workloads whose spaces are checked (their layer names shape the per-layer spaces)
WORKLOADS = {"systolic": (GEMM, "resnet18"), "loopnest": (GEMM, "resnet18"), "pim": (GEMM, "gpt2-decode"),
             "fpga": (GEMM, "mobilenetv2"), "rdu": (GEMM, "resnet18"), "dram": (GEMM,)}
#: values no parameter allows
HOSTILE: tuple[Any, ...] = ([], {}, [8], 1 + 1j, None, 10**30)


def _spaces(family: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(workload, mapping mode, default design) of each space the family offers on its workloads."""
    sim = get_simulator(family)
    out = []
    for name in WORKLOADS[family]:
        for mode in ("auto", "shared", "per-layer"):
            try:
                out.append((name, mode, dict(sim.space(get_workload(name), None, mode).default())))
            except ConfigError:              # a mode the family does not offer
                pass
    return out


@pytest.mark.parametrize("family", FAMILIES)
def test_every_space_parameter_has_a_bound(family: str) -> None:
    sim = get_simulator(family)
    assert isinstance(sim, Family)
    for preset in sim.presets():
        for name in WORKLOADS[family]:
            for mode in ("auto", "shared", "per-layer"):
                try:
                    space = sim.space(get_workload(name), preset, mode)
                except ConfigError:
                    continue
                unbounded = [p.name for p in space.params if sim._bound_table.bound(p.name) is None]
                assert not unbounded, (preset, name, mode, unbounded)


def _one_line_error(call: Any, *args: Any) -> str:
    with pytest.raises(ConfigError) as err:
        call(*args)
    text = str(err.value)
    assert text and "\n" not in text
    return text


@pytest.mark.parametrize("family", FAMILIES)
def test_a_hostile_value_for_any_parameter_is_one_line(family: str) -> None:
    sim = get_simulator(family)
    wl = get_workload(GEMM)
    for _, mode, design in _spaces(family)[:3]:
        for name in design:
            for value in HOSTILE:
                bad = {**design, name: value}
                text = _one_line_error(sim.evaluate, bad, wl)
                assert name in text, text
                _one_line_error(sim.evaluate_batch, [design, bad], wl)


@pytest.mark.parametrize("family", FAMILIES)
def test_a_missing_parameter_is_a_result_or_one_line_naming_it(family: str) -> None:
    """Optional knobs ("absent = auto") give a result; any other missing name is the one-line error (which
    may name another parameter: a loop-nest design without ``LAYER.order_in`` reads as a shared one, which
    lacks ``dataflow``)."""
    sim = get_simulator(family)
    wl = get_workload(GEMM)
    for fidelity in sim.fidelities:
        for _, mode, design in _spaces(family)[:3]:
            for name in design:
                partial = {k: v for k, v in design.items() if k != name}
                try:
                    result = sim.evaluate(partial, wl, fidelity)
                except ConfigError as err:
                    text = str(err)
                    assert "\n" not in text and re.search(r"missing (per-layer )?parameter", text), (fidelity, mode, text)
                    continue
                assert isinstance(result, Result) and isinstance(result.layers, list), (fidelity, mode, name)


def test_scalesim_fidelity_takes_the_integer_codes() -> None:
    """The analytical model's dataflow / fold-order codes (0/1/2) mean the same at the SCALE-Sim fidelity."""
    sim = get_simulator("systolic")
    wl = get_workload("resnet18")
    design = dict(sim.space(wl, None, "shared").default())
    for code, name in enumerate(("os", "ws", "is")):
        named = sim.evaluate({**design, "dataflow": name, "fold_order": "col"}, wl, "scalesim")
        coded = sim.evaluate({**design, "dataflow": code, "fold_order": 1}, wl, "scalesim")
        assert coded.valid and coded.metrics == named.metrics
        assert [row["dataflow"] for row in coded.layers] == [name] * len(coded.layers)
