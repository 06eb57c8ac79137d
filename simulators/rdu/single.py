"""One auto-mapped RDU design at the analytical fidelity: the default mapper's choice and its model row
in one compiled call (issue 17, item 1).

The analytical mapper (:meth:`.simulator.RDUSimulator._analytical_choice`) picks the valid candidate
with the lowest analytical latency (the first of equals). Every candidate's floor
(:mod:`.cycle_search`) is at most its analytical latency, so that choice is found by modelling the
candidates in order of floor and stopping at the first floor above the best valid latency so far
(``1e-9`` margin, as the mapper's second pass): every candidate of lowest latency has a floor at most
that latency and is modelled before the stop. A design models a median 3.5 rows on ResNet-18 (mean
6.7; BERT-base 16.6) instead of the mapper's 16 or more. :func:`_choose` computes the floors (:func:`.cycle_search._floors`), orders them,
and models each row by the batch kernel itself (:func:`.analytical_kernel._rows`), so the chosen row
has the numbers of the batch path to the bit (``tests/test_rdu_single.py``). A NaN floor or latency,
where this order argument does not hold, returns nothing: the caller takes the mapper's path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping as MappingABC
from typing import Any

import numpy as np
from numba import njit

from simulators.rdu import analytical, cycle_search, section_table
from simulators.rdu import analytical_kernel as ak
from simulators.rdu import mapping as mp
from simulators.rdu.kernels import KernelGraph

#: the depth of the mapper's candidates (:class:`.mapping.Candidates`)
DEPTH = 2.0
#: the outputs of :func:`.analytical_kernel.rows` (:func:`.analytical.outputs`)
Outputs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def choose(key: Any, design: MappingABC[str, Any], hw: np.ndarray, kg: KernelGraph
           ) -> tuple[mp.Mapping, Outputs] | None:
    """The analytical mapper's choice for ``design`` among the candidates of its hardware key ``key``
    (:class:`.simulator.Built`) and the chosen row's :func:`.analytical_kernel.rows` outputs
    (:func:`.analytical.outputs` of one design; :func:`model` makes them a :class:`.analytical.Model`),
    or None (NaN floor or latency: take the mapper's path). ``hw``: the design's
    :func:`.simulator._hardware` column."""
    cuts = key.cands.cuts
    tile, tp = cuts.tile[:, 0], cuts.tp[:, 0]
    pcu_row = section_table.table(kg).split_pcu(key.split)
    out = analytical.outputs(1, len(kg))
    floor_hw = cycle_search.floor_hardware([design])
    g_int, g_float, sink, allreduce, es, ed, by_dst = analytical.graph_arrays(kg)
    out_f, out_i, used, out_row, flags = out
    j = _choose(key.terms, floor_hw, cuts.section, key.view.entry, pcu_row, tile, tp, g_int, g_float, sink, allreduce,
                es, ed, by_dst, hw, float(int(design["word_bytes"])), float(float(design["reconfig_us"]) * 1e-6),
                kg.total_flops, out_f, out_i, used, out_row, flags)
    if j < 0:
        return None
    return mp.Mapping(cuts.section[j], pcu_row[key.view.entry[j]], int(tile[j]), int(DEPTH), int(tp[j])), out


def model(mapping: mp.Mapping, out: Outputs) -> analytical.Model:
    """The :class:`.analytical.Model` of :func:`choose`'s choice ``mapping`` from its outputs ``out``."""
    return analytical.model_of(mapping.section[None], mapping.pcu[None], np.full(1, mapping.tp), np.full(1, DEPTH),
                               out)


@njit(cache=True)
def _choose(terms: np.ndarray, floor_hw: np.ndarray, section: np.ndarray, entry: np.ndarray, pcu: np.ndarray,
            tile: np.ndarray, tp: np.ndarray, g_int: np.ndarray, g_float: np.ndarray, sink: np.ndarray,
            allreduce: np.ndarray, es: np.ndarray, ed: np.ndarray, by_dst: np.ndarray, hw: np.ndarray, wb: float,
            reconfig_s: float, flops: float, out_f: np.ndarray, out_i: np.ndarray, used: np.ndarray,
            out_row: np.ndarray, flags: np.ndarray) -> int:  # pragma: no cover - compiled
    """The chosen candidate (module docstring) of the ``C`` candidates with floor ``terms`` ``(3, C)``,
    cuts ``section`` ``(C, N)``, PCUs ``pcu[entry]`` and ``tile``, ``tp`` ``(C,)``, its model row in
    ``out_f`` … ``flags`` (one design: :func:`.analytical.outputs`); -1 where a floor or a latency is NaN."""
    n_cand, n = section.shape
    floors = np.empty(n_cand)
    cycle_search._floors(terms, floor_hw, np.zeros(n_cand, np.int64), floors)
    for j in range(n_cand):
        if math.isnan(floors[j]):
            return -1
    order = np.argsort(floors, kind="mergesort")
    sec, pc = np.empty((1, n), np.int64), np.empty((1, n), np.int64)
    tile1, tp1, depth1 = np.empty(1, np.int64), np.empty(1, np.int64), np.full(1, DEPTH)
    s_f, s_i, s_used = np.empty_like(out_f), np.empty_like(out_i), np.empty_like(used)
    s_row, s_flags = np.empty_like(out_row), np.empty_like(flags)
    best, chosen = math.inf, -1
    for j in order:
        if not floors[j] <= best * (1 + 1e-9):
            break
        sec[0] = section[j]
        for k in range(n):
            pc[0, k] = pcu[entry[j, k]]
        tile1[0], tp1[0] = tile[j], tp[j]
        ak._rows(g_int, g_float, sink, allreduce, es, ed, by_dst, hw, sec, pc, tile1, depth1, tp1, wb, reconfig_s,
                 flops, s_f, s_i, s_used, s_row, s_flags)
        score = s_row[ak.LATENCY, 0]
        for q in range(1, s_flags.shape[0]):
            if s_flags[q, 0]:
                score = math.inf
        if math.isnan(score):
            return -1
        if chosen < 0 or score < best or (score == best and j < chosen):
            best, chosen = score, j
            out_f[:], out_i[:], used[:], out_row[:], flags[:] = s_f, s_i, s_used, s_row, s_flags
    return chosen
