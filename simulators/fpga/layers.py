"""Lower a workload into the stage table both FPGA architecture styles work on.

Every MAC-bearing GEMM of an operator becomes one *MAC stage* in the convolution form of
Zhang FPGA'15: ``M`` output channels (per group), ``N`` input channels (per group), ``Kr × Ks``
kernel, ``R × C`` outputs, stride ``S``, repeated ``rep`` times (groups / heads). A GEMM
``A[m×k]·B[k×n]`` is ``M=n, N=k, R=m, C=1, K=1``. Element-wise operators become *eltwise
stages*. Stages are kept in the workload's topological order: the streaming style builds one
pipeline in that order (a DAG's branches are serialised; a skip path gets a FIFO).

In FINN's terms a MAC stage is an MVAU with ``MW = N·Kr·Ks`` (SIMD folds it), ``MH = M·rep``
(PE folds it) and ``pix = R·C`` output pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import numpy as np

from archgym.errors import ConfigError
from archgym.workload import Workload
from simulators.common.memo import remember

#: entries a table's memo keeps (fold candidates, one per group count of the hybrid style); a bound
MEMO_LIMIT = 64
_V = TypeVar("_V")


@dataclass(frozen=True)
class StageTable:
    """Per-stage arrays, length ``n`` (all stages, MAC and eltwise, in pipeline order); the derived
    arrays are computed once per table (read them, never write them)."""

    names: tuple[str, ...]
    is_mac: np.ndarray      # bool
    M: np.ndarray
    N: np.ndarray
    Kr: np.ndarray
    Ks: np.ndarray
    R: np.ndarray
    C: np.ndarray
    S: np.ndarray
    pad: np.ndarray
    rep: np.ndarray
    in_rows: np.ndarray     # rows of the stage's input stream (per inference)
    in_cols: np.ndarray     # input columns (padded width) of a spatial stage
    E: np.ndarray           # eltwise: elements; MAC: output elements
    elt_ops: np.ndarray     # eltwise: operations per element
    elt_inputs: np.ndarray  # eltwise: operand tensors
    producer: np.ndarray    # index of the nearest preceding MAC stage (−1 if none)

    @property
    def n(self) -> int:
        return len(self.names)

    @cached_property
    def mac_idx(self) -> np.ndarray:
        return np.flatnonzero(self.is_mac)

    @cached_property
    def MW(self) -> np.ndarray:
        return self.N * self.Kr * self.Ks

    @cached_property
    def MH(self) -> np.ndarray:
        return self.M * self.rep

    @cached_property
    def pix(self) -> np.ndarray:
        return self.R * self.C

    @cached_property
    def macs(self) -> np.ndarray:
        return np.where(self.is_mac, self.MW * self.MH * self.pix, 0)

    @cached_property
    def weight_elems(self) -> np.ndarray:
        return np.where(self.is_mac, self.MW * self.MH, 0)

    @cached_property
    def out_rows(self) -> np.ndarray:
        return np.where(self.is_mac, self.R, self.in_rows)

    @cached_property
    def in_elems(self) -> np.ndarray:
        return np.where(self.is_mac, self.rep * self.N * self.in_rows * self.in_cols, self.E * self.elt_inputs)

    @cached_property
    def out_elems(self) -> np.ndarray:
        return np.where(self.is_mac, self.MH * self.pix, self.E)

    @cached_property
    def _memo(self) -> dict[Any, Any]:
        return {}

    def remember(self, key: Any, build: Callable[[], _V]) -> _V:
        """``build()`` memoised on this table under ``key`` (workload-only quantities the models
        derive: fold candidates, hybrid group sub-tables); a full memo (``MEMO_LIMIT``) is emptied first."""
        return remember(self._memo, key, build, MEMO_LIMIT)


def lower(workload: Workload) -> StageTable:
    """The stage table of ``workload`` (pure; call once per evaluation batch)."""
    rows: list[dict[str, float]] = []
    names: list[str] = []
    last_mac = -1
    last_rows = 1
    for op in workload.ops:
        d = op.dims
        if op.kind == "eltwise":
            names.append(op.name)
            rows.append({"mac": 0, "M": 1, "N": 1, "Kr": 1, "Ks": 1, "R": last_rows, "C": 1, "S": 1, "pad": 0, "rep": 1,
                             "in_rows": last_rows, "in_cols": 1, "E": d["E"], "ops": d["ops"], "inputs": d["inputs"],
                             "producer": last_mac})
            continue
        if op.kind == "conv2d":
            p, q = op.out_hw
            g = d["groups"]
            parts = [(op.name, {"M": d["K"] // g, "N": d["C"] // g, "Kr": d["R"], "Ks": d["S"], "R": d["N"] * p, "C": q,
                                    "S": d["stride"], "pad": d["pad"], "rep": g, "in_rows": d["N"] * d["H"],
                                    "in_cols": d["W"] + 2 * d["pad"]})]
        else:
            gemms = op.gemms()
            suffixes = [""] if len(gemms) == 1 else [".qk", ".sv"][: len(gemms)]
            parts = [(op.name + sfx, {"M": gm.n, "N": gm.k, "Kr": 1, "Ks": 1, "R": gm.m, "C": 1, "S": 1, "pad": 0, "rep": gm.repeat,
                                          "in_rows": gm.m, "in_cols": 1}) for sfx, gm in zip(suffixes, gemms)]
        for name, row in parts:
            names.append(name)
            rows.append(dict(mac=1, **row, E=row["M"] * row["rep"] * row["R"] * row["C"], ops=0, inputs=1,
                             producer=last_mac))
            last_mac = len(rows) - 1
            last_rows = int(row["R"])
    if not rows:
        raise ConfigError(f"workload {workload.name}: no operators to map onto the FPGA")
    col = {k: np.array([r[k] for r in rows], dtype=np.int64) for k in rows[0]}
    return StageTable(tuple(names), col["mac"].astype(bool), col["M"], col["N"], col["Kr"], col["Ks"], col["R"],
                      col["C"], col["S"], col["pad"], col["rep"], col["in_rows"], col["in_cols"], col["E"],
                      col["ops"], col["inputs"], col["producer"])
