"""The per-stage arithmetic of the FPGA analytical model as compiled CPU kernels (numba).

:func:`streaming._stage_model` (a streaming pipeline's per-stage cycles, lanes, resources, FIFOs and fill)
and :func:`tiled.engine` (the tiled engine's loop nest per layer) are a few dozen small array operations
each, whatever the batch; these kernels compute the same numbers in one compiled loop over designs ×
stages, with the floating-point operations of the array expressions in the same order (``np.where`` picks
become branches, ``ceil_div`` is ``ceil(a / max(b, 1e-12))``, :func:`resources.memory` is :func:`_memory`).
The sums over stages stay in numpy (its pairwise order) except the on-chip BRAM18/URAM totals of the weight
placement, which are sums of integer counts (exact in any order). ``tests/test_fpga_single_path.py`` holds
the kernels to bit equality with their array definitions (``*_arrays``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulators.common.kernel_math import maximum, minimum, pairwise_sum
from simulators.fpga.resources import (
    BAND_DEPTH,
    BAND_EDGES,
    BAND_WIDTH,
    CONTROL_LUT,
    LUTRAM_MAX_DEPTH,
    URAM_MIN_DEPTH,
)

#: weight placement codes (the ``weight_mem`` knob)
PLACE_AUTO, PLACE_ON, PLACE_OFF = 0, 1, 2


@njit(cache=True, inline="always")
def _cdiv(a: float, b: float) -> float:  # pragma: no cover
    """``resources.ceil_div`` of one element: ``ceil(a / max(b, 1e-12))`` (NaN propagates as in numpy)."""
    return np.ceil(a / maximum(b, 1e-12))




@njit(cache=True)
def _bram18(w: float, d: float) -> float:  # pragma: no cover
    """``resources.bram18_count`` of one memory."""
    if not (w > 0 and d > 0):
        return 0.0
    band = 0                                 # searchsorted(BAND_EDGES, w): the edges below w
    while band < BAND_EDGES.size and BAND_EDGES[band] < w:
        band += 1
    if w > 18 and d <= 512:
        band += 1
    return np.ceil(d / BAND_DEPTH[band]) * np.ceil(w / BAND_WIDTH[band])


@njit(cache=True)
def _memory(w: float, d: float, has_uram: bool) -> tuple[float, float, float]:  # pragma: no cover
    """``resources.memory`` of one memory: (BRAM18, URAM, LUT)."""
    if d <= LUTRAM_MAX_DEPTH:
        return 0.0, 0.0, w * np.ceil(d / 64.0)
    if has_uram and d >= URAM_MIN_DEPTH:
        uram = np.ceil(w / 72.0) * np.ceil(d / 4096.0) if (w > 0 and d > 0) else 0.0
        return 0.0, uram, 0.0
    return _bram18(w, d), 0.0, 0.0


@njit(cache=True, inline="always")
def _acc_bits(b: float, is_float: bool, acc_log: float) -> float:  # pragma: no cover
    """``resources.acc_bits`` of one design; ``acc_log``: ``ceil(log2(max(reduction, 2)))``."""
    return b if is_float else acc_log + 2 * b


@njit(cache=True)
def _datapath_lut(pe: float, simd: float, b: float, is_float: bool, fp_lut: float, acc_log: float,
                  uses_dsp: bool) -> float:  # pragma: no cover
    """``resources.datapath_lut`` of one PE × SIMD unit."""
    wa = 2.0 * b
    mult = 0.0 if uses_dsp else simd * (2 * np.ceil(wa / 6) - 1) * wa
    adder = wa * (2 * simd - 1)
    return CONTROL_LUT + 1.1 * pe * (mult + adder + _acc_bits(b, is_float, acc_log) + fp_lut * simd)


@njit(cache=True, error_model="numpy")
def engine_resources(bits: np.ndarray, is_float: np.ndarray, fp_lut: np.ndarray, uses_dsp: np.ndarray,
                     slice_divisor: np.ndarray, has_uram: np.ndarray, tm: np.ndarray, tn: np.ndarray,
                     buf_kib: np.ndarray, acc_log: float, kmax: float, control_lut: float, vector_lut: float,
                     ff_per_lut: float) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """``tiled.engine_resources`` per design: ``(dsp, lut, ff, bram18k, uram)`` as rows of one array, and the
    words one input / output buffer bank holds ``(2, D)``; ``acc_log``: ``ceil(log2(max(widest MW, 2)))``."""
    d_n = bits.size
    res = np.empty((5, d_n))
    words = np.empty((2, d_n))
    for i in range(d_n):
        b, m, t, hu = bits[i], tm[i], tn[i], has_uram[i]
        buf_bits = buf_kib[i] * 8192.0
        acc = _acc_bits(b, is_float[i], acc_log)
        in_words = np.floor(buf_bits / (t * b))
        out_words = np.floor(buf_bits / (m * acc))
        ib, iu, il = _memory(b, in_words, hu)
        ob, ou, ol = _memory(acc, out_words, hu)
        wb, wu, wl = _memory(t * b, kmax, hu)
        ci, co = 2 * t, 2 * m                  # double-buffered banks: Tn input, Tm output and weight
        ib, iu, il, ob, ou, ol = ib * ci, iu * ci, il * ci, ob * co, ou * co, ol * co
        wb, wu, wl = wb * co, wu * co, wl * co
        lanes = m * t
        res[0, i] = np.ceil(lanes / slice_divisor[i]) if uses_dsp[i] else 0.0
        lut = (control_lut + _datapath_lut(m, t, b, is_float[i], fp_lut[i], acc_log, uses_dsp[i])
               + m * b * vector_lut + il + ol + wl)
        res[1, i] = lut
        res[2, i] = lut * ff_per_lut
        res[3, i] = ib + ob + wb
        res[4, i] = iu + ou + wu
        words[0, i] = in_words
        words[1, i] = out_words
    return res, words


@njit(cache=True, error_model="numpy")
def stage_model(macs: np.ndarray, MH: np.ndarray, MW: np.ndarray, pix: np.ndarray, lb_words: np.ndarray,
                spatial: np.ndarray, acc_log: np.ndarray, elts: np.ndarray, E: np.ndarray, elt_ops: np.ndarray,
                skip: np.ndarray, skip_words: np.ndarray, out_rows: np.ndarray, row_elems: np.ndarray,
                need_next: np.ndarray, fill_rows: np.ndarray,
                bits: np.ndarray, has_uram: np.ndarray, uses_dsp: np.ndarray, slice_divisor: np.ndarray,
                is_float: np.ndarray, fp_lut: np.ndarray, pe: np.ndarray, simd: np.ndarray, lanes_e: np.ndarray,
                fifo: np.ndarray, place: np.ndarray, cap: np.ndarray, user_bram: np.ndarray, user_uram: np.ndarray,
                elt_lut_per_lane_bit: float, prefetch_depth: float, ff_per_lut: float
                ) -> tuple[np.ndarray, ...]:  # pragma: no cover
    """``streaming._stage_model`` per design × stage: ``(cycles, lanes, dsp, lut, ff, bram18k, uram, row_time,
    fill, width, depth, onchip)``. Stage arrays as :class:`streaming._Stages` (``need_next``/``fill_rows``
    ``(D or 1, n)``; ``acc_log``: ``ceil(log2(max(MW, 2)))`` per MAC stage); design arrays ``(D,)``;
    ``place``: a :data:`PLACE_AUTO`/``ON``/``OFF`` code per design (auto: on chip when the totals fit
    ``cap`` × the user's BRAM18 and URAM)."""
    d_n, n = lanes_e.shape
    n_mac = macs.size
    nn = need_next.shape[0]
    cycles = np.zeros((d_n, n))
    lanes = np.empty((d_n, n))
    dsp = np.zeros((d_n, n))
    lut = np.zeros((d_n, n))
    bram = np.zeros((d_n, n))
    uram = np.zeros((d_n, n))
    width = np.empty((d_n, n))
    depth = np.empty((d_n, n))
    onchip = np.empty(d_n, np.bool_)
    w_mem = np.empty((2, 3, n_mac))          # weight memory (BRAM18, URAM, LUT) on chip / prefetch FIFO
    rest = np.empty((3, 3, n_mac))           # datapath LUTs; line buffer; output FIFO memories
    for i in range(d_n):
        b = bits[i]
        hu = has_uram[i]
        r = i if nn > 1 else 0
        for j in range(n):
            width[i, j] = float(lanes_e[i, j])
            lanes[i, j] = float(lanes_e[i, j])
        for k in range(n_mac):
            width[i, macs[k]] = float(pe[i, k])
        for j in range(n):
            f = fifo[i]
            if f <= 0:
                depth[i, j] = np.ceil(row_elems[j] / maximum(width[i, j], 1.0) * need_next[r, j])
            else:
                depth[i, j] = f
        for k in range(elts.size):
            j = elts[k]
            le = lanes[i, j]
            cycles[i, j] = _cdiv(E[k], le)
            lut[i, j] = 100.0 + le * b * elt_ops[k] * elt_lut_per_lane_bit
            sd = skip_words[k] / le if skip[k] else 0.0
            sb, su, sl = _memory(le * b, sd, hu)
            lut[i, j] += sl
            bram[i, j] = sb
            uram[i, j] = su
        total_b = 0.0
        total_u = 0.0
        for j in range(n):
            total_b += bram[i, j]
            total_u += uram[i, j]
        for k in range(n_mac):
            j = macs[k]
            p, s = pe[i, k], simd[i, k]
            pf, sf_ = float(p), float(s)
            nf = _cdiv(MH[k], pf)
            sf = _cdiv(MW[k], sf_)
            cycles[i, j] = nf * sf * pix[k]
            ln = float(p * s)
            lanes[i, j] = ln
            dsp[i, j] = np.ceil(ln / slice_divisor[i]) if uses_dsp[i] else 0.0
            rest[0, 0, k] = _datapath_lut(pf, sf_, b, is_float[i], fp_lut[i], acc_log[k], uses_dsp[i])
            wdepth = nf * sf
            w_mem[0, 0, k], w_mem[0, 1, k], w_mem[0, 2, k] = _memory(ln * b, wdepth, hu)
            w_mem[1, 0, k], w_mem[1, 1, k], w_mem[1, 2, k] = _memory(ln * b, prefetch_depth, hu)
            lbd = lb_words[k] / s if spatial[k] else 0.0
            rest[1, 0, k], rest[1, 1, k], rest[1, 2, k] = _memory(s * b, lbd, hu)
            rest[2, 0, k], rest[2, 1, k], rest[2, 2, k] = _memory(p * b, depth[i, j], hu)
            total_b += w_mem[0, 0, k] + rest[1, 0, k] + rest[2, 0, k]
            total_u += w_mem[0, 1, k] + rest[1, 1, k] + rest[2, 1, k]
        if place[i] == PLACE_AUTO:
            onchip[i] = (total_b <= cap[i] * user_bram[i]) & (total_u <= cap[i] * maximum(user_uram[i], 0.0))
        else:
            onchip[i] = place[i] == PLACE_ON
        w = 0 if onchip[i] else 1
        for k in range(n_mac):
            j = macs[k]
            lut[i, j] = rest[0, 0, k] + w_mem[w, 2, k] + rest[1, 2, k] + rest[2, 2, k]
            bram[i, j] = w_mem[w, 0, k] + rest[1, 0, k] + rest[2, 0, k]
            uram[i, j] = w_mem[w, 1, k] + rest[1, 1, k] + rest[2, 1, k]
    ff = lut * ff_per_lut
    row_time = np.empty((d_n, n))
    fill = np.empty((d_n, n))
    for i in range(d_n):
        r = i if nn > 1 else 0
        for j in range(n):
            row_time[i, j] = cycles[i, j] / out_rows[j]
            fill[i, j] = row_time[i, j] * fill_rows[r, j]
    return cycles, lanes, dsp, lut, ff, bram, uram, row_time, fill, width, depth, onchip


@njit(cache=True, error_model="numpy")
def engine(M: np.ndarray, N: np.ndarray, Kr: np.ndarray, Ks: np.ndarray, R: np.ndarray, C: np.ndarray,
           S: np.ndarray, rep: np.ndarray, E: np.ndarray, row_words: np.ndarray, weight_words: np.ndarray,
           out_words: np.ndarray, extra_words: np.ndarray, kernel: np.ndarray, is_mac: np.ndarray,
           B: np.ndarray, tm: np.ndarray, tn: np.ndarray, iw: np.ndarray, ow: np.ndarray, bpc: np.ndarray
           ) -> tuple[np.ndarray, ...]:  # pragma: no cover
    """``tiled.engine`` per design × layer: ``(cycles, compute, dram_bytes, tr, tc, buffer_ok)``; layer
    arrays ``(n,)`` as :class:`tiled._Layers`, design arrays ``(D,)``."""
    d_n, n = B.size, M.size
    cycles = np.empty((d_n, n))
    compute = np.empty((d_n, n))
    dram = np.empty((d_n, n))
    tr_o = np.ones((d_n, n))
    tc_o = np.ones((d_n, n))
    ok = np.empty(d_n, np.bool_)
    for i in range(d_n):
        b, tmi, tni, iwi, owi, bp = B[i], tm[i], tn[i], iw[i], ow[i], bpc[i]
        good = owi >= 1
        for j in range(n):
            if not is_mac[j]:
                e_tiles = _cdiv(E[j], tmi)
                elt_bytes = extra_words[j] * b
                cycles[i, j] = maximum(e_tiles, elt_bytes / bp)
                compute[i, j] = e_tiles
                dram[i, j] = elt_bytes
                continue
            good = good & (iwi >= kernel[j])
            s, kr, ks = S[j], Kr[j], Ks[j]
            tc = C[j] if row_words[j] <= iwi else np.floor((iwi / kr - ks + s) / s)
            tc = minimum(maximum(minimum(tc, owi), 1.0), C[j])
            tr = np.floor((iwi / (s * tc + ks - s) - kr + s) / s)
            tr = minimum(maximum(minimum(tr, np.floor(owi / tc)), 1.0), R[j])
            nM, nN, nR, nC = _cdiv(M[j], tmi), _cdiv(N[j], tni), _cdiv(R[j], tr), _cdiv(C[j], tc)
            in_tile = (s * tr + kr - s) * (s * tc + ks - s)
            comp = rep[j] * nM * nN * nR * nC * tr * tc * kr * ks
            traffic = (rep[j] * nM * N[j] * nR * nC * in_tile + weight_words[j] * nR * nC + out_words[j]) * b
            tn_n, tm_m = minimum(tni, N[j]), minimum(tmi, M[j])
            first = (tn_n * in_tile + tm_m * tn_n * kr * ks) * b / bp
            last = tm_m * tr * tc * b / bp
            cycles[i, j] = maximum(comp, traffic / bp) + first + last
            compute[i, j] = comp
            dram[i, j] = traffic
            tr_o[i, j] = tr
            tc_o[i, j] = tc
        ok[i] = good
    return cycles, compute, dram, tr_o, tc_o, ok


@njit(cache=True, inline="always")
def _fold_pick(key: np.ndarray, offset: float, start: int, pick: np.ndarray, span: float,
               target: float) -> int:  # pragma: no cover
    """``streaming.auto_fold``'s choice for one MAC stage: the pack index of its fewest-lanes candidate with
    cycles ≤ ``target`` (its first candidate when none is), by ``searchsorted(key, offset + t, "right") − 1``."""
    floor = np.floor(target)
    t = span - 1 if np.isnan(floor) else floor
    t = min(max(t, -1.0), span - 1)
    v = offset + t
    lo, hi = 0, key.size                     # the first key > v
    while lo < hi:
        mid = (lo + hi) >> 1
        if key[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    idx = lo - 1
    return pick[max(idx, 0)] if idx >= start else start


@njit(cache=True, inline="always")
def _elt_lanes(e: float, target: float) -> int:  # pragma: no cover
    """``streaming.auto_fold``'s lanes of one eltwise stage of ``e`` elements:
    ``min(2^ceil(log2(clip(ceil(e / max(target, 1)), 1, e))), e)``."""
    need = min(max(np.ceil(e / maximum(target, 1.0)), 1.0), e)
    p = 1.0
    while p < need:
        p *= 2.0
    return int(min(p, e))


@njit(cache=True)
def fold(key: np.ndarray, offset: np.ndarray, start: np.ndarray, pick: np.ndarray, pe_c: np.ndarray,
         simd_c: np.ndarray, span: float, mac_idx: np.ndarray, elts: np.ndarray, E: np.ndarray,
         target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """``streaming.auto_fold`` (the pack of :class:`streaming._FoldPack`; ``E`` of the eltwise stages ``elts``;
    ``target`` ``(D, n)``, or ``(D, 1)`` one for every stage): ``pe, simd (D, n_mac)``, eltwise lanes ``(D, n)``."""
    d_n = target.shape[0]
    n = mac_idx.size + elts.size
    per_stage = target.shape[1] > 1
    pe = np.empty((d_n, mac_idx.size), np.int64)
    simd = np.empty((d_n, mac_idx.size), np.int64)
    lanes_e = np.ones((d_n, n), np.int64)
    for i in range(d_n):
        for k in range(mac_idx.size):
            c = _fold_pick(key, offset[k], start[k], pick, span, target[i, mac_idx[k] if per_stage else 0])
            pe[i, k] = pe_c[c]
            simd[i, k] = simd_c[c]
        for k in range(elts.size):
            lanes_e[i, elts[k]] = _elt_lanes(E[k], target[i, elts[k] if per_stage else 0])
    return pe, simd, lanes_e


@njit(cache=True)
def fold_groups(key: np.ndarray, offset: np.ndarray, start: np.ndarray, pick: np.ndarray, pe_c: np.ndarray,
                simd_c: np.ndarray, span: float, mac_idx: np.ndarray, elts: np.ndarray, E: np.ndarray,
                macs: np.ndarray, group_of: np.ndarray, lanes: np.ndarray, steps: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """``streaming.fold_groups``: each group ``g`` of a design's stages (``group_of`` ``(D, n)``, ids ≥ 0) folded
    to ``MACs_g / lanes`` (``macs``: integer MACs per stage); a group whose folds exceed ``lanes`` takes the
    first of the targets ``· 2^1 … 2^(steps−1)`` whose folds fit, else ``· 2^steps``."""
    d_n, n = group_of.shape
    n_g = group_of.max() + 1
    pe = np.empty((d_n, mac_idx.size), np.int64)
    simd = np.empty((d_n, mac_idx.size), np.int64)
    lanes_e = np.ones((d_n, n), np.int64)
    is_mac = np.zeros(n, np.bool_)
    col = np.zeros(n, np.int64)              # a stage's column among the MAC stages, or the eltwise stages
    for k in range(mac_idx.size):
        is_mac[mac_idx[k]] = True
        col[mac_idx[k]] = k
    for k in range(elts.size):
        col[elts[k]] = k
    g_macs = np.zeros(n_g, np.int64)
    target = np.empty(n_g)
    used = np.zeros(n_g, np.int64)
    refold = np.empty(n_g, np.bool_)
    for i in range(d_n):
        g_macs[:] = 0
        for j in range(n):
            g_macs[group_of[i, j]] += macs[j]
        for g in range(n_g):
            target[g] = float(g_macs[g]) / lanes[i]
        refold[:] = True
        for s in range(steps + 1):             # s = 0: the target; s ≥ 1: the over-budget groups' doublings
            scale = 2.0 ** s
            used[:] = 0
            for j in range(n):
                g = group_of[i, j]
                if not refold[g]:
                    continue
                t = target[g] * scale
                k = col[j]
                if is_mac[j]:
                    c = _fold_pick(key, offset[k], start[k], pick, span, t)
                    pe[i, k] = pe_c[c]
                    simd[i, k] = simd_c[c]
                    used[g] += pe_c[c] * simd_c[c]
                else:
                    lanes_e[i, j] = _elt_lanes(E[k], t)
            for g in range(n_g):               # a group that fits (or has run out of doublings) keeps these folds
                refold[g] = refold[g] and used[g] > lanes[i] and s < steps
            if not refold.any():
                break
    return pe, simd, lanes_e


_AUTO, _DATAFLOW = 0, 1            # hybrid schedule codes (the ``sched_*`` knobs; 2: sequential)


@njit(cache=True)
def row_sum(a: np.ndarray, i: int, lo: int, hi: int) -> float:  # pragma: no cover
    """``a[i, lo:hi].sum()`` in numpy's order (a contiguous row: pairwise over all its terms)."""
    return pairwise_sum(a[i], lo, hi - lo)


@njit(cache=True, inline="always", error_model="numpy")
def _hybrid_group(i: int, a: int, b: int, e_cycles: np.ndarray, e_bytes: np.ndarray, df_cycles: np.ndarray,
                  df_fill: np.ndarray, df_row: np.ndarray, df_lanes: np.ndarray, df_bram: np.ndarray,
                  df_uram: np.ndarray, is_mac: np.ndarray, off: float, buf: np.ndarray, lanes: np.ndarray,
                  bpc: np.ndarray, c: int, before: np.ndarray) -> tuple[bool, float, float]:  # pragma: no cover
    """Design ``i``'s group of stages ``a:b`` (``off``: its dataflow pipeline's DRAM bytes, ``c``: its schedule
    code): ``(dataflow?, cycles, DRAM bytes)`` (:func:`hybrid_rows`; ``before``: scratch of ``n``)."""
    seq = row_sum(e_cycles, i, a, b)
    seq_bytes = row_sum(e_bytes, i, a, b)
    mem = 0.0
    mem_u = 0.0
    used = 0.0
    for j in range(a, b):              # integer counts: exact in any order
        mem += df_bram[i, j]
        mem_u += df_uram[i, j]
        if is_mac[j]:
            used += df_lanes[i, j]
    ok = (mem + 8 * mem_u <= buf[i]) & (used <= lanes[i] + 1e-9)
    lat = np.inf
    if ok:
        total = 0.0
        for j in range(a, b):          # Σ_{j'<j} fill, as cumsum(fill) − fill
            total += df_fill[i, j]
            before[j] = total - df_fill[i, j]
        after = 0.0
        path = -np.inf
        for j in range(b - 1, a - 1, -1):
            row = df_row[i, j]
            after += row
            v = before[j] + df_cycles[i, j] + (after - row)
            path = maximum(path, v)
        lat = maximum(path, off / bpc[i])
    use = lat < seq if c == _AUTO else (c == _DATAFLOW) & ok
    return use, (lat if use else seq), (off if use else seq_bytes)


@njit(cache=True, error_model="numpy")
def hybrid_rows(bounds: np.ndarray, count: np.ndarray, e_cycles: np.ndarray, e_bytes: np.ndarray,
                df_cycles: np.ndarray, df_fill: np.ndarray, df_row: np.ndarray, df_lanes: np.ndarray,
                df_bram: np.ndarray, df_uram: np.ndarray, is_mac: np.ndarray, df_off: np.ndarray, buf: np.ndarray,
                lanes: np.ndarray, bpc: np.ndarray, choice: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
    """The InTAR schedule of ``R`` hybrid designs, each cut its own way: design ``i``'s group ``g`` is stages
    ``bounds[count[i], g]`` (``(C, G, 2)``, ``-1``: an empty group), run sequentially on the tiled engine
    (``e_cycles``/``e_bytes`` ``(R, n)`` summed over the group) or as a dataflow pipeline (the group pipelines'
    per-stage ``df_*`` ``(R, n)``, DRAM bytes ``df_off[i, g]``) when it fits the tile buffers (``buf``:
    BRAM18 + 8·URAM) and the engine's ``lanes``, and its code ``choice[i, g]`` (``(R, G)``; auto = the faster)
    says so. Returns ``(dataflow?, cycles, DRAM bytes)`` ``(R, G)``, an empty group's ``(False, 0, 0)``: the
    numbers of ``model.analyze``'s former array loop (``StreamingModel.latency`` per group)."""
    r_n, g_n = e_cycles.shape[0], bounds.shape[1]
    mode = np.zeros((r_n, g_n), np.bool_)
    cycles = np.zeros((r_n, g_n))
    nbytes = np.zeros((r_n, g_n))
    before = np.empty(e_cycles.shape[1])
    for i in range(r_n):
        for g in range(g_n):
            a, b = bounds[count[i], g, 0], bounds[count[i], g, 1]
            if a < 0:
                continue
            mode[i, g], cycles[i, g], nbytes[i, g] = _hybrid_group(
                i, a, b, e_cycles, e_bytes, df_cycles, df_fill, df_row, df_lanes, df_bram, df_uram, is_mac,
                df_off[i, g], buf, lanes, bpc, choice[i, g], before)
    return mode, cycles, nbytes
