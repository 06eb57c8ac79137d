"""Workload specs at the API: every zoo and trace option is bounded, every malformed spec is one
error line, and a workload a family cannot run is refused before its model (docs/robustness.md,
"Workload specs"). Each case was a raw exception, a hang or a silent result before."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from fuzz_support import alarm

from archgym import zoo
from archgym.errors import ConfigError
from archgym.simulator import get_simulator
from archgym.workload import MAX_DIM, get_workload
from simulators.dram.traces import as_trace


def _error(spec: str) -> str:
    with pytest.raises(ConfigError) as info:
        get_workload(spec)
    text = str(info.value)
    assert "\n" not in text and len(text) < 600
    return text


def test_every_zoo_option_has_a_bound() -> None:
    for name, build in zoo.ZOO.items():
        assert set(inspect.signature(build).parameters) <= set(zoo.OPTION_BOUNDS), name


@pytest.mark.parametrize(("spec", "field", "allowed"), [
    ("llama7b-decode:layers=-5", "layers", f"1 … {zoo.MAX_LAYERS}"),        # was a silent 3-operator model
    ("llama7b-decode:layers=0", "layers", f"1 … {zoo.MAX_LAYERS}"),
    (f"llama7b-decode:layers={zoo.MAX_LAYERS + 1}", "layers", f"1 … {zoo.MAX_LAYERS}"),   # 10⁵ hung
    ("resnet18:batch=0", "batch", f"1 … {MAX_DIM}"),                          # named conv1's N, not batch
    (f"bert-base:seq={MAX_DIM + 1}", "seq", f"1 … {MAX_DIM}"),
    ("gpt2-decode:ctx=-1", "ctx", f"1 … {MAX_DIM}"),
])
def test_zoo_options_are_bounded(spec: str, field: str, allowed: str) -> None:
    text = _error(spec)
    assert f"{field}: " in text and allowed in text


def test_a_key_given_twice_is_refused() -> None:
    assert "'M' is given twice" in _error("gemm:M=64,N=64,K=64,M=1")          # was the last one, silently
    assert "'batch' is given twice" in _error("resnet18:batch=1,batch=8")


@pytest.mark.parametrize("spec", ["resnet18:batch=1\n2", "gpt2-decode:ctx=\n\x1d", "trace:n=1\n2",
                                  "resnet18:batch=" + "9" * 5000, "x" * 5000 + ".csv"])
def test_malformed_specs_are_one_short_line(spec: str) -> None:
    _error(spec)                     # was two lines (a newline in the spec), or a raw OSError (name too long)


@pytest.mark.parametrize(("option", "value"), [("span", 2**70), ("seed", -1), ("gap", 2**62), ("stride", 2**40),
                                               ("line", 2**63), ("streams", 2**40), ("idle", -1), ("burst", 0)])
def test_trace_options_are_bounded(option: str, value: int) -> None:
    text = _error(f"trace:pattern=random,n=64,{option}={value}")      # raw ValueError or int64 overflow before
    assert f"trace {option}: {value} is not allowed; allowed: an integer in " in text


def test_trace_files_are_utf8_and_64_bit(tmp_path: Path) -> None:
    binary = tmp_path / "bin.trace"
    binary.write_bytes(b"\xff\xfe\x00\x01garbage")
    assert "not UTF-8" in _error(f"trace:file={binary}")                # was a raw UnicodeDecodeError
    big = tmp_path / "big.trace"
    big.write_text(f"{2**70} READ 0\n")
    assert "address" in _error(f"trace:file={big}")                     # was a raw OverflowError
    late = tmp_path / "late.trace"
    late.write_text(f"0x40 READ {2**63}\n")
    assert "cycle" in _error(f"trace:file={late}")
    ok = tmp_path / "ok.trace"
    ok.write_text("0x1f READ 0\n0123 WRITE 5\n")                         # a leading zero was a raw ValueError
    trace = as_trace(get_workload(f"trace:file={ok}"))
    assert trace.addr.tolist() == [31, 123] and trace.cycle.tolist() == [0, 5]


@pytest.mark.parametrize(("family", "spec"), [(family, spec) for family in ("systolic", "pim", "fpga", "loopnest")
                                               for spec in ("trace:pattern=stream,n=16", "eltwise:E=64")])
def test_a_workload_the_family_cannot_run_is_one_error(family: str, spec: str) -> None:
    """Raw ValueError / IndexError in systolic, pim and fpga before (loopnest had its own line)."""
    sim, workload = get_simulator(family), get_workload(spec)
    design = sim.space(workload).default()
    with pytest.raises(ConfigError, match="workload") as info:
        sim.evaluate(design, workload)
    assert "\n" not in str(info.value)
    with pytest.raises(ConfigError, match="workload"):
        sim.evaluate_batch([design, design], workload)


@pytest.mark.parametrize("mapping", ["auto", "shared", "per-layer"])
def test_rdu_space_of_a_trace_is_one_error(mapping: str) -> None:
    """RDU lowers a workload's operators to kernels when it builds a space: a trace has none (a raw
    ValueError from unpacking an empty list before)."""
    with pytest.raises(ConfigError, match=r"^rdu: workload: .* is not allowed; allowed: a workload with an operator$"):
        get_simulator("rdu").space(get_workload("trace:pattern=stream,n=16"), None, mapping)


def test_rdu_runs_element_wise_kernels() -> None:
    sim, workload = get_simulator("rdu"), get_workload("eltwise:E=64")
    assert sim.evaluate(sim.space(workload).default(), workload).metrics["latency_s"] > 0


def test_dram_still_takes_traces() -> None:
    sim, workload = get_simulator("dram"), get_workload("trace:pattern=stream,n=16")
    assert sim.evaluate(sim.space(workload).default(), workload).valid


def test_loopnest_large_dimension_is_quick() -> None:
    """A 10⁸ attention context took 19 CPU s in the loop-nest mapper's divisor list (trial division to t)."""
    sim, workload = get_simulator("loopnest"), get_workload("attention:H=1,Lq=1,Lkv=100000000,D=64")
    with alarm(5):                                   # CPU seconds (fuzz_support's hang timer), not wall time
        assert sim.evaluate(sim.space(workload).default(), workload).valid
