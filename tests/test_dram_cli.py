"""``archgym dramsim3``: DRAMsim3's ini and trace files in, its stats-JSON keys out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archgym.app.cli import main

INI = """[dram_structure]
protocol = DDR4
bankgroups = 4
banks_per_group = 4
rows = 65536
columns = 1024
device_width = 8
BL = 8

[timing]
tCK = 0.83
CL = 17
CWL = 12
tRCD = 17
tRP = 17
tRAS = 39
tRFC = 420
tREFI = 9360
tRRD_S = 4
tRRD_L = 6
tWTR_S = 3
tWTR_L = 9
tFAW = 26
tWR = 18
tRTP = 9
tCCD_S = 4
tCCD_L = 6
tRTRS = 1 ; rank switch

[power]
VDD = 1.2
IDD0 = 48
IDD2N = 34
IDD3N = 43
IDD4W = 123
IDD4R = 135
IDD5AB = 250

[system]
channel_size = 8192
channels = 1
bus_width = 64
address_mapping = rochrababgco
queue_structure = PER_BANK
refresh_policy = RANK_LEVEL_STAGGERED
row_buf_policy = {policy}
cmd_queue_size = 8
trans_queue_size = 32
"""

KEYS = ("average_read_latency", "average_bandwidth", "average_power", "total_energy", "num_reads_done",
        "num_writes_done", "num_act_cmds", "num_pre_cmds", "num_ref_cmds", "num_read_row_hits",
        "num_write_row_hits", "num_cycles")


def run(tmp_path: Path, policy: str) -> dict[str, float]:
    ini = tmp_path / f"{policy}.ini"
    ini.write_text(INI.format(policy=policy))
    trace = tmp_path / "t.trace"
    trace.write_text("".join(f"{0x40 * i:#x} {'WRITE' if i % 4 == 3 else 'READ'} {2 * i}\n" for i in range(64)))
    out = tmp_path / policy
    assert main(["dramsim3", str(ini), "-t", str(trace), "-c", "2000", "-o", str(out), "-q"]) == 0
    stats = json.loads((out / "dramsim3.json").read_text())
    assert list(stats) == ["0"]  # one object per channel, as DRAMsim3 writes them
    return stats["0"]


def test_stats_have_dramsim3_keys_and_page_policy_matters(tmp_path: Path) -> None:
    open_page, close_page = run(tmp_path, "OPEN_PAGE"), run(tmp_path, "CLOSE_PAGE")
    assert set(KEYS) <= set(open_page)
    assert open_page["num_reads_done"] == 48 and open_page["num_writes_done"] == 16
    assert open_page["num_read_row_hits"] > 0 and close_page["num_read_row_hits"] == 0
    assert close_page["num_act_cmds"] > open_page["num_act_cmds"]
    assert open_page["num_cycles"] == 2000


def test_bad_system_value_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ini = tmp_path / "bad.ini"
    ini.write_text(INI.format(policy="SOMETIMES_OPEN"))
    trace = tmp_path / "t.trace"
    trace.write_text("0x0 READ 0\n")
    assert main(["dramsim3", str(ini), "-t", str(trace), "-o", str(tmp_path)]) == 2
    assert "row_buf_policy" in capsys.readouterr().err
