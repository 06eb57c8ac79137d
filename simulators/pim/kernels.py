"""Compiled element-wise kernels of the analytical PIM job model (:mod:`.gemv`): the placement of one
(design, mapping, job) element and its costs, with the same float operations in the same order as the
formulas in :mod:`.gemv`'s docstring, so a result does not depend on how the elements are batched.

One call covers every element of a ``(candidates, designs, jobs)`` grid, so one evaluation costs a
few calls instead of one array operation per formula term (on one design the array operations,
not the arithmetic, were the cost). Inputs are packed float64 blocks, rows in the orders below:
geometry ``(GEO, candidates, designs or 1, jobs)``, hardware ``(HW, designs or 1)`` and the
preset's constants ``(CONST,)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulators.common.kernel_math import maximum, minimum

#: geometry rows: the mapping (split-K, row-block height) and its hardware-independent quantities
GEO = ("s", "m", "kpart", "blocks", "r_b", "writes", "gs", "io_bytes", "reduce_ops", "out_pj", "in_pj",
       "reduce_pj", "N")
#: hardware rows (per design)
HW = ("banks", "orf_regs", "irf_regs", "channels", "t_cmd", "g", "act_ns", "host_bytes_per_ns",
      "host_ops_per_ns", "mux_pj_per_bit")
#: the preset's constants
CONST = ("bits", "row_bits", "cols_per_row", "t_wr", "tRTW+tWTR", "tRTW+tRP", "tRAS", "tRCD", "tWTR", "derate",
         "act_pj", "mac_pj", "host_read_pj_per_bit", "irf_bits", "cell_pj_per_bit")
#: output rows: :data:`simulators.pim.gemv.COST_ROWS`
N_OUT = 13
(S, M, KPART, BLOCKS, R_B, WRITES, GS, IO_BYTES, REDUCE_OPS, OUT_PJ, IN_PJ, REDUCE_PJ, N_VEC) = range(len(GEO))
(BANKS, ORF, IRF, CHANNELS, T_CMD, G, ACT, HOST_BPNS, HOST_OPNS, MUX) = range(len(HW))
(BITS, ROW_BITS, COLS_PER_ROW, T_WR, RTW_WTR, RTW_RP, T_RAS, T_RCD, T_WTR, DERATE, ACT_PJ, MAC_PJ, HOST_PJ,
 IRF_BITS, CELL_PJ) = range(len(CONST))


@njit(cache=True, inline="always", error_model="numpy")
def _ceil(x: float) -> float:
    return float(np.ceil(x - 1e-9))




@njit(cache=True, inline="always", error_model="numpy")
def place(blocks: float, m: float, kpart: float, r_b: float, writes: float, gs: float, banks: float,
          orf: float, irf: float, channels: float, bits: float, row_bits: float
          ) -> tuple[float, float, float, float, float, float]:
    """(blocks per bank q, DRAM rows per bank, tile order, register groups, passes, vectors) of one
    element (:func:`simulators.pim.gemv.layout`)."""
    q = _ceil(blocks / banks)
    rows = q * m * kpart * bits / row_bits
    order = minimum(maximum(np.floor(orf / r_b), 1.0), q)
    groups = _ceil(writes / irf)
    passes = _ceil(q / order)
    vectors = _ceil(minimum(gs, banks) / channels)
    return q, rows, order, groups, passes, vectors


@njit(cache=True, inline="always", error_model="numpy")
def _cost(geo: np.ndarray, c: int, p: int, u: int, hw: np.ndarray, h: int, k: np.ndarray,
          out: np.ndarray) -> None:
    """The :data:`simulators.pim.gemv.COST_ROWS` of one element into ``out``."""
    s, m, kpart, r_b, writes = geo[S, c, p, u], geo[M, c, p, u], geo[KPART, c, p, u], geo[R_B, c, p, u], \
        geo[WRITES, c, p, u]
    io_bytes, n_vec = geo[IO_BYTES, c, p, u], geo[N_VEC, c, p, u]
    banks, orf, channels, t_cmd, g = hw[BANKS, h], hw[ORF, h], hw[CHANNELS, h], hw[T_CMD, h], hw[G, h]
    q, rows, order, groups, passes, vectors = place(geo[BLOCKS, c, p, u], m, kpart, r_b, writes, geo[GS, c, p, u],
                                                    banks, orf, hw[IRF, h], channels, k[BITS], k[ROW_BITS])
    rows_up = _ceil(rows)
    row = rows_up * hw[ACT, h] * n_vec
    mac = rows * k[COLS_PER_ROW] * t_cmd * g * n_vec
    vec = passes * (vectors * writes * k[T_WR] + groups * k[RTW_WTR]) * n_vec
    cro = (groups * q * t_cmd * g if order > 1 else 0.0) * n_vec
    spill = passes * (k[RTW_RP] + maximum(k[T_RAS], k[T_RCD] + r_b * order * g * t_cmd) + k[T_WTR]) * n_vec
    pim_ns = (row + mac + vec + cro + spill) / k[DERATE]
    zero = 0 * pim_ns       # a non-finite PIM time makes every derived field non-finite too
    io_ns = io_bytes / hw[HOST_BPNS, h] + geo[REDUCE_OPS, c, p, u] / hw[HOST_OPNS, h]
    streamed_bits = n_vec * q * m * kpart * k[BITS] * banks
    vec_bits = n_vec * passes * vectors * writes * k[IRF_BITS] * channels
    energy = (n_vec * rows_up * banks * k[ACT_PJ] + streamed_bits * (k[CELL_PJ] + hw[MUX, h])
              + (streamed_bits / k[BITS]) * k[MAC_PJ] + vec_bits * k[HOST_PJ]
              + geo[OUT_PJ, c, p, u] + geo[IN_PJ, c, p, u] + geo[REDUCE_PJ, c, p, u])
    out[0], out[1], out[2], out[3] = pim_ns, io_ns + zero, energy + zero, io_bytes + vec_bits / 8.0 + zero
    out[4], out[5], out[6], out[7], out[8] = row, mac, vec, cro, spill
    out[9], out[10], out[11] = s + zero, m + zero, order + zero
    out[12] = 1.0 if r_b <= orf else 0.0


@njit(cache=True, error_model="numpy")
def all_costs(geo: np.ndarray, hw: np.ndarray, k: np.ndarray, out: np.ndarray) -> None:
    """Every element's costs: ``out`` ``(N_OUT, candidates, designs, jobs)``."""
    cands, pins, jobs = geo.shape[1], geo.shape[2], geo.shape[3]
    vals = np.empty(N_OUT)
    for c in range(cands):
        for d in range(out.shape[2]):
            p, h = (d if pins > 1 else 0), (d if hw.shape[1] > 1 else 0)
            for u in range(jobs):
                _cost(geo, c, p, u, hw, h, k, vals)
                out[:, c, d, u] = vals


@njit(cache=True, error_model="numpy")
def best_costs(geo: np.ndarray, hw: np.ndarray, k: np.ndarray, out: np.ndarray) -> None:
    """Per (design, job) the costs of the fastest candidate whose tile fits the registers (``np.argmin``'s
    choice: the first minimum, the first NaN before any number): ``out`` ``(N_OUT, designs, jobs)``."""
    cands, pins, jobs = geo.shape[1], geo.shape[2], geo.shape[3]
    vals = np.empty(N_OUT)
    for d in range(out.shape[1]):
        p, h = (d if pins > 1 else 0), (d if hw.shape[1] > 1 else 0)
        for u in range(jobs):
            best, nan = np.inf, False
            for c in range(cands):
                _cost(geo, c, p, u, hw, h, k, vals)
                score = vals[0] + vals[1] if vals[12] > 0 else np.inf
                if c == 0 or (not nan and (score < best or np.isnan(score))):
                    best, nan = score, np.isnan(score)
                    out[:, d, u] = vals


@njit(cache=True, error_model="numpy")
def layouts(x: np.ndarray, bits: float, row_bits: float, out: np.ndarray) -> None:
    """:func:`place` of every column of ``x`` (rows: blocks, m, kpart, r_b, writes, gs, banks, orf_regs,
    irf_regs, channels) into ``out`` ``(6, elements)``."""
    for e in range(x.shape[1]):
        out[0, e], out[1, e], out[2, e], out[3, e], out[4, e], out[5, e] = place(
            x[0, e], x[1, e], x[2, e], x[3, e], x[4, e], x[5, e], x[6, e], x[7, e], x[8, e], x[9, e], bits, row_bits)


@njit(cache=True, error_model="numpy")
def op_block(pim: np.ndarray, io: np.ndarray, energy: np.ndarray, ext: np.ndarray, reg: np.ndarray,
             host: np.ndarray, inverse: np.ndarray, bounds: np.ndarray, place: np.ndarray, mac: np.ndarray,
             elt: np.ndarray, elt_flops: np.ndarray, mac_macs: np.ndarray, host_ops: np.ndarray,
             host_pj_per_op: float, block: np.ndarray, on_pim: np.ndarray, reg_bad: np.ndarray,
             totals: np.ndarray) -> None:
    """Operator costs from the distinct jobs' costs (:func:`simulators.pim.analytical.op_costs`).

    ``pim, io, energy, ext, reg`` ``(designs or 1, distinct jobs)``: the chosen PIM job costs;
    ``host`` ``(3, designs or 1, distinct jobs)``: host time, energy and bytes; job ``j`` is distinct
    job ``inverse[j]``; MAC operator ``o`` (operator ``mac[o]``) has jobs ``bounds[o]:bounds[o+1]``,
    summed in order; ``place`` ``(designs or 1, MAC ops or 1)``: 0 auto (PIM when not slower than
    the host), 1 PIM, 2 host. Writes ``block`` (:data:`simulators.pim.analytical.OP_FIELDS`,
    designs, ops), ``on_pim`` (designs, MAC ops), ``reg_bad`` (designs,) and the per-design
    ``totals`` (OP_FIELDS, designs): each row summed over the operators in their order."""
    rows, n, ops = block.shape
    sums = np.empty(6)
    for d in range(n):
        dj, dh = (d if pim.shape[0] > 1 else 0), (d if host.shape[1] > 1 else 0)
        for o in range(mac.size):
            for j in range(bounds[o], bounds[o + 1]):
                u = inverse[j]
                vals = (pim[dj, u] + io[dj, u], energy[dj, u], ext[dj, u], host[0, dh, u], host[1, dh, u],
                        host[2, dh, u])
                for r in range(6):
                    sums[r] = vals[r] if j == bounds[o] else sums[r] + vals[r]
            code = place[d if place.shape[0] > 1 else 0, o if place.shape[1] > 1 else 0]
            on = sums[0] <= sums[3] if code == 0 else code == 1
            i = mac[o]
            block[0, d, i] = sums[0] if on else sums[3]
            block[1, d, i] = sums[1] if on else sums[4]
            block[2, d, i] = sums[2] if on else sums[5]
            block[3, d, i] = sums[0] if on else 0.0
            block[4, d, i] = mac_macs[o] if on else 0.0
            block[5, d, i], block[6, d, i] = sums[3], sums[4]
            on_pim[d, o] = on
        reg_bad[d] = False
        for o in range(mac.size):
            ok = True
            for j in range(bounds[o], bounds[o + 1]):
                ok = ok and reg[dj, inverse[j]] != 0
            reg_bad[d] = reg_bad[d] or (on_pim[d, o] and not ok)
        hops = host_ops[d if host_ops.size > 1 else 0]
        for e in range(elt.size):
            ns, pj = elt_flops[e] / hops, elt_flops[e] * host_pj_per_op
            block[0, d, elt[e]], block[1, d, elt[e]], block[5, d, elt[e]], block[6, d, elt[e]] = ns, pj, ns, pj
            block[2, d, elt[e]] = block[3, d, elt[e]] = block[4, d, elt[e]] = 0.0
        for r in range(rows):
            acc = block[r, d, 0] if ops else 0.0
            for i in range(1, ops):
                acc += block[r, d, i]
            totals[r, d] = acc
