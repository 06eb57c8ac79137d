"""Single tiled engine reused across layers (Zhang FPGA'15, Angel-Eye, FlightLLM-style overlays).

A ``Tm × Tn`` MAC array computes ``Tm`` output channels from ``Tn`` input channels per cycle
(loop nest of Zhang FPGA'15: row/column tiles outer, then ``M``-tiles, then ``N``-tiles; II = 1):

* ``compute = rep · ⌈M/Tm⌉ · ⌈N/Tn⌉ · ⌈R/Tr⌉ · ⌈C/Tc⌉ · Tr · Tc · Kr · Ks`` cycles;
* off-chip traffic per Zhang's CTC model: input tiles ``Tn·(S·Tr+Kr−S)·(S·Tc+Ks−S)`` re-read for
  every ``M``-tile, weights re-read for every spatial tile, outputs written once;
* double buffering overlaps DMA and compute: ``cycles = max(compute, traffic / (B/cycle))`` plus the
  first tile's load and the last tile's store — the roofline ``min(comp_roof, CTC · BW)``.

The spatial tile ``Tr × Tc`` of each layer is the largest that fits the tile buffers (the
``buf_kib`` knob): full rows first (``Tc = C``), then as many rows as fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulators.fpga import kernels
from simulators.fpga.devices import FPGADevice
from simulators.fpga.fabric import Fabric
from simulators.fpga.layers import StageTable
from simulators.fpga.precision import Precision
from simulators.fpga.resources import FF_PER_LUT, acc_bits, acc_log, ceil_div, datapath_lut, memory

ENGINE_CONTROL_LUT = 2000   # DMA engines, AXI interconnect, loop controller [U]
VECTOR_LUT_PER_LANE_BIT = 4.0  # post-processing (pool/ReLU/add) vector unit, per lane per bit [U]


@dataclass
class TiledModel:
    cycles: np.ndarray        # (D, n) per stage, DMA/compute overlapped
    compute: np.ndarray       # (D, n) compute cycles
    dram_bytes: np.ndarray    # (D, n)
    tr: np.ndarray            # (D, n) row tile
    tc: np.ndarray            # (D, n) column tile
    res: dict[str, np.ndarray]  # engine totals (D,)
    buffer_ok: np.ndarray     # (D,) every layer's smallest tile fits the buffers


#: the stage table's extents the engine model reads, kept as floats
_DIMS = ("M", "N", "Kr", "Ks", "R", "C", "S", "rep", "E")


@dataclass(frozen=True)
class _Layers:
    """The workload-only arrays of the tiled engine's loop nest, as floats (built once per table)."""

    dims: dict[str, np.ndarray]  # _DIMS of the stage table as floats
    row_words: np.ndarray      # Kr·(S·C + Ks − S): input words of a full-row tile
    weight_words: np.ndarray   # rep·M·N·Kr·Ks: one pass over a layer's weights
    out_words: np.ndarray      # rep·M·R·C: a layer's outputs
    extra_words: np.ndarray    # (operands − 1)·E: an eltwise stage's other operands
    kernel: np.ndarray         # Kr·Ks
    mw_max: float              # the widest reduction (accumulator width)
    kmax: float                # the largest MAC kernel (weight buffer depth)
    acc_log: float             # ceil(log2(max(mw_max, 2))): resources.acc_bits's reduction term

    @classmethod
    def of(cls, table: StageTable) -> _Layers:
        dims = {k: getattr(table, k).astype(float) for k in _DIMS}
        M, N, Kr, Ks, R, C, S, rep, E = dims.values()
        return cls(dims, Kr * (S * C + Ks - S), rep * M * N * Kr * Ks, rep * M * R * C,
                   (table.elt_inputs - 1).astype(float) * E, Kr * Ks, float(table.MW.max()),
                   float((table.Kr * table.Ks)[table.is_mac].max()),
                   float(acc_log(table.MW.max())))


def _layers(table: StageTable) -> _Layers:
    return table.remember("tiled", lambda: _Layers.of(table))


def engine_resources(table: StageTable, fab: Fabric, tm: np.ndarray, tn: np.ndarray,
                     buf_kib: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Engine resources (D,), and the words one input / output buffer bank holds (D,); ``fab``: the
    designs' devices and precisions. :func:`kernels.engine_resources`, the numbers of
    :func:`engine_resources_arrays`."""
    lay = _layers(table)
    res, words = kernels.engine_resources(
        fab.bits, fab.is_float, fab.fp_lut_per_lane, fab.uses_dsp, fab.slice_divisor, fab.has_uram,
        np.asarray(tm, dtype=float).reshape(-1), np.asarray(tn, dtype=float).reshape(-1),
        np.asarray(buf_kib, dtype=float).reshape(-1), lay.acc_log, lay.kmax, float(ENGINE_CONTROL_LUT),
        VECTOR_LUT_PER_LANE_BIT, FF_PER_LUT)
    return dict(zip(("dsp", "lut", "ff", "bram18k", "uram"), res)), words[0], words[1]


def engine_resources_arrays(table: StageTable, fab: Fabric, tm: np.ndarray, tn: np.ndarray,
                            buf_kib: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """:func:`engine_resources` as array operations: the definition the compiled kernel is held to
    (``tests/test_fpga_single_path.py``)."""
    bits = fab.bits
    tm = np.asarray(tm, dtype=float)
    tn = np.asarray(tn, dtype=float)
    buf_bits = np.asarray(buf_kib, dtype=float) * 8192.0
    uses_dsp = fab.uses_dsp
    has_uram = fab.has_uram
    lay = _layers(table)
    acc = acc_bits(bits, fab.is_float, lay.mw_max)
    in_words = np.floor(buf_bits / (tn * bits))
    out_words = np.floor(buf_bits / (tm * acc))
    kmax = lay.kmax
    # input, output and weight buffers (double-buffered banks), in one call
    (ib, ob, wb), (iu, ou, wu), (il, ol, wl) = memory(
        np.stack([bits, acc, tn * bits]), np.stack([in_words, out_words, np.full_like(tn, kmax)]), has_uram,
        copies=np.stack([2 * tn, 2 * tm, 2 * tm]))
    lanes = tm * tn
    dsp = np.where(uses_dsp, np.ceil(lanes / fab.slice_divisor), 0.0)
    lut = (ENGINE_CONTROL_LUT + datapath_lut(tm, tn, bits, fab.is_float, fab.fp_lut_per_lane, lay.mw_max, uses_dsp)
           + tm * bits * VECTOR_LUT_PER_LANE_BIT + il + ol + wl)
    res = {"dsp": dsp, "lut": lut, "ff": lut * 1.3, "bram18k": ib + ob + wb, "uram": iu + ou + wu}
    return res, in_words, out_words


def tiled(table: StageTable, dev: FPGADevice, prec: Precision, tm: np.ndarray, tn: np.ndarray,
          buf_kib: np.ndarray, bytes_per_cycle: np.ndarray) -> TiledModel:
    """Evaluate the tiled engine for ``D`` designs sharing ``dev`` and ``prec``."""
    fab = Fabric.of([dev.name] * np.size(tm), [prec.name] * np.size(tm))
    return engine(table, fab, tm, tn, buf_kib, bytes_per_cycle, engine_resources(table, fab, tm, tn, buf_kib))


def engine(table: StageTable, fab: Fabric, tm: np.ndarray, tn: np.ndarray, buf_kib: np.ndarray,
           bytes_per_cycle: np.ndarray, resources: tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]
           ) -> TiledModel:
    """Evaluate the tiled engine for ``D`` designs, ``fab`` their devices and precisions, ``resources``
    what :func:`engine_resources` returns for them: :func:`kernels.engine`, the numbers of :func:`engine_arrays`."""
    res, in_words, out_words = resources
    lay = _layers(table)
    M, N, Kr, Ks, R, C, S, rep, E = lay.dims.values()
    cycles, compute, dram, tr, tc, buffer_ok = kernels.engine(
        M, N, Kr, Ks, R, C, S, rep, E, lay.row_words, lay.weight_words, lay.out_words, lay.extra_words, lay.kernel,
        table.is_mac, fab.bits / 8.0, np.asarray(tm, dtype=float).reshape(-1), np.asarray(tn, dtype=float).reshape(-1),
        in_words, out_words, np.asarray(bytes_per_cycle, dtype=float).reshape(-1))
    return TiledModel(cycles, compute, dram, tr, tc, res, buffer_ok)


def engine_arrays(table: StageTable, fab: Fabric, tm: np.ndarray, tn: np.ndarray, buf_kib: np.ndarray,
                  bytes_per_cycle: np.ndarray, resources: tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]
                  ) -> TiledModel:
    """:func:`engine` as array operations: the definition the compiled kernel is held to
    (``tests/test_fpga_single_path.py``)."""
    res, in_words, out_words = resources
    B = (fab.bits / 8.0)[:, None]
    tm = np.asarray(tm, dtype=float)[:, None]
    tn = np.asarray(tn, dtype=float)[:, None]
    iw = in_words[:, None]
    ow = out_words[:, None]
    bpc = np.asarray(bytes_per_cycle, dtype=float)[:, None]
    lay = _layers(table)
    M, N, Kr, Ks, R, C, S, rep, E = lay.dims.values()
    row_fits = lay.row_words <= iw
    tc = np.where(row_fits, C, np.floor((iw / Kr - Ks + S) / S))
    tc = np.clip(np.minimum(tc, ow), 1, C)
    tr = np.floor((iw / (S * tc + Ks - S) - Kr + S) / S)
    tr = np.clip(np.minimum(tr, np.floor(ow / tc)), 1, R)
    nM, nN, nR, nC = ceil_div(M, tm), ceil_div(N, tn), ceil_div(R, tr), ceil_div(C, tc)
    in_tile = (S * tr + Kr - S) * (S * tc + Ks - S)
    compute = rep * nM * nN * nR * nC * tr * tc * Kr * Ks
    traffic = (rep * nM * N * nR * nC * in_tile + lay.weight_words * nR * nC + lay.out_words) * B
    first = (np.minimum(tn, N) * in_tile + np.minimum(tm, M) * np.minimum(tn, N) * Kr * Ks) * B / bpc
    last = np.minimum(tm, M) * tr * tc * B / bpc
    mac_cycles = np.maximum(compute, traffic / bpc) + first + last
    # eltwise: the vector unit (Tm lanes) post-processes outputs; a second operand comes from DRAM
    elt_bytes = lay.extra_words * B
    elt_cycles = np.maximum(ceil_div(E, tm), elt_bytes / bpc)
    mac = table.is_mac
    cycles = np.where(mac, mac_cycles, elt_cycles)
    buffer_ok = ((iw >= lay.kernel[None, :]) | ~mac).all(axis=1) & (ow[:, 0] >= 1)
    return TiledModel(cycles, np.where(mac, compute, ceil_div(E, tm)), np.where(mac, traffic, elt_bytes),
                      np.where(mac, tr, 1.0), np.where(mac, tc, 1.0), res, buffer_ok)
