"""Heterogeneous sub-accelerators (simulators/hetero): templates, latency/energy tables, multi-task metrics."""

from __future__ import annotations

import numpy as np
import pytest

from archgym.errors import ConfigError
from archgym.workload import Op, Workload
from simulators.hetero import TEMPLATES, SubAccel, combine, machine, table
from simulators.loopnest import LoopNestSimulator


def small_net(name: str, width: int, k: int = 3) -> Workload:
    """A three-layer 8×8 CNN (conv, conv, fully connected)."""
    return Workload.chain(name, [
        Op("c1", "conv2d", {"C": 1, "K": width, "H": 8, "W": 8, "R": k, "S": k, "pad": k // 2}),
        Op("c2", "conv2d", {"C": width, "K": 2 * width, "H": 8, "W": 8, "R": 3, "S": 3, "pad": 1, "stride": 2}),
        Op("fc", "gemm", {"M": 1, "N": 10, "K": 2 * width * 16}),
    ])


NETS = [small_net("narrow", 4), small_net("wide", 16, 5)]


@pytest.mark.parametrize("template", TEMPLATES)
def test_machine_is_resized_to_the_sub_accelerator(template):
    sub = SubAccel(template, 64, 48.0, 12.0)
    hw = machine(sub)
    assert hw.array == (8, 8) and hw.pes == 64
    every = tuple(range(len(hw.array)))
    shared = [m for m in hw.memories if not m.is_dram and m.served_axes == every]
    assert sum(m.size_bits for m in shared) / 8192.0 == pytest.approx(48.0)
    dram = [m for m in hw.memories if m.is_dram]
    assert [m.read_bw_bits for m in dram] == [96.0] and [m.write_bw_bits for m in dram] == [96.0]
    assert machine(SubAccel(template, 256, 48.0, 12.0)).area_mm2() > hw.area_mm2()
    assert machine(SubAccel(template, 64, 96.0, 12.0)).area_mm2() > hw.area_mm2()


@pytest.mark.parametrize(("field", "sub"), [("template", ("xs", 64, 16.0, 8.0)), ("pes", ("os", 48, 16.0, 8.0)),
                                            ("buffer_kb", ("ws", 64, 0.0, 8.0))])
def test_bad_sub_accelerator_is_a_one_line_error(field, sub):
    with pytest.raises(ConfigError, match=field):
        SubAccel(*sub)


def test_table_matches_the_loop_nest_family_on_the_same_machine():
    """A table entry is the network the loop-nest family's ``evaluate_machine`` costs."""
    subs = [SubAccel(t, 16, 16.0, 8.0) for t in TEMPLATES]
    tab = table(NETS, subs)
    family = LoopNestSimulator()
    for i, net in enumerate(NETS):
        for j, sub in enumerate(subs):
            r = family.evaluate_machine(machine(sub), net, "edp")
            assert tab.latency_s[i, j] == pytest.approx(r.metrics["latency_s"], rel=1e-9)
            assert tab.energy_j[i, j] == pytest.approx(r.metrics["energy_j"], rel=1e-9)
            assert tab.valid[i, j] == r.valid
        assert tab.area_mm2[list(subs).index(subs[0])] == pytest.approx(machine(subs[0]).area_mm2())


def test_templates_differ_by_dataflow_and_bandwidth_never_slows():
    subs = [SubAccel(t, 16, 16.0, bw) for t in TEMPLATES for bw in (2.0, 16.0)]
    tab = table(NETS, subs)
    lat = tab.latency_s.reshape(len(NETS), len(TEMPLATES), 2)
    assert np.all(lat[:, :, 1] <= lat[:, :, 0] * (1 + 1e-9))          # more DRAM bandwidth: never slower
    assert len({round(x, 15) for x in lat[1, :, 1]}) == len(TEMPLATES)  # three dataflows, three latencies
    assert np.all(tab.latency_s[1] > tab.latency_s[0])                  # the wider network is slower everywhere


def test_combine_shares_slots_and_counts_built_area():
    subs = [SubAccel("os", 16, 16.0, 8.0), SubAccel("rs", 64, 16.0, 8.0)]
    tab = table(NETS, subs)
    tabs = [tab, tab]
    nets = np.array([[0, 1], [0, 1], [1, 1]])
    slots = np.array([[0, 1], [0, 1], [1, 0]])
    assign = np.array([[0, 1], [1, 1], [0, 0]])
    m, valid = combine(tabs, nets, slots, assign)
    assert valid.all()
    # design 0: task 0's net 0 on config 0, task 1's net 1 on config 1, in parallel
    assert m["latency_s"][0].tolist() == [tab.latency_s[0, 0], tab.latency_s[1, 1]]
    assert m["area_mm2"][0] == pytest.approx(tab.area_mm2.sum())
    # design 1: both on slot 1 (config 1), one after the other; slot 0 idle, not built
    both = tab.latency_s[0, 1] + tab.latency_s[1, 1]
    assert m["latency_s"][1] == pytest.approx([both, both])
    assert m["area_mm2"][1] == pytest.approx(tab.area_mm2[1])
    assert m["energy_j"][1] == pytest.approx(tab.energy_j[0, 1] + tab.energy_j[1, 1])
    assert m["power_w"][1] == pytest.approx(m["energy_j"][1] / both)
    # design 2: slot 0 holds config 1
    assert m["latency_s"][2, 0] == pytest.approx(2 * tab.latency_s[1, 1])
    # a batch is its rows
    for i in range(3):
        one, _ = combine(tabs, nets[i:i + 1], slots[i:i + 1], assign[i:i + 1])
        for k in m:
            assert np.allclose(one[k][0], m[k][i])
    with pytest.raises(ConfigError, match="assign"):
        combine(tabs, nets, slots, np.array([[0, 2], [0, 0], [0, 0]]))
