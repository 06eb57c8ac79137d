"""Systolic validation: the rows of ``benchmarks/validation/systolic.py`` (the same ones
``docs/validation.md`` shows, with the same tolerances). The SCALE-Sim rows run the reference
SCALE-Sim (``make scalesim-venv``) and are skipped without it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archgym.app.cli import main
from benchmarks.validation import Check, evaluate, verdict
from benchmarks.validation.systolic import (
    FAMILY,
    SCALESIM_CONFIGS,
    SCALESIM_GEMMS,
    prefetch_split,
    scalesim_available,
)
from simulators.systolic import reference as ref


@pytest.mark.parametrize("check", FAMILY.checks, ids=lambda c: c.key)
def test_published_figure(check: Check) -> None:
    outcome = evaluate(check, scalesim_available)
    if outcome.passed is None:
        pytest.skip(f"{check.key} needs {check.requires}: `make scalesim-venv`")
    problem = verdict(outcome)
    assert problem is None, problem


@pytest.mark.parametrize("config", SCALESIM_CONFIGS)
def test_the_two_scalesim_totals_differ_by_prefetch_and_drain(config: str) -> None:
    """``archgym scalesim`` (Σ Total Cycles) + prologues + epilogues + 1 per layer = the ``cycles`` of
    ``simulate --fidelity scalesim``; SCALE-Sim's 'Total Cycles (incl. prefetch)' is 2 less per layer,
    and both exceed the first whenever anything is prefetched."""
    s = list(prefetch_split(config).values())
    archgym_scalesim, prologue, epilogue, incl_prefetch, simulate = s
    layers = (simulate - incl_prefetch) // 2
    assert archgym_scalesim + prologue + epilogue + layers == simulate
    assert prologue > 0 and archgym_scalesim < incl_prefetch < simulate


def test_archgym_scalesim_prints_both_totals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command prints SCALE-Sim's Total Cycles and the end-to-end count that ``simulate --fidelity
    scalesim`` reports, so the two commands' totals no longer look contradictory."""
    config = "os-8x8-4k"
    rows, cols, df, kb, bw = SCALESIM_CONFIGS[config]
    cfg = ref.write_config(tmp_path / "c.cfg", config, rows, cols, df, kb, kb, kb, bw)
    topo = ref.write_gemm_topology(tmp_path / "t.csv", SCALESIM_GEMMS)
    assert main(["scalesim", "-c", str(cfg), "-t", str(topo), "-o", str(tmp_path / "out")]) == 0
    printed = [int(n) for n in re.findall(r"(\d+) (?:cycles|end to end)", capsys.readouterr().out)]
    split = list(prefetch_split(config).values())
    assert printed == [split[0], split[-1]]
