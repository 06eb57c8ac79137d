"""Design spaces: encodings round-trip, constraints name what they check, overrides narrow."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym.errors import ConfigError
from archgym.space import Constraint, DesignSpace, categorical, int_range, ordinal, pow2


def make_space() -> DesignSpace:
    return DesignSpace(
        (pow2("rows", 4, 256, unit="PEs"), pow2("cols", 4, 256, unit="PEs"),
         categorical("dataflow", ["os", "ws", "is"]), int_range("depth", 1, 9, step=2),
         ordinal("sram_kb", [32, 64, 128, 512])),
        (Constraint("pe_budget", lambda d: d["rows"] * d["cols"] <= 4096, "at most 4096 PEs"),
         Constraint("square_ws", lambda d: (d["dataflow"] != "ws") | (d["rows"] == d["cols"]))),
        name="test")


SPACE = make_space()
index_rows = st.tuples(*(st.integers(0, int(n) - 1) for n in SPACE.nvec))


def test_size_and_nvec():
    assert SPACE.size == 7 * 7 * 3 * 5 * 4
    assert list(SPACE.nvec) == [7, 7, 3, 5, 4]
    assert SPACE["depth"].values == (1, 3, 5, 7, 9)


@given(index_rows)
def test_index_round_trip(idx):
    design = SPACE.from_indices(idx)
    assert tuple(SPACE.to_indices(design)) == idx


@given(index_rows)
def test_unit_cube_round_trip(idx):
    design = SPACE.from_indices(idx)
    u = SPACE.to_unit(design)
    assert np.all((u >= 0) & (u <= 1))
    assert SPACE.from_unit(u) == design


@given(st.lists(st.floats(0, 1), min_size=5, max_size=5))
def test_any_unit_point_decodes_to_a_member(point):
    design = SPACE.from_unit(point)
    assert SPACE.validate(design) == design


@settings(max_examples=30)
@given(st.integers(0, 2**31 - 1))
def test_batch_constraints_agree_with_scalar(seed):
    idx = SPACE.sample_indices(64, np.random.default_rng(seed))
    cols = SPACE.indices_to_columns(idx)
    batch = SPACE.violations_batch(cols)
    for i, design in enumerate(SPACE.columns_to_designs(cols)):
        scalar = SPACE.violations(design)
        assert scalar == [name for name, bad in batch.items() if bad[i]]


def test_violations_are_named():
    assert SPACE.violations({"rows": 256, "cols": 256, "dataflow": "ws", "depth": 1, "sram_kb": 32}) == ["pe_budget"]
    assert SPACE.violations({"rows": 8, "cols": 16, "dataflow": "ws", "depth": 1, "sram_kb": 32}) == ["square_ws"]
    assert SPACE.violations({"rows": 8, "cols": 16, "dataflow": "os", "depth": 1, "sram_kb": 32}) == []


def test_enumeration_covers_the_space_once():
    small = SPACE.restrict(fix={"dataflow": "os"}, values={"sram_kb": [32, 64]}, ranges={"rows": (4, 16)})
    designs = list(small.enumerate())
    assert len(designs) == small.size == 3 * 7 * 1 * 5 * 2
    assert len({tuple(d.values()) for d in designs}) == len(designs)
    chunks = np.concatenate(list(small.iter_index_chunks(chunk=17)))
    assert [small.from_indices(r) for r in chunks] == designs


def test_product_and_coercion():
    mapping = DesignSpace((categorical("loop_order", ["mnk", "nmk"]),), name="map")
    both = SPACE.product(mapping)
    assert both.size == SPACE.size * 2 and both.names[-1] == "loop_order"
    assert both.validate({**both.default(), "rows": "64"})["rows"] == 64
    with pytest.raises(ConfigError):
        SPACE.product(SPACE)


@pytest.mark.parametrize("bad, message", [
    ({"rows": 3}, "rows: 3 is not allowed; allowed: 4, 8, 16, 32, 64, 128, 256"),
    ({"colour": 1}, "parameter: 'colour' is not allowed"),
    ({"dataflow": "rs"}, "dataflow: 'rs' is not allowed; allowed: os, ws, is"),
])
def test_errors_are_one_line_and_name_the_field(bad, message):
    with pytest.raises(ConfigError) as err:
        SPACE.complete(bad)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_pow2_bounds_checked():
    with pytest.raises(ConfigError, match="power of two"):
        pow2("x", 3, 16)
