"""RDU validation: the rows of ``benchmarks/validation/rdu.py`` (the same ones ``docs/validation.md``
shows, with the same tolerances) and a mapping baseline."""

from __future__ import annotations

import pytest

from archgym.simulator import get_simulator
from benchmarks.validation import Check, evaluate, verdict
from benchmarks.validation.rdu import FAMILY, _block


@pytest.mark.parametrize("check", FAMILY.checks, ids=lambda c: c.key)
def test_published_figure(check: Check) -> None:
    problem = verdict(evaluate(check))
    assert problem is None, problem


def test_default_mapper_beats_unfused_and_equal_split() -> None:
    sim = get_simulator("rdu")
    for spec in ("bert-base:seq=128", "gpt2-prefill:seq=512"):
        wl = _block(spec)
        auto = sim.evaluate(sim.space(wl).default(), wl).metrics["latency_s"]
        shared = sim.space(wl, mapping="shared")
        for knobs in ({"fusion": "off"}, {"pcu_alloc": "equal"}):
            base = min(sim.evaluate({**shared.default(), **knobs, "tile_rows": t}, wl).metrics["latency_s"]
                       for t in shared["tile_rows"].values)
            assert auto < base, (spec, knobs)
