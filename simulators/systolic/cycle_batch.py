"""The fold-level cycle model (:mod:`.cycle`, ``memory="fold"``) of a batch of designs on a network.

Every (design, GEMM, fold order) that a design's mapping asks for — both orders where the fold order is
``auto`` — is one timing task; tasks with the same GEMM shape and hardware (a network's repeated
layers, designs sharing an array) are walked once (:func:`.fold_walk.timings`), and the faster order is
kept where ``auto`` (column-outer on ties). The chosen timings go to :func:`.cycle_network.assemble`,
the network sums that :func:`.cycle.evaluate` uses too, so the metrics equal a loop of
:func:`.cycle.evaluate` exactly (``tests/test_systolic_cycle_batch.py``). Designs with different
word sizes or technologies are evaluated in separate groups, and large batches in chunks of
:data:`CHUNK_DESIGNS` designs (memory bounded whatever the batch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from archgym.errors import ConfigError
from archgym.workload import Workload
from simulators.common.arrays import distinct_rows, to_numpy
from simulators.common.family import Designs, LayerRows, ModelOutput
from simulators.systolic import cycle_network, fold_walk
from simulators.systolic.network import GemmStack, gemm_stack, mapping_codes

#: designs evaluated together (assumed, a memory bound: 2,048 ResNet-18 designs peak at ~23 MB, measured
#: with tracemalloc; chunks do not change results)
CHUNK_DESIGNS = 2048
#: integer hardware columns (truncated like ``int(design[...])``) and their smallest allowed value
_HW = {"rows": 1, "cols": 1, "ifmap_kb": 0, "filter_kb": 0, "ofmap_kb": 0, "dram_bw": 1}


def evaluate(designs: Designs, workload: Workload) -> ModelOutput:
    """Cycle-level metrics of every design (arrays over the designs), and design 0's per-GEMM rows."""
    cols = {k: to_numpy(v).reshape(-1) for k, v in designs.columns.items()}
    groups: dict[tuple[Any, Any], list[int]] = {}
    for i, key in enumerate(zip(cols["word_bytes"].tolist(), cols["tech"].tolist())):
        groups.setdefault(key, []).append(i)
    stack = gemm_stack(workload)
    metrics: dict[str, np.ndarray] = {}
    first: LayerRows | None = None
    for (wb, tech), members in groups.items():
        for start in range(0, len(members), CHUNK_DESIGNS):
            idx = members[start:start + CHUNK_DESIGNS]
            part = cols if len(idx) == designs.n else {k: v[idx] for k, v in cols.items()}
            m, rows = _network(part, stack, int(wb), str(tech))
            for name, v in m.items():
                metrics.setdefault(name, np.empty(designs.n))[idx] = v
            if idx[0] == 0:
                first = rows
    return ModelOutput(metrics, {}, first)


def _network(cols: dict[str, np.ndarray], stack: GemmStack, wb: int, tech: str
             ) -> tuple[dict[str, np.ndarray], LayerRows]:
    """Metrics of designs of one word size and technology, and a builder of the first design's GEMM rows."""
    hw = {k: _checked(cols, k, low) for k, low in _HW.items()}
    n, n_gemms = len(hw["rows"]), len(stack.m)
    df, order, tile = (np.broadcast_to(_on_gemms(x, stack), (n, n_gemms)) for x in mapping_codes(cols, stack.names))
    t, use_row = _chosen(hw, df, order, tile, stack, wb)
    return cycle_network.assemble(t, df, use_row, stack, cols, wb, tech)


def _chosen(hw: dict[str, np.ndarray], df: np.ndarray, order: np.ndarray, tile: np.ndarray, stack: GemmStack,
            wb: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Timing fields ``(designs, GEMMs)`` of the fold order each GEMM runs, and where that is row-outer:
    ``auto`` (code 0) takes the order with fewer total cycles, column-outer on ties."""
    n, n_gemms = df.shape
    d, g = np.divmod(np.arange(n * n_gemms), n_gemms)
    wanted = [(order != 2).reshape(-1), (order != 1).reshape(-1)]   # column-outer, row-outer
    task_d = np.concatenate([d[w] for w in wanted])
    task_g = np.concatenate([g[w] for w in wanted])
    task_o = np.concatenate([np.full(int(w.sum()), o) for o, w in enumerate(wanted)])
    keys = np.stack([stack.m[task_g], stack.k[task_g], stack.n[task_g], df[task_d, task_g], task_o,
                     tile[task_d, task_g], *(hw[k][task_d] for k in _HW)], axis=1)
    first, inverse = distinct_rows(keys, last_major=True)
    uniq = keys[first]
    c = dict(zip(("m", "k", "n", "df", "order", "tile", *_HW), uniq.T))
    u = fold_walk.timings(c["m"], c["k"], c["n"], c["rows"], c["cols"], c["df"], c["order"], c["tile"],
                          (c["ifmap_kb"], c["filter_kb"], c["ofmap_kb"]), c["dram_bw"], wb)
    u_total = u["prologue_cycles"] + u["compute_cycles"] + u["stall_cycles"] + u["epilogue_cycles"]
    slot = np.full((2, n * n_gemms), -1)
    slot[task_o, task_d * n_gemms + task_g] = inverse
    total = np.where(slot >= 0, u_total[slot], np.iinfo(np.int64).max)
    use_row = (total[1] < total[0]).reshape(n, n_gemms)
    pick = np.where(use_row.reshape(-1), slot[1], slot[0]).reshape(n, n_gemms)
    return {k: v[pick] for k, v in u.items()}, use_row


def _on_gemms(x: np.ndarray, stack: GemmStack) -> np.ndarray:
    """A ``(designs or 1, layers or 1)`` knob as ``(designs or 1, GEMMs or 1)``."""
    return x if x.shape[-1] == 1 else x[:, stack.layer]


def _checked(cols: dict[str, np.ndarray], key: str, low: int) -> np.ndarray:
    """An integer hardware column, every value ≥ ``low`` (a :class:`ConfigError` naming the first that is not)."""
    v = cols[key].astype(np.int64)
    bad = np.flatnonzero(v < low)
    if len(bad):
        raise ConfigError.bad_value(key, cols[key].tolist()[bad[0]], f"integers ≥ {low}", "systolic design")
    return v
