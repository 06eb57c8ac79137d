"""The validation data is sound: every preset parameter has a recorded provenance, no independent
row uses a figure a parameter was derived from, and every tolerance and miss says why."""

from __future__ import annotations

import pytest

from benchmarks.validation import fpga, pim, rdu, systolic
from benchmarks.validation.provenance import FAMILIES, KINDS, derived_from, entries, preset_params

ROWS = [c for fam in (systolic, pim, rdu, fpga) for c in fam.FAMILY.checks]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_preset_parameter_has_a_provenance(family: str) -> None:
    presets = preset_params(family)
    assert set(presets) == set(FAMILIES[family]), "a preset without provenance (or provenance of none)"
    for preset, params in presets.items():
        rec = entries(family, preset)
        assert set(params) == set(rec), (preset, set(params) ^ set(rec))
        assert {kind for kind, _, _ in rec.values()} <= set(KINDS)
        assert all(how for kind, how, _ in rec.values() if kind == "derived"), preset


def test_no_independent_row_uses_a_figure_a_parameter_was_derived_from() -> None:
    used = derived_from()
    keys = {c.key for c in ROWS}
    assert used <= keys, used - keys
    for c in ROWS:
        assert not (c.independent and c.key in used), c.key
        assert not (c.independent and c.derived_from), c.key


def test_rows_are_unique_and_explained() -> None:
    assert len({c.key for c in ROWS}) == len(ROWS)
    for c in ROWS:
        assert c.source and c.config and c.figure, c.key
        assert c.note or (c.tolerance == 0 and not c.known_miss), c.key
