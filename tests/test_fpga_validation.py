"""FPGA validation: the rows of ``benchmarks/validation/fpga.py`` (the same ones ``docs/validation.md``
shows, with the same tolerances) and the HBM bound of LLM decode on the U280 (consistency)."""

from __future__ import annotations

import pytest

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from benchmarks.validation import Check, evaluate, verdict
from benchmarks.validation.fpga import FAMILY


@pytest.mark.parametrize("check", FAMILY.checks, ids=lambda c: c.key)
def test_published_figure(check: Check) -> None:
    problem = verdict(evaluate(check))
    assert problem is None, problem


def test_llm_decode_u280_bounded_by_hbm() -> None:
    """FlightLLM-style decode on U280: tokens/s ≤ 460 GB/s ÷ bytes streamed per token, and the
    engine reaches at least 60 % of that bound (memory-bound, as FlightLLM reports)."""
    wl = get_workload("llama7b-decode:ctx=1024,layers=2")
    streamed = sum(op.weight_elems for op in wl.ops)  # INT8 weights + KV cache, bytes
    sim = get_simulator("fpga")
    r = sim.evaluate({**sim.space(wl, "u280").default(), "precision": "int8", "style": "tiled", "tm": 128,
                      "tn": 32, "buf_kib": 256, "clock_mhz": 300}, wl)
    bound = 460e9 / streamed
    assert r.valid
    assert 0.6 * bound <= r.metrics["throughput_inf_per_s"] <= bound
