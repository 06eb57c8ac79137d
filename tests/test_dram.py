"""DRAM family: hand-worked command timing (DDR4-2400: tRCD 17, CL 17, burst 4, tRP 17, tRAS 39,
tRRD_S 4, tFAW 26, tWTR_L 9, CWL 12, tRFC 420), trace files, knobs and the simulator contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from archgym import get_simulator, get_workload
from archgym.errors import ConfigError
from simulators.dram import cycle
from simulators.dram.addressing import decode
from simulators.dram.controller import DEFAULTS, encode
from simulators.dram.devices import PRESETS, get_device
from simulators.dram.traces import Trace, generate, read_trace, write_dramsim3

DDR4 = get_device("ddr4-2400")


def addr(bg: int = 0, ba: int = 0, row: int = 0, col: int = 0) -> int:
    """DDR4 address under ``rochrababgco``: 6 offset bits, co 7, bg 2, ba 2, ra 1, then the row."""
    return (col << 6) | (bg << 13) | (ba << 15) | (row << 18)


def simulate(reqs: list[tuple[int, int, bool]], **knobs: object) -> tuple[np.ndarray, np.ndarray]:
    """(done cycles, counters) of one DDR4 channel for (address, arrival, is_write) requests."""
    trace = Trace(np.array([r[0] for r in reqs], dtype=np.uint64), np.array([r[2] for r in reqs]),
                  np.array([r[1] for r in reqs], dtype=np.int64))
    dec = decode(trace.addr, DDR4, "rochrababgco")
    codes = encode({**DEFAULTS, "RefreshPolicy": "NoRefresh", **knobs}, 1).row(0)
    opts = cycle.options_for(codes)
    nb = DDR4.ranks * DDR4.banks
    _, done, _, counters, _, _ = cycle.simulate_channel(
        trace.cycle, trace.is_write, dec.bank, dec.row, np.arange(nb) // DDR4.banks,
        np.arange(nb) // DDR4.banks_per_group, DDR4.ranks, cycle.timing_vector(DDR4),
        cycle.knob_vector(codes, DDR4, opts), int(cycle.NEVER))
    return done, counters


def test_read_to_a_closed_bank_is_trcd_cl_burst_and_a_row_hit_is_cl_burst() -> None:
    done, counters = simulate([(addr(), 0, False), (addr(col=1), 100, False)])
    assert done[0] == DDR4.tRCDRD + DDR4.CL + DDR4.burst_cycles == 38
    assert done[1] - 100 == DDR4.CL + DDR4.burst_cycles == 21
    assert counters[cycle.C_RDHIT] == 1 and counters[cycle.C_ACT] == 1


def test_row_conflict_is_trp_trcd_cl_burst() -> None:
    done, counters = simulate([(addr(), 0, False), (addr(row=1), 200, False)])
    assert done[1] - 200 == DDR4.tRP + DDR4.tRCDRD + DDR4.CL + DDR4.burst_cycles == 55
    assert counters[cycle.C_PRE] == 1 and counters[cycle.C_ACT] == 2


def test_fifth_activate_waits_for_the_four_activate_window() -> None:
    # four banks in four bank groups (ACTs tRRD_S = 4 apart: 0, 4, 8, 12), a fifth bank: tFAW from 0
    reqs = [(addr(bg=g), 0, False) for g in range(4)] + [(addr(bg=0, ba=1), 0, False)]
    done, _ = simulate(reqs)
    assert list(done[:4]) == [38, 42, 46, 50]
    assert done[4] == DDR4.tFAW + 38 == 64


def test_write_to_read_turnaround_and_closed_page() -> None:
    done, _ = simulate([(addr(), 0, True), (addr(col=1), 1, False)])
    write_issue = DDR4.tRCDWR  # ACT at 0, WR at tRCD
    assert done[0] == write_issue + DDR4.CWL + DDR4.burst_cycles
    assert done[1] == write_issue + (DDR4.CWL + DDR4.burst_cycles + DDR4.tWTR_L) + DDR4.CL + DDR4.burst_cycles == 63
    open_done, _ = simulate([(addr(), 0, False), (addr(col=1), 1, False)])
    closed_done, counters = simulate([(addr(), 0, False), (addr(col=1), 1, False)], PagePolicy="Closed")
    assert open_done[1] == 17 + max(DDR4.burst_cycles, DDR4.tCCD_L) + 21 == 44
    assert closed_done[1] == DDR4.tRC + 38 == 94  # re-activated after tRC (tRAS + tRP)
    assert counters[cycle.C_ACT] == 2 and counters[cycle.C_PRE] == 0  # auto-precharge, no PRE command


def test_refresh_blocks_activation_for_trfc() -> None:
    # idle after the first read: a refresh is pulled in; rank 0 precharges at tRAS then refreshes
    done, counters = simulate([(addr(), 0, False), (addr(), 40, False)], RefreshPolicy="AllBank")
    assert counters[cycle.C_REF] == 2  # both ranks
    assert done[1] == DDR4.tRAS + DDR4.tRP + DDR4.tRFC + 38 == 514


def test_queue_back_pressure_holds_the_trace() -> None:
    reqs = [(addr(bg=g), 0, False) for g in range(4)]  # four bank groups: overlap when the queue allows
    wide, _ = simulate(reqs, MaxActiveTransactions=8)
    narrow, _ = simulate(reqs, MaxActiveTransactions=1)
    assert list(wide) == [38, 42, 46, 50]
    # one outstanding request: each is accepted when the previous one's RD issues (cycle 17, 35, …)
    assert list(narrow) == [38, 38 + 18, 38 + 36, 38 + 54]


def test_trace_files_round_trip(tmp_path: Path) -> None:
    trace = generate("random", n=50, rw=0.5, gap=3, seed=1)
    path = tmp_path / "t.trace"
    write_dramsim3(trace, path)
    back = read_trace(path)
    assert np.array_equal(back.addr, trace.addr) and np.array_equal(back.is_write, trace.is_write)
    assert np.array_equal(back.cycle, trace.cycle)
    stl = tmp_path / "t.stl"
    stl.write_text("# DRAMSys\n0:\tread\t0x40\n5:\twrite\t0x80\t00ff\n")
    assert read_trace(stl).cycle.tolist() == [0, 5] and read_trace(stl).is_write.tolist() == [False, True]
    ram = tmp_path / "t.ramulator"
    ram.write_text("0x1000 R\n0x2000 W\n")
    assert read_trace(ram).addr.tolist() == [0x1000, 0x2000]
    bad = tmp_path / "bad.trace"
    bad.write_text("0x10 READ\n")
    with pytest.raises(ConfigError, match="line 1"):
        read_trace(bad)


def test_bad_knob_and_trace_options_name_the_field() -> None:
    sim, wl = get_simulator("dram"), get_workload("trace:pattern=random,n=64")
    with pytest.raises(ConfigError, match="PagePolicy.*Open"):
        sim.evaluate({**sim.space(wl).default(), "PagePolicy": "Sometimes"}, wl)
    with pytest.raises(ConfigError, match="trace pattern"):
        get_workload("trace:pattern=zigzag")
    with pytest.raises(ConfigError, match="trace option"):
        get_workload("trace:pattern=stream,colour=red")


def test_presets_have_the_issue_devices_and_consistent_bandwidth() -> None:
    assert {"ddr3-1600", "ddr4-2400", "lpddr4-3200", "gddr6", "hbm2"} <= set(PRESETS)
    assert DDR4.peak_bw_gbs == pytest.approx(64 / (4 * 0.83))  # 64 B per 4 cycles of 0.83 ns
    assert get_device("hbm2").peak_bw_gbs == pytest.approx(8 * 64 / 2.0)  # 8 × 32 GB/s


def test_batch_equals_single_at_both_fidelities() -> None:
    sim = get_simulator("dram")
    wl = get_workload("trace:pattern=random,n=400,rw=0.3,gap=4,seed=2")
    designs = sim.space(wl).sample(4, 0)
    for fidelity in ("analytical", "cycle"):
        batch = sim.evaluate_batch(designs, wl, fidelity)
        for i, d in enumerate(designs):
            single = sim.evaluate(d, wl, fidelity).metrics
            assert single["latency_s"] == pytest.approx(batch.metrics["latency_s"][i])
            assert single["energy_j"] == pytest.approx(batch.metrics["energy_j"][i])


def test_dnn_workload_becomes_a_trace() -> None:
    sim = get_simulator("dram")
    wl = get_workload("gemm:M=64,N=64,K=64")
    result = sim.evaluate(sim.design_for(wl), wl, "cycle")
    assert result.metrics["write_cmds"] > 0 and result.metrics["read_cmds"] > result.metrics["write_cmds"]
