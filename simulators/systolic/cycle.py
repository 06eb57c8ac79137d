"""Fold-level cycle model of a systolic array with double-buffered SRAMs (SCALE-Sim v3 semantics).

It walks the folds of each GEMM in loop order (numpy over the fold axis, no per-cycle or
per-address trace), so its cost grows with the number of folds, not with the number of MACs:

* compute: fold j takes ``fold_cycles`` (:mod:`.folds`), so ideally ends at ``C_j = (j+1)·L``;
* reads: each SRAM's DRAM port streams its fetch stream (passes × prefetch-matrix words,
  :mod:`.traffic`) at ``dram_bw`` words/cycle. The first fold's slab (``P`` words) is loaded
  before cycle 0 (the *prologue*); the rest streams behind it without gaps, the SRAM's size
  deciding only how often an operand is re-fetched. Fold j needs the operand up to position
  ``x_j`` of the stream, available at ``r_j = ⌈(x_j − P)/bw⌉`` (0 if ``x_j ≤ P``);
* writes: outputs enter the ofmap buffer; the port drains at ``dram_bw``; fold j cannot finish
  before its outputs beyond the buffer capacity are drained;
* finish time ``f_j = max(f_{j−1} + L, r_j)`` — a max-plus recurrence solved in closed form
  with a cumulative maximum: ``f_j = C_j + max(0, max_{i≤j}(r_i − C_i))``;
* each fold's outputs drain once it finishes, back to back on the port; what is still
  draining when the last fold ends is the *epilogue*.

Prologue, arrivals and drains are an idealised controller's, chosen so that a bigger SRAM, more
bandwidth or a bigger array's skew-free share never make a layer slower (SCALE-Sim prefetches
the whole active half and drains its write buffer in halves, so a bigger SRAM can be slower).

Reported like SCALE-Sim's reports: "Total Cycles" = compute + stall − 1 (SCALE-Sim counts the
index of the last cycle), "Total Cycles (incl. prefetch)" = prologue + that + epilogue.

Compute cycles are SCALE-Sim's exactly; the memory side is an idealised double-buffer
controller (an operand that fits is fetched once; one that does not is re-streamed once per
pass), which also supports the other fold order and SRAM tiles. SCALE-Sim's own buffers refetch
more (a forward-only window wraps round the whole operand to reach a slab it has passed); that
behaviour is reproduced exactly by :mod:`.scalesim_memory` (``memory="scalesim"``: the systolic
``scalesim`` fidelity and ``archgym scalesim``). The two agree when operands fit and differ
several-fold on streamed layers (``benchmarks/results/systolic_scalesim.md``).

:func:`evaluate` times one design's GEMMs here and sums them into the network with
:func:`.cycle_network.assemble`, the sums the ``cycle`` fidelity's batch (:mod:`.cycle_batch`) uses too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.metrics import Result, derive
from archgym.workload import Gemm, Op, Workload
from simulators.systolic import cycle_network
from simulators.systolic.folds import OS, WS, df_code, folds, sram_counts
from simulators.systolic.hardware import DATAFLOWS
from simulators.systolic.network import gemm_stack
from simulators.systolic.scalesim_memory import ConvGeometry, MemoryBudgetError, scalesim_memory
from simulators.systolic.space import FOLD_ORDERS
from simulators.systolic.traffic import traffic


@dataclass
class GemmTiming:
    """Cycle-level result of one GEMM (words and cycles)."""

    compute_cycles: int
    stall_cycles: int
    prologue_cycles: int
    epilogue_cycles: int
    folds: int
    mapping_efficiency: float      # 0..1
    compute_util: float            # 0..1, SCALE-Sim's mean per-fold utilisation
    sram_ifmap_reads: int
    sram_filter_reads: int
    sram_ofmap_writes: int
    dram_ifmap_reads: int
    dram_filter_reads: int
    dram_ofmap_writes: int
    ifmap_prologue_cycles: int
    filter_prologue_cycles: int
    tile_folds_used: int = 1       # outer folds per SRAM tile (:func:`.traffic.tile_block`)

    @property
    def cycles(self) -> int:
        """Compute + stall cycles (SCALE-Sim's "Total Cycles" + 1)."""
        return self.compute_cycles + self.stall_cycles

    @property
    def total_cycles(self) -> int:
        """End to end: prologue + compute + stalls + epilogue."""
        return self.prologue_cycles + self.cycles + self.epilogue_cycles


#: :class:`GemmTiming`'s fields in order; its ratio fields and its count fields (cycles, folds, words)
_FIELDS = tuple(f.name for f in fields(GemmTiming))
_FLOAT_FIELDS = tuple(f.name for f in fields(GemmTiming) if f.type == "float")
_INT_FIELDS = tuple(f.name for f in fields(GemmTiming) if f.type != "float")


def _arrival(need: np.ndarray, prologue_words: int, bw: int) -> np.ndarray:
    """Cycle at which a read port has delivered the first ``need`` words of its stream (the
    first ``prologue_words`` arrived before cycle 0; the rest stream at ``bw`` words/cycle)."""
    return np.ceil(np.maximum(need - prologue_words, 0) / bw)


def gemm_timing(g: Gemm, rows: int, cols: int, dataflow: str, ifmap_kb: int, filter_kb: int,
                ofmap_kb: int, dram_bw: int, word_bytes: int = 1, fold_order: str = "col",
                ifmap_bw: int | None = None, filter_bw: int | None = None, tile: int = 1,
                memory: str = "fold", conv: ConvGeometry | None = None) -> GemmTiming:
    """Cycle-level timing of one GEMM (one repeat). ``*_bw`` override the read ports' bandwidth
    (SCALE-Sim's IfmapSRAMBankBandwidth / FilterSRAMBankBandwidth); ``dram_bw`` is the ofmap's;
    ``tile`` = outer folds per SRAM tile (:mod:`.traffic`; 1 = SCALE-Sim). ``memory="scalesim"``
    takes DRAM reads, stalls and the final drain from SCALE-Sim's own buffers
    (:mod:`.scalesim_memory`; column-outer order without tiles only; ``conv`` = the layer's
    geometry when it came from a SCALE-Sim conv topology, whose ifmap repeats addresses)."""
    if memory == "scalesim" and (fold_order != "col" or tile != 1):
        raise ConfigError("memory 'scalesim': SCALE-Sim has only the column-outer fold order (col) "
                          f"without tiles; got fold_order={fold_order!r}, tile={tile}")
    df = df_code(dataflow)
    order = 0 if fold_order == "col" else 1
    bw_i, bw_f, bw_o = ifmap_bw or dram_bw, filter_bw or dram_bw, dram_bw
    f = folds(g.m, g.k, g.n, rows, cols, df)
    s = sram_counts(g.m, g.k, g.n, f, rows, cols, df)
    words = {b: (kb * 1024) // word_bytes for b, kb in (("i", ifmap_kb), ("f", filter_kb), ("o", ofmap_kb))}
    act = {b: w // 2 for b, w in words.items()}
    tr = traffic(g.m, g.k, g.n, f, rows, cols, df, order, act["i"], act["f"], act["o"], tile)
    reads_i, reads_f = int(tr.ifmap_reads), int(tr.filter_reads)
    if memory == "scalesim":
        mem = scalesim_memory(g, rows, cols, dataflow, ifmap_kb, filter_kb, ofmap_kb, bw_i, bw_f, bw_o, word_bytes,
                              conv)
        # SCALE-Sim prefetches the whole active half (or the operand, if smaller) before cycle 0
        pro_i, pro_f = math.ceil(min(reads_i, act["i"]) / bw_i), math.ceil(min(reads_f, act["f"]) / bw_f)
        stall, epilogue = mem.stall_cycles, mem.final_drain_cycles
        reads_i, reads_f = mem.dram_ifmap_reads, mem.dram_filter_reads
    else:
        pro_i, pro_f = math.ceil(int(tr.ifmap_prologue) / bw_i), math.ceil(int(tr.filter_prologue) / bw_f)
        stall, epilogue = _walk(f, tr, df, order, pro_i * bw_i, pro_f * bw_f, words["o"], bw_i, bw_f, bw_o)
    return GemmTiming(
        compute_cycles=int(f.folds) * int(f.fold_cycles), stall_cycles=stall,
        prologue_cycles=max(pro_i, pro_f), epilogue_cycles=epilogue,
        folds=int(f.folds), mapping_efficiency=float(f.mapping_efficiency(rows, cols)),
        compute_util=float(f.compute_util(rows, cols)),
        sram_ifmap_reads=int(s.ifmap_reads), sram_filter_reads=int(s.filter_reads),
        sram_ofmap_writes=int(s.ofmap_writes),
        dram_ifmap_reads=reads_i, dram_filter_reads=reads_f,
        dram_ofmap_writes=int(tr.ofmap_writes), ifmap_prologue_cycles=pro_i, filter_prologue_cycles=pro_f,
        tile_folds_used=int(tr.tile_folds))


def _walk(f: Any, tr: Any, df: int, order: int, pro_words_i: int, pro_words_f: int, words_o: int, bw_i: int,
          bw_f: int, bw_o: int) -> tuple[int, int]:
    """(stall, epilogue) cycles of one GEMM's folds (:func:`.folds.folds` ``f``, :func:`.traffic.traffic`
    ``tr``) in execution order: each fold's operand arrival (after ``pro_words_*`` prologue words), ofmap
    back-pressure (a buffer of ``words_o`` words) and the max-plus recurrence of the module docstring."""
    rf, cf, nf, L = int(f.row_folds), int(f.col_folds), int(f.folds), int(f.fold_cycles)
    block = int(tr.tile_folds)
    fr, fc = _fold_sequence(rf, cf, order, block)
    j = np.arange(nf, dtype=np.int64)
    ideal_end = (j + 1) * L
    need_i = _stream_need(df, "ifmap", tr, fr, fc, rf, cf, order, block)
    need_f = _stream_need(df, "filter", tr, fr, fc, rf, cf, order, block)
    ready = np.maximum(_arrival(need_i, pro_words_i, bw_i), _arrival(need_f, pro_words_f, bw_f))
    # ofmap: outputs written so far must fit the buffer plus what the port has drained
    out_per_fold = int(tr.ofmap_writes) / nf
    written = (j + 1) * out_per_fold
    ready = np.maximum(ready, np.ceil(np.maximum(written - words_o, 0) / bw_o))
    lag = np.maximum.accumulate(ready - ideal_end)
    stall = int(max(0, lag[-1])) if nf else 0
    return stall, _drain_epilogue(out_per_fold / bw_o, ideal_end + np.maximum(lag, 0), nf * L + stall)


def _drain_epilogue(drain: float, finish: np.ndarray, end: int) -> int:
    """Cycles after the last fold (ending at ``end``) until the ofmap port has drained every
    fold's outputs: fold j's take ``drain`` cycles, start when it finishes (``finish[j]``) and
    queue behind the previous fold's, so the port is done at ``max_j finish_j + (n − j)·drain``."""
    if not len(finish):
        return 0
    left = np.arange(len(finish), 0, -1)
    return max(0, math.ceil(float(np.max(finish + left * drain)) - end - 1e-9))


def _fold_sequence(rf: int, cf: int, order: int, block: int) -> tuple[np.ndarray, np.ndarray]:
    """(row fold, column fold) of every fold in execution order: blocks of ``block`` outer folds,
    then the inner folds, then the folds of the block (``block`` 1: plain outer/inner loops)."""
    fr, fc = np.divmod(np.arange(rf * cf, dtype=np.int64), cf)
    outer, inner = (fc, fr) if order == 0 else (fr, fc)
    seq = np.lexsort((outer, inner, outer // block))
    return fr[seq], fc[seq]


def _stream_need(df: int, buf: str, tr: Any, fr: np.ndarray, fc: np.ndarray, rf: int, cf: int,
                 order: int, block: int) -> np.ndarray:
    """Words of ``buf``'s fetch stream needed by the end of each fold (loop order ``order``,
    SRAM tiles of ``block`` outer folds: the inner operand is re-read once per block)."""
    fetch = int(tr.ifmap_fetch if buf == "ifmap" else tr.filter_fetch)
    total = int(tr.ifmap_reads if buf == "ifmap" else tr.filter_reads)
    row_operand = (df in (OS, WS)) == (buf == "ifmap")    # indexed by the row folds (X_r)
    passes = max(total // max(fetch, 1), 1)
    if row_operand:
        slab = fetch / rf
        if order == 0:   # re-read per column block when it does not fit
            return ((fc // block) * fetch if passes > 1 else 0) + (fr + 1) * slab
        return np.where(passes > 1, (fr * cf + fc + 1) * slab, (fr + 1) * slab)
    slab = fetch / cf
    if order == 0:
        return np.where(passes > 1, (fc * rf + fr + 1) * slab, (fc + 1) * slab)
    return ((fr // block) * fetch if passes > 1 else 0) + (fc + 1) * slab


def _layer_mapping(design: Mapping[str, Any], layer: str) -> tuple[str, str, int]:
    """(dataflow, fold order, SRAM tile) of one layer: its own parameters, else the shared ones; a
    dataflow or fold order given as its integer code (0/1/2, as the analytical model takes them) by name."""
    df = design.get(f"{layer}.dataflow", design.get("dataflow"))
    if df is None:
        raise ConfigError(f"systolic design: missing parameter 'dataflow' (or {layer}.dataflow)")
    order = design.get(f"{layer}.fold_order", design.get("fold_order", "auto"))
    return (DATAFLOWS[df] if isinstance(df, int) else df, FOLD_ORDERS[order] if isinstance(order, int) else order,
            int(design.get(f"{layer}.tile_folds", design.get("tile_folds", 1))))


def conv_geometry(op: Op) -> ConvGeometry | None:
    """A single-image conv layer as SCALE-Sim's conv mode sees it (padding folded into the ifmap,
    one channel per group); None for other operators, whose operands never repeat addresses."""
    d = op.dims
    if op.kind != "conv2d" or d["N"] != 1:
        return None
    return ConvGeometry(d["H"] + 2 * d["pad"], d["W"] + 2 * d["pad"], d["C"] // d["groups"], d["R"], d["S"],
                        d["stride"])


def scalesim_violations(workload: Workload, design: Mapping[str, Any]) -> list[str]:
    """Layers whose mapping SCALE-Sim's buffers cannot run (another fold order, or tiles)."""
    out = []
    for op in workload.layers:
        _, order, tile = _layer_mapping(design, op.name)
        if order == "row" or tile > 1:
            out.append(f"scalesim_mapping:{op.name}")
    return out


def layer_timings(workload: Workload, design: Mapping[str, Any], memory: str = "fold"
                  ) -> list[tuple[str, Gemm, str, str, GemmTiming]]:
    """Timing of every GEMM of every MAC layer: (layer, gemm, dataflow, fold order, timing); the
    layer's SRAM tile (``tile_folds``, default 1) applies to whichever fold order runs. With
    ``memory="scalesim"`` every layer runs SCALE-Sim's column-outer order. A GEMM shape that repeats
    with the same mapping (a network's repeated blocks) is timed once."""
    out = []
    memo: dict[tuple[Any, ...], tuple[GemmTiming, str]] = {}
    for op in workload.layers:
        df, order, tile = _layer_mapping(design, op.name)
        conv = None
        if memory == "scalesim":
            order, conv = "col", conv_geometry(op)
        for g in op.gemms():
            key = (g.m, g.k, g.n, g.repeat, df, order, tile, conv)
            if key not in memo:
                kw: dict[str, Any] = {"rows": int(design["rows"]), "cols": int(design["cols"]), "dataflow": df,
                      "ifmap_kb": int(design["ifmap_kb"]), "filter_kb": int(design["filter_kb"]),
                      "ofmap_kb": int(design["ofmap_kb"]), "dram_bw": int(design["dram_bw"]),
                      "word_bytes": int(design["word_bytes"]), "tile": tile, "memory": memory, "conv": conv}
                if order == "auto":
                    cands = [(gemm_timing(g, fold_order=o, **kw), o) for o in ("col", "row")]
                    memo[key] = min(cands, key=lambda c: c[0].total_cycles)
                else:
                    memo[key] = gemm_timing(g, fold_order=order, **kw), order
            t, chosen = memo[key]
            out.append((op.name, g, df, chosen, t))
    return out


def evaluate(design: Mapping[str, Any], workload: Workload, memory: str = "fold") -> Result:
    """Cycle-level evaluation of one design on a workload (layers run one after another; the network
    sums of :func:`.cycle_network.assemble`); ``memory="scalesim"``: SCALE-Sim's own buffers (a
    mapping it cannot run is invalid)."""
    fidelity = "scalesim" if memory == "scalesim" else "cycle"
    if memory == "scalesim":
        bad = scalesim_violations(workload, design)
        if bad:
            return Result.invalid(bad, fidelity=fidelity)
    try:
        timings = layer_timings(workload, design, memory)
    except MemoryBudgetError as exc:   # SCALE-Sim's walk would not fit the memory budget
        return Result.invalid([f"memory_budget: {exc}"], fidelity=fidelity)
    cols = {k: np.array([design[k]]) for k in ("rows", "cols", "ifmap_kb", "filter_kb", "ofmap_kb", "clock_mhz")}
    df = np.array([[df_code(df) for _, _, df, _, _ in timings]], dtype=np.int64)
    use_row = np.array([[order == "row" for _, _, _, order, _ in timings]], dtype=bool)
    metrics, rows = cycle_network.assemble(_timing_arrays([t for *_, t in timings]), df, use_row,
                                           gemm_stack(workload), cols, int(design["word_bytes"]),
                                           str(design["tech"]))
    return Result(derive({k: float(v[0]) for k, v in metrics.items()}), True, [], rows, {"fidelity": fidelity})


def _timing_arrays(timings: list[GemmTiming]) -> dict[str, np.ndarray]:
    """The timings' fields as ``(1, GEMMs)`` arrays (a batch of one design), in :class:`GemmTiming`'s order;
    one conversion per type (counts as int64, the two ratios as float64)."""
    out: dict[str, np.ndarray] = {}
    for names, dtype in ((_INT_FIELDS, np.int64), (_FLOAT_FIELDS, np.float64)):
        block = np.array([[getattr(t, name) for t in timings] for name in names], dtype=dtype)
        out.update(zip(names, block.reshape(len(names), 1, len(timings))))
    return {name: out[name] for name in _FIELDS}
