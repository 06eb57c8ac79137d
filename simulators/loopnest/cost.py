"""Closed-form access counts, latency and energy of many mappings of one layer at once.

A mapping (for one spatial option) is a sequence of ``P`` temporal loops, innermost first:
``dims[n, p]`` (index into ``DIMS``) and ``facs[n, p]`` (trip count; 1 = no loop), plus a cut per
memory: memory ``m`` holds the tile spanned by loops ``[0, cut[m])`` (times the spatial unrolling
of the axes it serves). Cuts are chosen LOMA-style — each memory, bottom-up, takes the most loops
whose tiles fit — unless given.

Counts follow Timeloop/ZigZag: a child tile of operand ``x`` is refilled once per iteration of
the loops above its cut, except the innermost run of loops irrelevant to ``x`` (stationarity).
The parent serves the union of its children's tiles (multicast; for outputs, spatial reduction),
so a parent read is one element however many PEs receive it. Output partial sums travel at
partial-sum precision, except each output tile's last trip up, which carries final outputs; a
revisited output tile is first read back (``refills − distinct tiles`` reloads).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulators.loopnest.hardware import Hardware, Memory
from simulators.loopnest.problem import (
    DIMS,
    OPERANDS,
    REDUCTION,
    RELEVANT,
    D,
    LoopLayer,
    array_namespace,
    footprints,
    host,
)

_X = {x: i for i, x in enumerate(OPERANDS)}
WINDOW_DIMS = [D[d] for d in ("OY", "OX", "FY", "FX")]


@dataclass
class Costs:
    """Per-candidate results (arrays of length N); ``reads``/``writes`` are (N, memories, 3)
    element counts per memory and operand (W, I, O)."""

    valid: np.ndarray
    cycles: np.ndarray
    compute_cycles: np.ndarray
    energy_pj: np.ndarray
    reads: np.ndarray
    writes: np.ndarray
    cuts: np.ndarray            # (N, memories, 3): loops inside each memory's tile of W, I, O (-1: not held)
    utilization: np.ndarray
    mem_cycles: np.ndarray      # (N, memories): cycles each memory's ports are busy


@dataclass(frozen=True)
class Geometry:
    """Per-candidate layer geometry, so candidates of different layers share one call."""

    sizes: np.ndarray       # (N, dims)
    stride: np.ndarray      # (N, 2)
    dilation: np.ndarray    # (N, 2)
    input_hw: np.ndarray    # (N, 2)
    bits: tuple[int, int, int, int]

    @classmethod
    def of(cls, layers: list[LoopLayer], counts: list[int]) -> Geometry:
        """``counts[i]`` candidates of ``layers[i]``, in order (all layers share one set of bits)."""
        rep = np.asarray(counts)
        return cls(np.repeat(np.array([ly.sizes for ly in layers], dtype=np.float64), rep, 0),
                   np.repeat(np.array([ly.stride for ly in layers], dtype=np.float64), rep, 0),
                   np.repeat(np.array([ly.dilation for ly in layers], dtype=np.float64), rep, 0),
                   np.repeat(np.array([ly.input_hw for ly in layers], dtype=np.float64), rep, 0),
                   layers[0].bits)

    def rows(self, sl: slice) -> Geometry:
        """The geometry of candidates ``sl``."""
        return Geometry(self.sizes[sl], self.stride[sl], self.dilation[sl], self.input_hw[sl], self.bits)

    def on(self, xp: Any) -> Geometry:
        """The same geometry as arrays of namespace ``xp`` (numpy, or the relaxed model's torch)."""
        return Geometry(xp.asarray(self.sizes), xp.asarray(self.stride), xp.asarray(self.dilation),
                        xp.asarray(self.input_hw), self.bits)

    def footprints(self, ext: np.ndarray) -> np.ndarray:
        """W, I, O footprints of tiles with extents ``ext`` (N, …, dims) → (N, …, 3)."""
        shape = (-1,) + (1,) * (ext.ndim - 2)
        return footprints(ext, *((a[:, 0].reshape(shape), a[:, 1].reshape(shape))
                                 for a in (self.stride, self.dilation, self.input_hw)))


@dataclass(frozen=True)
class Block:
    """Candidates of one layer under one spatial unrolling: loop sequences ``dims``/``facs``
    (N × P), caps (N) and the unrolling (axes × dims)."""

    layer: LoopLayer
    dims: np.ndarray
    facs: np.ndarray
    cap: np.ndarray
    spatial: np.ndarray


def evaluate_blocks(blocks: list[Block], hw: Hardware, chunk: int) -> Iterator[tuple[slice, Costs]]:
    """Costs of every candidate of ``blocks``, in order, ``chunk`` candidates per call (memory stays
    bounded whatever the network); yields each chunk's slice of the concatenated candidates."""
    width = max(b.dims.shape[1] for b in blocks)
    dims = np.concatenate([np.pad(b.dims, ((0, 0), (0, width - b.dims.shape[1])), constant_values=-1)
                           for b in blocks])
    facs = np.concatenate([np.pad(b.facs, ((0, 0), (0, width - b.facs.shape[1])), constant_values=1)
                           for b in blocks])
    cap = np.concatenate([b.cap for b in blocks])
    spatial = np.concatenate([np.broadcast_to(b.spatial, (len(b.dims), *b.spatial.shape)) for b in blocks])
    geom = Geometry.of([b.layer for b in blocks], [len(b.dims) for b in blocks])
    for lo in range(0, len(dims), chunk):
        sl = slice(lo, lo + chunk)
        yield sl, evaluate_many(geom.rows(sl), hw, spatial[sl], dims[sl], facs[sl], cap=cap[sl])


def evaluate(layer: LoopLayer, hw: Hardware, spatial: np.ndarray, dims: np.ndarray, facs: Any,
             cuts: np.ndarray | None = None, cap: np.ndarray | None = None) -> Costs:
    """Costs of ``N`` mappings of one layer sharing one spatial unrolling (axes × dims); ``facs``
    numpy (exact) or a float64 torch tensor (relaxed, see :func:`evaluate_many`)."""
    n = len(dims)
    return evaluate_many(Geometry.of([layer], [n]), hw, np.broadcast_to(spatial, (n, *spatial.shape)),
                         dims, facs, cuts, cap)


def evaluate_many(geom: Geometry, hw: Hardware, spatial: np.ndarray, dims: np.ndarray, facs: Any,
                  cuts: np.ndarray | None = None, cap: np.ndarray | None = None) -> Costs:
    """Costs of ``N`` mappings, each with its own layer geometry and unrolling (N × axes × dims);
    ``cap`` (N, −1 = none) bounds the cuts of the memories right below DRAM (``hold = tile``).

    ``facs`` may be a torch tensor (the relaxed model, :mod:`.relaxed`): every count, latency and
    energy is then a differentiable function of the trip counts, while the discrete choices —
    loop relevance (trip > 1), the greedy cuts, validity and the double-buffering test — are taken
    on their values and held constant (their gradient is zero)."""
    xp = array_namespace(facs)
    n, p = dims.shape
    facs = facs.astype(np.float64) if xp is np else facs
    facs_v = host(facs)                 # values: the discrete choices below are taken on them
    onehot = dims[..., None] == np.arange(len(DIMS))
    per_dim = xp.where(onehot, facs[..., None], 1.0)
    prefix = xp.concatenate([xp.ones((n, 1, len(DIMS))), xp.cumprod(per_dim, axis=1)], axis=1)
    rows = np.arange(n)
    safe_dims = np.where(dims < 0, 0, dims)
    suffix_all = _suffix_product(facs, xp)
    red_after = _suffix_product(np.where(REDUCTION[safe_dims], facs_v, 1.0), np) > 1.0

    refills, distinct, run_start = {}, {}, {}
    for x, xi in _X.items():
        rel = RELEVANT[xi][safe_dims] & (facs_v > 1)
        start = np.zeros((n, p + 1), dtype=np.int64)     # where the irrelevant run ending at c begins
        for pos in range(1, p + 1):
            start[:, pos] = np.where(rel[:, pos - 1], pos, start[:, pos - 1])
        run_start[x] = start
        nxt = np.full((n, p + 1), p, dtype=np.int64)
        for pos in range(p - 1, -1, -1):
            nxt[:, pos] = np.where(rel[:, pos], pos, nxt[:, pos + 1])
        refills[x] = suffix_all[rows[:, None], nxt]
        distinct[x] = _suffix_product(xp.where(RELEVANT[xi][safe_dims], facs, 1.0), xp)

    mems = hw.memories
    spatial_v = spatial
    spatial = xp.asarray(spatial.astype(np.float64))
    geom = geom if xp is np else geom.on(xp)
    used = xp.prod(spatial, axis=2)                             # (N, axes): PEs used along each axis
    pes = xp.prod(used, axis=1)
    # padded iterates (ceil splits) touch no data: a tile's extent in a dim, averaged over its
    # positions, is its padded extent × size / padded size (exact for W and O, whose footprints
    # are products over dims; inputs' windows use the averaged extents too)
    padded = xp.prod(spatial, axis=1) * prefix[:, -1, :]
    real = (geom.sizes / padded)[:, None, :]
    inst = xp.stack([_instances(m, used, xp) for m in mems], axis=1)   # (N, memories)
    if hw.fractional_unrolling:             # ZigZag rounds fractional instance counts
        inst = xp.round(inst)
    w_bits, i_bits, o_bits, ps_bits = geom.bits
    fp_cache: dict[tuple[int, ...], np.ndarray] = {}

    def footprints_all(mi: int) -> np.ndarray:
        """(N, P+1, 3) footprints at every cut, as one instance of memory ``mi`` sees them."""
        key = mems[mi].served_axes
        if key not in fp_cache:
            served = _served_extent(mems[mi], spatial, xp)
            fp = geom.footprints(prefix * served[:, None, :] * real)
            if hw.fractional_unrolling:     # ZigZag rounds tiles, and sizes input windows on whole PEs
                window = np.isin(np.arange(len(DIMS)), WINDOW_DIMS)
                whole = xp.where(window, xp.floor(served), served)
                fp[..., 1] = geom.footprints(prefix * whole[:, None, :] * real)[..., 1]
                fp = xp.round(fp)
            fp_cache[key] = fp
        return fp_cache[key]

    def footprint(mi: int, c: np.ndarray) -> np.ndarray:
        """(N, 3) footprints at cuts ``c`` (one per candidate)."""
        return footprints_all(mi)[rows, c]

    def bits(x: str, red: np.ndarray) -> Any:
        """Bits per element of operand ``x``; outputs at partial-sum precision where ``red``
        (reduction loops still above the cut) holds."""
        return w_bits if x == "W" else i_bits if x == "I" else np.where(red, ps_bits, o_bits)

    # -- cuts (LOMA-style greedy, bottom-up) -------------------------------------------------------
    valid = np.ones(n, dtype=bool)
    given_cuts = cuts is not None
    if cuts is None:
        cuts = np.full((n, len(mems), 3), -1, dtype=np.int64)
        low = {x: np.zeros(n, dtype=np.int64) for x in OPERANDS}
        for mi, m in enumerate(mems):
            holders = [x for x in OPERANDS if mi in hw.hierarchy[x]]
            if not holders:
                continue
            if m.is_dram:
                for x in holders:
                    cuts[:, mi, _X[x]] = p
                continue
            fp_all = host(footprints_all(mi))
            total = np.zeros((n, p + 1))
            for x in holders:
                total += fp_all[..., _X[x]] * bits(x, red_after)
            lower = np.max([low[x] for x in holders], axis=0)
            fits = (total <= m.size_bits) & (np.arange(p + 1) >= lower[:, None])
            if cap is not None and any(hw.hierarchy[x][-2:-1] == (mi,) for x in holders):
                limit = np.where(cap < 0, p, np.maximum(cap, lower))
                fits &= np.arange(p + 1) <= limit[:, None]
            last = p - np.argmax(fits[:, ::-1], axis=1)
            ok = fits.any(axis=1)
            valid &= ok
            cut = np.where(ok, last, lower)
            for x in holders:
                cuts[:, mi, _X[x]] = cut
                low[x] = cut
    else:
        cuts = np.asarray(cuts, dtype=np.int64)
        if cuts.ndim == 2:                      # one cut per memory, shared by its operands
            cuts = np.repeat(cuts[..., None], 3, axis=2)

    # bits each on-chip memory holds at its cuts: given cuts must fit; a memory whose tiles fill
    # more than half of it cannot double-buffer (ZigZag's test)
    held = np.zeros((n, len(mems)))
    for mi, m in enumerate(mems):
        if m.is_dram:
            continue
        for x in OPERANDS:
            if mi in hw.hierarchy[x]:
                cx = cuts[:, mi, _X[x]]
                held[:, mi] += host(footprint(mi, cx))[:, _X[x]] * bits(x, red_after[rows, cx])
        if given_cuts:
            valid &= held[:, mi] <= m.size_bits
    occupancy = held / np.array([m.size_bits for m in mems])
    prefix_prod = xp.prod(prefix, axis=2)       # (N, P+1): product of all trips below each cut
    stall_by_port = xp.zeros((n, len(mems)))

    def stall(child: int, parent: int, xi: int, c: np.ndarray, lower: np.ndarray, r: np.ndarray,
              trip_cycles: np.ndarray) -> None:
        """Cycles a refill stream of ``r`` trips (each ``trip_cycles`` on the port) stalls compute:
        a double-buffered child may take the whole period between trips; one that cannot must
        finish while the irrelevant loops at the top of its level run (ZigZag's stall model)."""
        period = suffix_all[:, 0] / r
        top_ir = prefix_prod[rows, c] / prefix_prod[rows, np.maximum(run_start[OPERANDS[xi]][rows, c], lower)]
        allowed = xp.where(occupancy[:, child] <= 0.5, period, period / top_ir)
        stall_by_port[:, parent] += xp.maximum(trip_cycles - allowed, 0.0) * xp.maximum(r - 1, 0.0)

    # -- access counts -------------------------------------------------------------------------------
    reads = xp.zeros((n, len(mems), 3))
    writes = xp.zeros((n, len(mems), 3))
    rd_bits = xp.zeros((n, len(mems)))
    wr_bits = xp.zeros((n, len(mems)))
    zero = np.zeros(n, dtype=np.int64)
    for x, xi in _X.items():
        chain = (-1, *hw.hierarchy[x])
        for k, (child, parent) in enumerate(zip(chain, chain[1:])):
            c = zero if child < 0 else cuts[:, child, xi]
            lower = zero if k < 2 else cuts[:, chain[k - 1], xi]
            # an output's first level is its accumulator: updated every cycle, no stationarity
            r = suffix_all[:, 0] if (child < 0 and x == "O") else refills[x][rows, c]
            amount_p = footprint(parent, c)[:, xi]           # elements per instance per trip
            amount_c = xp.ones(n) if child < 0 else footprint(child, c)[:, xi]
            inst_p, inst_c = inst[:, parent], (pes if child < 0 else inst[:, child])
            mp, mc = mems[parent], (None if child < 0 else mems[child])
            if x != "O":
                b = w_bits if x == "W" else i_bits
                out_p = _words(amount_p * b, mp.read_word_bits)      # bits per trip out of the parent
                reads[:, parent, xi] += inst_p * amount_p * r
                rd_bits[:, parent] += inst_p * r * out_p
                if mc is not None:
                    in_c = _words(amount_c * b, mc.write_word_bits)
                    writes[:, child, xi] += inst_c * amount_c * r
                    wr_bits[:, child] += inst_c * r * in_c
                    stall(child, parent, xi, c, lower, r,
                          xp.maximum(out_p / mp.read_bw_bits, in_c / mc.write_bw_bits))
                continue
            if hw.psum_reads_every_write:     # ZigZag: all trips at one precision, every one read back
                # … where "partial" includes outputs still to be reduced across the axes the parent
                # does not serve (ZigZag's psum flag counts spatial reduction above the level)
                psum = red_after[rows, c] | _reduces_outside(mp, spatial_v)
                final, partial = xp.where(psum, 0.0, r), xp.where(psum, r, 0.0)
                reload = partial
            else:                               # last trip final; only revisited tiles read back
                final = distinct[x][rows, c]
                partial = reload = r - final
            final_in_p = _words(amount_p * o_bits, mp.write_word_bits)   # a final-output trip into the parent
            writes[:, parent, xi] += inst_p * amount_p * r
            wr_bits[:, parent] += inst_p * (final * final_in_p
                                            + partial * _words(amount_p * ps_bits, mp.write_word_bits))
            reads[:, parent, xi] += inst_p * amount_p * reload
            rd_bits[:, parent] += inst_p * reload * _words(amount_p * ps_bits, mp.read_word_bits)
            if mc is not None:
                final_out_c = _words(amount_c * o_bits, mc.read_word_bits)
                reads[:, child, xi] += inst_c * amount_c * r
                rd_bits[:, child] += inst_c * (final * final_out_c
                                               + partial * _words(amount_c * ps_bits, mc.read_word_bits))
                writes[:, child, xi] += inst_c * amount_c * reload
                wr_bits[:, child] += inst_c * reload * _words(amount_c * ps_bits, mc.write_word_bits)
                stall(child, parent, xi, c, lower, r,
                      xp.maximum(final_in_p / mp.write_bw_bits, final_out_c / mc.read_bw_bits))

    # -- latency and energy -----------------------------------------------------------------------------
    # on-load: every operand's first top on-chip tile arrives from DRAM before compute starts (so it
    # is not also counted as DRAM port time); off-load: the last output tile drains up the on-chip
    # levels (the write-back to DRAM overlaps the next layer, as in ZigZag); systolic axes add
    # their ripple once per layer
    compute = suffix_all[:, 0]
    onload = xp.zeros(n)
    offload = xp.zeros(n)
    first_bits = xp.zeros((n, len(mems)))
    for x, xi in _X.items():
        chain = hw.hierarchy[x]
        if len(chain) < 2:
            continue
        if x != "O":
            top, dram = chain[-2], chain[-1]
            first_tile = inst[:, top] * footprint(top, cuts[:, top, xi])[:, xi] * (w_bits if x == "W" else i_bits)
            first_bits[:, dram] += first_tile
            onload += first_tile / mems[dram].read_bw_bits
            continue
        for child, parent in zip(chain[:-2], chain[1:-1]):
            tile = footprint(child, cuts[:, child, xi])[:, xi] * o_bits
            offload += xp.maximum(tile / mems[child].read_bw_bits, tile / mems[parent].write_bw_bits)
    mem_cycles = xp.zeros((n, len(mems)))
    for mi, m in enumerate(mems):
        rd = xp.maximum(rd_bits[:, mi] - first_bits[:, mi], 0.0) / inst[:, mi] / m.read_bw_bits
        wr = wr_bits[:, mi] / inst[:, mi] / m.write_bw_bits
        mem_cycles[:, mi] = rd + wr if m.shared_port else xp.maximum(rd, wr)
    drain = sum(xp.maximum(used[:, a] - 1, 0) for a in hw.systolic_axes) if hw.systolic_axes else 0.0
    # ports busy beyond the compute time bound the layer too (several streams sharing one port)
    core = xp.maximum(compute + xp.max(stall_by_port, axis=1), xp.max(mem_cycles, axis=1))
    cycles = core + onload + offload + drain
    macs = xp.prod(geom.sizes, axis=1)
    energy = macs * hw.mac_pj + rd_bits @ xp.asarray(np.array([m.read_pj_per_bit for m in mems])) \
        + wr_bits @ xp.asarray(np.array([m.write_pj_per_bit for m in mems]))
    util = macs / (hw.pes * cycles)
    return Costs(valid, cycles, compute, energy, reads, writes, cuts, util, mem_cycles)


def _reduces_outside(m: Memory, spatial: np.ndarray) -> np.ndarray:
    """(N,): a reduction dim is unrolled on an axis ``m`` does not serve."""
    axes = [a for a in range(spatial.shape[1]) if a not in m.served_axes]
    if not axes:
        return np.zeros(spatial.shape[0], dtype=bool)
    return np.asarray((spatial[:, axes][:, :, REDUCTION] > 1).any(axis=(1, 2)), dtype=bool)


def _words(bits: Any, word: float) -> Any:
    """Bits a port moves for one trip: ``bits`` rounded up to whole ``word``-bit accesses (0: exact;
    on the relaxed path the rounding has zero gradient)."""
    return array_namespace(bits).ceil(bits / word - 1e-9) * word if word > 0 else bits


def _suffix_product(f: Any, xp: Any) -> Any:
    """(N, P) → (N, P+1): product of ``f[:, c:]`` for every c (1 at c = P)."""
    tail = xp.flip(xp.cumprod(xp.flip(f, axis=1), axis=1), axis=1)
    return xp.concatenate([tail, xp.ones((f.shape[0], 1))], axis=1)


def _served_extent(m: Memory, spatial: Any, xp: Any) -> Any:
    """(N, dims): the spatial extent one instance of ``m`` sees (product over the axes it serves)."""
    if not m.served_axes:
        return xp.ones((spatial.shape[0], spatial.shape[2]))
    return xp.prod(spatial[:, list(m.served_axes)], axis=1)


def _instances(m: Memory, used: Any, xp: Any) -> Any:
    """(N,): instances of ``m`` in use (product of the used unrolling on the axes it does not serve)."""
    axes = [a for a in range(used.shape[1]) if a not in m.served_axes]
    return xp.prod(used[:, axes], axis=1) if axes else xp.ones(used.shape[0])
