"""Design values at the simulator API (docs/robustness.md): a numeric parameter outside its family's
bounds, or a categorical one not among its choices, is one ConfigError line naming the family, design, field, value and what is allowed, for one
design and for batches (dicts, numpy or torch columns); every value of every preset's space is allowed,
and bounds change no in-bounds result."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

from archgym.errors import ConfigError
from archgym.simulator import get_simulator
from archgym.workload import Workload, get_workload
from simulators.common import domain
from simulators.common.domain import Bound, Choices, Domain
from simulators.common.family import Family

#: family → workloads its spaces are built on (their layer names shape the per-layer spaces)
WORKLOADS = {"systolic": ("resnet18", "bert-base:seq=64"), "loopnest": ("resnet18",),
             "pim": ("gpt2-decode", "resnet18"), "fpga": ("resnet18", "mobilenetv2"),
             "rdu": ("resnet18",), "dram": ("trace:pattern=random,n=2000",)}
#: the probe's values (issue: systolic rows=-1 "valid" with negative energy, rdu lanes=0 a ZeroDivisionError,
#: fpga groups=1e12 a MemoryError), and non-numbers
PROBE = (0, -1, math.nan, math.inf, -math.inf, 0.5, 10**12, 1e300, "8", None, [8], True)


def _family(name: str) -> Family:
    sim = get_simulator(name)
    assert isinstance(sim, Family)
    return sim


def _allowed(bound: Domain, value: Any) -> bool:
    if isinstance(bound, Choices):
        return bound.holds(value)
    return type(value) in (int, float) and bound.holds(float(value))


def _default(family: str, mapping: str = "auto") -> tuple[Family, Workload, dict[str, Any]]:
    sim = _family(family)
    wl = get_workload(WORKLOADS[family][0])
    return sim, wl, dict(sim.space(wl, mapping=mapping).default())


def _bound(sim: Family, name: str) -> Domain | None:
    """The bound of parameter ``name`` (its own or a pattern's), else ``None``."""
    return domain.Table(sim.bounds).bound(name)


#: family → mapping modes with numeric mapping knobs, and one of each knob's kind (shared, per layer)
KNOB_CASES = [("systolic", "shared", "tile_folds"), ("systolic", "per-layer", "conv1.tile_folds"),
              ("systolic", "per-layer", "fc.tile_folds"), ("pim", "shared", "split_k"),
              ("pim", "shared", "tile_rows"), ("pim", "shared", "sub_batches"), ("pim", "per-layer", "L0_qkv.split_k"),
              ("fpga", "per-layer", "pe_conv1"), ("fpga", "per-layer", "simd_fc"), ("rdu", "shared", "max_section"),
              ("rdu", "per-layer", "share@conv1"), ("rdu", "per-layer", "cut@maxpool"),
              ("loopnest", "per-layer", "conv1.tile_K"), ("loopnest", "per-layer", "fc.tile_FX")]


@pytest.mark.parametrize("family", sorted(WORKLOADS))
def test_every_preset_and_space_value_is_allowed(family: str) -> None:
    sim = _family(family)
    rows = domain.Table(sim.bounds)
    assert set(rows.exact) <= set(sim.parameters) | KNOBS     # bounded by name: required ones, or mapping knobs
    checked = 0
    for preset, cfg in sim.presets().items():
        if hasattr(cfg, "design"):
            domain.check_one(family, cfg.design(), rows)
        for wl_name in WORKLOADS[family]:
            wl = get_workload(wl_name)
            for mode in ("auto", "shared", "per-layer"):
                try:
                    space = sim.space(wl, preset, mode)
                except ConfigError:          # a mode the family does not offer
                    continue
                domain.check_one(family, space.default(), rows)
                for p in space.params:
                    if rows.bound(p.name) is not None:
                        for v in p.values:
                            domain.check_one(family, {p.name: v}, rows)
                            checked += 1
    assert checked > 0


#: the optional mapping knobs bounded by their exact name (each family's per-layer ones by pattern)
KNOBS = {"tile_folds", "split_k", "tile_rows", "sub_batches", "max_section", "dataflow", "fold_order", "fc_place",
         "attn_place", "reconfig", "weight_mem", "fusion", "pcu_alloc", "mapping_objective", "tp", "buffer_depth"}


@pytest.mark.parametrize("family", sorted(WORKLOADS))
def test_a_bad_value_is_one_line_naming_the_field(family: str) -> None:
    sim, wl, design = _default(family)
    raised = 0
    for name, bound in sim.bounds.items():
        if name not in design:
            continue
        for value in PROBE:
            if _allowed(bound, value):
                continue
            with pytest.raises(ConfigError) as err:
                sim.evaluate({**design, name: value}, wl)
            msg = str(err.value)
            assert "\n" not in msg and msg.startswith(f"{family} design: {name}: "), msg
            assert repr(value) in msg and bound.text in msg, msg
            raised += 1
    assert raised >= 3 * len([n for n in sim.bounds if n in design])


@pytest.mark.parametrize("family", ["systolic", "pim", "fpga", "rdu", "dram"])
def test_a_batch_error_names_the_design(family: str) -> None:
    sim, wl, design = _default(family)
    name = next(iter(sim.bounds))       # an integer count in every family
    bad = {**design, name: -1}
    with pytest.raises(ConfigError, match=rf"^{family} design 2: {name}: -1 is not allowed"):
        sim.evaluate_batch([design, design, bad, design], wl)
    cols = {k: np.array([v] * 4) for k, v in design.items()}
    cols[name] = np.array([design[name]] * 3 + [math.nan])
    with pytest.raises(ConfigError, match=rf"^{family} design 3: {name}: nan is not allowed; allowed: "):
        sim.evaluate_batch(cols, wl)
    with pytest.raises(ConfigError, match=rf"^{family} design: {name}: 0.5 is not allowed"):
        sim.evaluate_batch({k: np.array([0.5 if k == name else v]) for k, v in design.items()}, wl)  # env step


def test_torch_columns_are_checked() -> None:
    torch = pytest.importorskip("torch")
    sim, wl, design = _default("systolic")
    cols: dict[str, Any] = {k: [v] * 3 for k, v in design.items()}
    cols["rows"] = torch.tensor([32.0, 64.0, -8.0])
    with pytest.raises(ConfigError, match=r"^systolic design 2: rows: -8.0 is not allowed; allowed: an integer in 1"):
        sim.evaluate_batch(cols, wl)


@pytest.mark.parametrize("family,n", [("systolic", 300), ("pim", 300), ("fpga", 200), ("rdu", 60), ("dram", 60)])
def test_in_bounds_results_are_unchanged(family: str, n: int) -> None:
    """A family without bounds gives the same bits, validity and violations on random in-bounds designs (so the
    check only refuses, and refuses none of them), as a batch and one design at a time."""
    sim, wl, _ = _default(family)
    free = type(sim)()
    free.bounds = {}
    space = sim.space(wl)
    designs = [dict(d) for d in space.sample(n, 11)]
    got, want = sim.evaluate_batch(designs, wl), free.evaluate_batch(designs, wl)
    assert list(got.metrics) == list(want.metrics)
    for k in want.metrics:
        assert np.asarray(got.metrics[k]).tobytes() == np.asarray(want.metrics[k]).tobytes(), k
    assert got.valid.tolist() == want.valid.tolist() and got.violations == want.violations
    for d in designs[:5]:
        one, ref = sim.evaluate(d, wl), free.evaluate(d, wl)
        assert one.metrics == ref.metrics and one.valid == ref.valid and one.violations == ref.violations


def test_bound_text_and_edges() -> None:
    rate = Bound(0, 1e6, low_inclusive=False)
    count = Bound(1, 1 << 16, integer=True)
    assert rate.text == "a number > 0 and ≤ 1000000" and count.text == "an integer in 1 … 65536"
    assert Bound(0, 1.5e9).text == "a number in 0 … 1.5e9"
    assert rate.holds(5e-324) and not rate.holds(0.0) and rate.holds(1e6) and not rate.holds(1e6 + 1)
    assert count.holds(65536.0) and not count.holds(1.5) and not count.holds(math.nan)
    rows = domain.Table({"n": count})
    domain.check_one("x", {"n": np.int64(4)}, rows)        # numpy scalars are numbers
    domain.check_one("x", {"n": 4.0}, rows)                 # a whole float is an integer
    with pytest.raises(ConfigError, match=r"^x design: n: 4\.5 is not allowed"):
        domain.check_one("x", {"n": np.float64(4.5)}, rows)


@pytest.mark.parametrize("family,mapping,name", KNOB_CASES)
def test_a_bad_mapping_knob_is_one_line_naming_it(family: str, mapping: str, name: str) -> None:
    """The issue's probe (0, -1, NaN, inf, 0.5, 10¹² on each numeric knob of the shared and per-layer spaces'
    default designs): silently valid, raw ValueError / OverflowError / MemoryError before."""
    sim, wl, design = _default(family, mapping)
    assert name in design
    bound = _bound(sim, name)
    assert bound is not None
    raised = 0
    for value in PROBE:
        if _allowed(bound, value):
            sim.evaluate({**design, name: value}, wl)          # allowed: a result, no error
            continue
        with pytest.raises(ConfigError) as err:
            sim.evaluate({**design, name: value}, wl)
        msg = str(err.value)
        assert "\n" not in msg and msg.startswith(f"{family} design: {name}: {value!r} is not allowed; allowed: "), msg
        assert msg.endswith(bound.text), msg
        raised += 1
    assert raised >= 9


@pytest.mark.parametrize("family,mapping,name", [c for c in KNOB_CASES if c[2] in ("conv1.tile_folds", "split_k",
                                                                                   "pe_conv1", "cut@maxpool")])
def test_a_bad_mapping_knob_in_a_batch_names_the_design(family: str, mapping: str, name: str) -> None:
    sim, wl, design = _default(family, mapping)
    with pytest.raises(ConfigError, match=rf"^{family} design 1: {re.escape(name)}: -1 is not allowed; allowed: "):
        sim.evaluate_batch([design, {**design, name: -1}, design], wl)
    cols = {k: np.array([v] * 3) for k, v in design.items()}
    cols[name] = np.array([design[name], design[name], math.inf])
    with pytest.raises(ConfigError, match=rf"^{family} design 2: {re.escape(name)}: inf is not allowed; allowed: "):
        sim.evaluate_batch(cols, wl)


@pytest.mark.parametrize("family,mapping,n", [("systolic", "shared", 40), ("systolic", "per-layer", 40),
                                              ("pim", "shared", 40), ("fpga", "shared", 20),
                                              ("pim", "per-layer", 20), ("fpga", "per-layer", 20),
                                              ("rdu", "shared", 10), ("rdu", "per-layer", 10),
                                              ("loopnest", "per-layer", 10)])
def test_in_bounds_mapping_knobs_give_unchanged_results(family: str, mapping: str, n: int) -> None:
    """Random designs of the mapping spaces: the same bits with and without bounds (batch and single)."""
    sim, wl, _ = _default(family, mapping)
    free = type(sim)()
    free.bounds = {}
    designs = [dict(d) for d in sim.space(wl, mapping=mapping).sample(n, 5)]
    got, want = sim.evaluate_batch(designs, wl), free.evaluate_batch(designs, wl)
    for k in want.metrics:
        assert np.asarray(got.metrics[k]).tobytes() == np.asarray(want.metrics[k]).tobytes(), k
    assert got.valid.tolist() == want.valid.tolist() and got.violations == want.violations
    one, ref = sim.evaluate(designs[0], wl), free.evaluate(designs[0], wl)
    assert one.metrics == ref.metrics and one.valid == ref.valid


def test_name_patterns() -> None:
    """``prefix*`` / ``*suffix`` keys: an exact name wins, then the first pattern; unmatched names are free;
    a name set's checks are memoised and the memo is bounded."""
    flag, count = Bound(0, 1, integer=True), Bound(1, 8, integer=True)
    rows = domain.Table({"cut@x": count, "cut@*": flag, "*.t": count, "n": count})
    assert rows.bound("cut@x") is count and rows.bound("cut@y") is flag and rows.bound("a.t") is count
    assert rows.bound("a.tt") is None and rows.bound("xcut@") is None and rows.bound("m") is None
    odd: dict[Any, Any] = {"cut@x": 5, "cut@y": 1, "a.t": 8, "free": -1, 7: -1}     # a non-str key is no name
    domain.check_one("x", odd, rows)
    with pytest.raises(ConfigError, match=r"^x design 4: cut@y: 2 is not allowed; allowed: an integer in 0 … 1$"):
        domain.check_one("x", {"cut@x": 5, "cut@y": 2}, rows, 4)
    with pytest.raises(ConfigError, match=r"^x design: b\.t: 0 is not allowed"):
        domain.check_one("x", {"n": 1, "b.t": 0}, rows)
    with pytest.raises(ConfigError, match=r"^x design 1: b\.t: 9 is not allowed"):
        domain.check_columns("x", {"b.t": np.array([1, 9]), "z": np.array([-1, -1])}, domain.Table({"*.t": count}))
    for i in range(domain.MEMO_LIMIT + 5):
        domain.check_one("x", {f"p{i}": 0, "n": 1}, rows)
    assert len(rows.memo) <= domain.MEMO_LIMIT


#: the categorical probe (issue: pim act_mode / attn_place, fpga reconfig / weight_mem / sched_1.., rdu fusion took
#: any value as a valid design; systolic dataflow / fold_order took the int 5; rdu pcu_alloc was a raw KeyError;
#: loopnest LAYER.dataflow / order_in / order_out / hold a raw ValueError): family, mapping, name
CHOICE_CASES = [("systolic", "auto", "dataflow"), ("systolic", "shared", "fold_order"), ("pim", "auto", "act_mode"),
                ("pim", "shared", "attn_place"), ("pim", "shared", "fc_place"), ("fpga", "auto", "reconfig"),
                ("fpga", "auto", "weight_mem"), ("fpga", "shared", "sched_1"), ("fpga", "shared", "sched_3"),
                ("rdu", "shared", "fusion"), ("rdu", "shared", "pcu_alloc"), ("loopnest", "per-layer", "conv1.dataflow"),
                ("loopnest", "per-layer", "conv1.order_in"), ("loopnest", "per-layer", "fc.order_out"),
                ("loopnest", "per-layer", "conv1.hold")]
CHOICE_PROBE = ("zzz", 5, None, True, 0, 1.0, [1], "", "WS")


@pytest.mark.parametrize("family,mapping,name", CHOICE_CASES)
def test_a_bad_choice_is_one_line_naming_it(family: str, mapping: str, name: str) -> None:
    sim, wl, design = _default(family, mapping)
    assert name in design
    choices = _bound(sim, name)
    assert isinstance(choices, Choices) and design[name] in choices.values
    for value in CHOICE_PROBE:
        if choices.holds(value):                      # systolic's integer code 0: a result
            assert family == "systolic" and value == 0 and type(value) is int
            sim.evaluate({**design, name: value}, wl)
            continue
        with pytest.raises(ConfigError) as err:
            sim.evaluate({**design, name: value}, wl)
        msg = str(err.value)
        assert "\n" not in msg and msg.startswith(f"{family} design: {name}: {value!r} is not allowed; allowed: "), msg
        assert msg.endswith(choices.text) and msg.endswith("one of " + ", ".join(map(repr, choices.values))), msg
    assert sim.evaluate(design, wl).metrics      # the default: a result


@pytest.mark.parametrize("family,mapping,name", [c for c in CHOICE_CASES if c[2] in ("dataflow", "act_mode", "sched_1",
                                                                                   "pcu_alloc", "conv1.order_in")])
def test_a_bad_choice_in_a_batch_names_the_design(family: str, mapping: str, name: str) -> None:
    sim, wl, design = _default(family, mapping)
    with pytest.raises(ConfigError, match=rf"^{family} design 2: {re.escape(name)}: 5 is not allowed; allowed: one of "):
        sim.evaluate_batch([design, design, {**design, name: 5}, design], wl)
    cols = {k: np.array([v] * 3) for k, v in design.items()}
    cols[name] = np.array([design[name], design[name], "zzz"], dtype=object)
    with pytest.raises(ConfigError, match=rf"^{family} design 2: {re.escape(name)}: 'zzz' is not allowed; allowed: "):
        sim.evaluate_batch(cols, wl)
    cols[name] = np.array([design[name], "zzz", design[name]])          # a numpy str column
    with pytest.raises(ConfigError, match=rf"^{family} design 1: {re.escape(name)}: 'zzz' is not allowed; allowed: "):
        sim.evaluate_batch(cols, wl)


def test_choices_text_and_edges() -> None:
    """Only the values themselves pass: no bool for an int, no int for a string, unhashables are refused."""
    onoff = Choices(("on", "off"))
    assert onoff.text == "one of 'on', 'off'"
    assert Choices(("os", 0)).text == "one of 'os', 0"
    assert onoff.holds("on") and onoff.holds(np.str_("off")) and not onoff.holds("ON") and not onoff.holds([1])
    mixed = Choices((0, 1, "auto"))
    assert mixed.holds(1) and mixed.holds(0) and mixed.holds(np.int64(1)) and not mixed.holds(1.0)
    assert not mixed.holds(True) and not mixed.holds(np.False_) and not mixed.holds(None)
    flags = Choices((True, False))
    assert flags.holds(True) and not flags.holds(1)
    rows = domain.Table({"f": onoff, "m": mixed, "n": Bound(1, 8, integer=True)})
    domain.check_one("x", {"f": "on", "m": 1, "n": 2}, rows)
    for bad, field in (({"f": "on", "m": True, "n": 2}, "m: True"), ({"f": {"on"}, "m": 1, "n": 2}, "f: {'on'}"),
                       ({"f": 5, "m": 1, "n": 2}, "f: 5")):
        with pytest.raises(ConfigError, match=rf"^x design 3: {re.escape(field)} is not allowed; allowed: one of "):
            domain.check_one("x", bad, rows, 3)
    cols = {"f": np.array(["on", "off", "on"]), "m": np.array([0, 1, 1])}
    domain.check_columns("x", cols, domain.Table({"f": onoff, "m": mixed}))
    with pytest.raises(ConfigError, match=r"^x design 2: m: True is not allowed"):
        domain.check_columns("x", {**cols, "m": np.array([0, 1, True], dtype=object)}, domain.Table({"m": mixed}))
    with pytest.raises(ConfigError, match=r"^x design 0: f: \[1\] is not allowed"):
        domain.check_columns("x", {"f": np.array([[1], "on"], dtype=object)}, domain.Table({"f": onoff}))
