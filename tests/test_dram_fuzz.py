"""Fuzz the DRAM input formats: any text is either a trace/config or a one-line ConfigError."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from archgym.errors import ConfigError
from simulators.dram.dramsim3_io import read_config
from simulators.dram.traces import read_trace

LINE = st.one_of(
    st.text(max_size=40),
    st.builds(lambda a, op, c: f"{a:#x} {op} {c}", st.integers(0, 2**40), st.sampled_from(["READ", "WRITE", "R"]),
              st.integers(-5, 10**6)),
    st.builds(lambda c, op, a: f"{c}: {op} {a:#x}", st.integers(0, 10**6), st.sampled_from(["read", "write"]),
              st.integers(0, 2**40)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(LINE, max_size=8), st.sampled_from([".trace", ".stl", ".ramulator"]))
def test_trace_readers_parse_or_fail_in_one_line(lines: list[str], suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"t{suffix}"
        path.write_text("\n".join(lines) + "\n")
        try:
            trace = read_trace(path)
        except ConfigError as exc:
            assert "\n" not in str(exc)
            return
        assert len(trace) >= 1 and (trace.cycle >= 0).all()


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(["protocol", "bankgroups", "BL", "tCK", "channels", "row_buf_policy",
                                        "address_mapping", "cmd_queue_size", "queue_structure"]),
                       st.text(alphabet="abcdefghOPEN_PAGE0123456789.rochabg%(", max_size=14), max_size=5))
def test_dramsim3_config_reader_parses_or_fails_in_one_line(values: dict[str, str]) -> None:
    sections = {"dram_structure": ("protocol", "bankgroups", "BL"), "timing": ("tCK",),
                "system": ("channels", "row_buf_policy", "address_mapping", "cmd_queue_size", "queue_structure")}
    text = "".join(f"[{s}]\n" + "".join(f"{k} = {values[k]}\n" for k in keys if k in values)
                   for s, keys in sections.items())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.ini"
        path.write_text(text)
        try:
            cfg = read_config(path)
        except ConfigError as exc:
            assert "\n" not in str(exc)
            return
        assert cfg.device.request_bytes > 0
