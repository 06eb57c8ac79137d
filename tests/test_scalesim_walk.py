"""The compiled conv-ifmap walk (simulators/systolic/scalesim_walk.py) against SCALE-Sim's read
buffer written out literally: Python sets of addresses cut every ε valid words of the fetch order,
each demanded address looked up in the window's sets, the window slid one step at a time until it
hits. Random small conv layers (strides 1–3 with (H − R) not a multiple of the stride, rounded-up
ofmaps, 1×1 to 5×5 filters), every dataflow, buffers of 16–256 words so that windows slide and wrap.
"""

from __future__ import annotations

import numpy as np
import pytest

from archgym.workload import Gemm
from simulators.systolic import scalesim_memory as mem


def _literal(buf: mem._ReadBuffer, order: mem._FetchOrder, demands: list[mem._Demand], fold_rows: int,
             conv: mem.ConvGeometry, m_from_column: bool) -> tuple[int, np.ndarray, np.ndarray]:
    """SCALE-Sim 3.0.0's ``read_buffer`` (prepare_hashed_buffer, service_reads, new_prefetch) for
    one operand, demand by demand."""
    def address(r: int, c: int) -> int:
        block, within = divmod(r, order.height)
        other = block * order.width + c
        m, k = (other, within) if m_from_column else (within, other)
        return int(conv.address(np.array(m), np.array(k)))

    fetch = [0] * order.valid
    for r in range(order.rows):
        for c in range(int(order.block_widths[r // order.height])):
            fetch[int(order.rank(np.array([r]), np.array([c]))[0])] = address(r, c)
    sets: list[set[int]] = [set()]
    count = 0
    for a in fetch:                     # a set closes after every ε words with an address
        if a >= 0:
            sets[-1].add(a)
            count += 1
            if count % buf.set_words == 0:
                sets.append(set())
    reads, n_sets, step = mem._window_walk(buf, order, count)
    assert n_sets == len(sets)
    rows: list[int] = []
    slides: list[int] = []
    if not step:
        return reads, np.zeros(0, np.int64), np.zeros(0, np.int64)
    start = 0
    for f, (b, kind, arg) in enumerate(demands):
        h, w = order.height, int(order.block_widths[b])
        if kind == "sweep":             # word (t, c) demanded at row arg + t + c, columns ascending
            words = [(arg + d, b * h + d - c, c) for d in range(h + w - 1) for c in range(w) if 0 <= d - c < h]
        else:                           # rows r1 − 1 down to r0
            r0, r1, array_rows = arg
            words = [(array_rows - 1 - (r - r0), b * h + r, c) for r in range(r1 - 1, r0 - 1, -1) for c in range(w)]
        for row, r, c in words:
            a = address(r, c)
            if a < 0:
                continue
            k = 0
            while not any(a in sets[(start + i) % n_sets] for i in range(buf.window_sets)):
                start, k = (start + step) % n_sets, k + 1
            if k:
                rows.append(f * fold_rows + row)
                slides.append(k)
    return mem._slide_result(buf, reads, np.array(rows, np.int64), np.array(slides, np.int64))


Case = tuple[mem.ConvGeometry, int, tuple[int, int], str, int, int]


def _cases(n: int) -> list[Case]:
    """(conv, filters, array rows × columns, dataflow, bytes per word, bandwidth)."""
    rng = np.random.default_rng(17)
    out: list[Case] = []
    while len(out) < n:
        r = int(rng.choice([1, 2, 3, 5]))
        stride = int(rng.integers(1, 4))
        h, w = int(rng.integers(r, 13)), int(rng.integers(r, 13))
        if r == 1 and stride == 1:      # no repeated addresses: the GEMM path
            continue
        conv = mem.ConvGeometry(h, w, int(rng.integers(1, 4)), r, r, stride, bool(rng.integers(2)))
        array = (int(rng.integers(2, 9)), int(rng.integers(2, 9)))
        out.append((conv, int(rng.integers(1, 13)), array, str(rng.choice(["os", "ws", "is"])),
                    int(rng.choice([4, 8, 16, 32, 64])), int(rng.integers(1, 11))))
    return out


@pytest.mark.parametrize("conv,filters,array,dataflow,word_bytes,bw", _cases(40))
def test_compiled_walk_equals_the_literal_read_buffer(monkeypatch, conv, filters, array, dataflow, word_bytes, bw):
    fast = _run((conv, filters, array, dataflow, word_bytes, bw))
    monkeypatch.setattr(mem, "_read_slides_addressed", _literal)
    assert fast == _run((conv, filters, array, dataflow, word_bytes, bw))


def _run(case: Case) -> mem.MemoryResult:
    conv, filters, (rows, cols), dataflow, word_bytes, bw = case
    g = Gemm(conv.p * conv.q, conv.r * conv.s * conv.c, filters)
    return mem.scalesim_memory(g, rows, cols, dataflow, 1, 1, 1, bw, bw, bw, word_bytes, conv=conv)


def test_the_random_layers_overhang_and_slide():
    """The grid above is not vacuous: its layers overhang the ifmap and its windows slide."""
    cases = _cases(40)
    assert sum(c.round_up and (c.h - c.r) % c.stride != 0 for c, *_ in cases) >= 5
    assert sum(mem._present_entries(c) < c.p * c.q * c.r * c.s * c.c for c, *_ in cases) >= 5
    assert sum(_run(case).dram_ifmap_reads > 1024 // case[4] for case in cases) >= 20
