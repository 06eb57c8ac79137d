"""Analytical cost of one GEMV-shaped job on bank-level PIM and on the host, vectorised over designs.

A *job* is ``G`` independent matrices ``W_g ∈ R^{M×K}``, each multiplied by ``N`` input vectors
(an FC layer at decode: G = 1, N = batch; attention at decode: G = batch·heads over the KV cache,
N = 1). The model follows the GeniePIM / PIMnast formulation (docs/references.md §1.2.2):

placement   row-block partitioning: blocks of ``m`` output rows × ``K/s`` columns (split-K degree
            ``s``) spread over all ``B`` banks; ``Q = ceil(G·ceil(M/m)·s / B)`` blocks per bank
            (padding included); DRAM rows per bank ``n_row = Q·m·(K/s)·b / (8R)``.
activation  ``ceil(n_row)`` row rounds of ``tRP + tRCD`` (all-bank ACT) or, per bank, staggered by
            ``tRRD`` and ``tFAW`` (4 ACTs per window) before the last bank is ready.
MAC         ``n_row · (8R / col_bits) · t_cmd · g``: an all-bank MAC takes one column of one bank
            per unit per ``t_cmd``; units shared by ``g`` banks serialise.
vector      the host writes ``w = ceil((K/s)·b / irf_bits)`` registers for each of the ``v``
            distinct vectors a channel needs, ``t_wr`` each, plus one ``tRTW + tWTR``
            turnaround per ``irf_regs`` registers; one pass per ``t_o`` row blocks (tile order,
            limited by the output registers).
spill       per pass, outputs go from registers to DRAM: ``tRTW + tRP + max(tRAS, tRCD +
            r_b·t_o·g·t_cmd) + tWTR``; the host reads ``G·M·s·N`` accumulators back and reduces
            the ``s`` partial sums.
refresh     PIM time ÷ ``(1 − tRFC/tREFI)``.
host        roofline ``max(2·MACs / (P·η_c), weight bytes / (BW·η_m))`` (input/output vectors stay
            on chip, as in GeniePIM's defaults).
Energy (pJ) uses the AttAcc/FGDRAM per-bit table (:mod:`simulators.common.dram`) and
:mod:`simulators.pim.energy`. Times are in ns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from simulators.common.arrays import broadcast_stack
from simulators.common.dram import PJ_PER_BIT_BG_MUX, PJ_PER_BIT_CELL_RW, DRAMTiming
from simulators.common.lazy import cached
from simulators.common.memo import remember
from simulators.pim import energy, kernels
from simulators.pim.hardware import PIMConfig, pim_command_ns

#: candidate split-K degrees and row-block heights searched by the simulator's own mapper
SPLIT_K = (1, 2, 4, 8, 16)
TILE_ROWS = (8, 16, 32, 64)
#: geometries a :class:`Jobs` memo keeps (one per preset and pinned-mapping pattern seen); a bound
MEMO_LIMIT = 64
_V = TypeVar("_V")


@dataclass(frozen=True)
class Job:
    """``G`` matrices of ``M×K``, each times ``N`` vectors (counts of elements, no units)."""

    G: int
    M: int
    K: int
    N: int

    @property
    def macs(self) -> int:
        return self.G * self.M * self.K * self.N


@dataclass(frozen=True)
class Jobs:
    """Many jobs as arrays (one entry per job): the vectorised form of :class:`Job`."""

    G: np.ndarray
    M: np.ndarray
    K: np.ndarray
    N: np.ndarray

    @classmethod
    def of(cls, jobs: Sequence[Job]) -> Jobs:
        a = np.array([(j.G, j.M, j.K, j.N) for j in jobs], dtype=np.int64).reshape(-1, 4)
        return cls(a[:, 0], a[:, 1], a[:, 2], a[:, 3])

    @property
    def macs(self) -> np.ndarray:
        return self.G * self.M * self.K * self.N

    def __len__(self) -> int:
        return len(self.G)

    def take(self, idx: np.ndarray) -> Jobs:
        return Jobs(self.G[idx], self.M[idx], self.K[idx], self.N[idx])

    def __getitem__(self, j: int) -> Job:
        return Job(int(self.G[j]), int(self.M[j]), int(self.K[j]), int(self.N[j]))

    @cached
    def _memo(self) -> dict[Any, Any]:
        return {}

    def remember(self, cfg: PIMConfig, key: Any, build: Callable[[], _V]) -> _V:
        """``build()`` memoised on these jobs for preset ``cfg`` under ``key``; a full memo
        (``MEMO_LIMIT`` entries) is emptied first. Keyed by the preset's identity (hashing a
        preset costs more than the look-up saves); the entry holds the preset, so no other
        object can take its id while the entry lives."""
        entry: tuple[PIMConfig, _V] = remember(self._memo, (id(cfg), key), lambda: (cfg, build()), MEMO_LIMIT)
        return entry[1]


@dataclass
class Hardware:
    """Hardware parameters of a batch of designs as float arrays of one shape (``(n,)``, ``(n, 1)``), or
    float scalars for one design (its hardware-only arithmetic then costs no array operations);
    never mutated after construction (``banks``, ``t_cmd`` and ``mux_pj_per_bit`` are computed once)."""

    cfg: PIMConfig
    channels: np.ndarray          # total channels (stacks × channels per stack)
    g: np.ndarray                 # banks per unit
    lanes: np.ndarray
    clock_mhz: np.ndarray
    irf_regs: np.ndarray
    orf_regs: np.ndarray
    host_ops_per_ns: np.ndarray   # achieved host op/ns
    host_bytes_per_ns: np.ndarray  # achieved host B/ns (= GB/s · η)
    bits: int
    acc_bits: int
    irf_bits: int
    orf_bits: int
    all_bank_act: np.ndarray      # True: all-bank ACT/PRE; False: per-bank, tRRD/tFAW-limited

    @classmethod
    def from_columns(cls, cfg: PIMConfig, cols: Mapping[str, Any]) -> Hardware:
        """From columns (arrays of one shape) or, for one design, float scalars (kept as scalars)."""
        def f(key: str) -> Any:
            v = cols[key]
            return v if isinstance(v, float) else np.asarray(v, dtype=float)

        return cls(cfg, f("channels") * cfg.stacks, f("banks_per_unit"), f("lanes"), f("pim_clock_mhz"),
                   f("irf_regs"), f("orf_regs"), f("host_tops") * 1e3 * cfg.host_eff_compute,
                   f("host_bw_gbs") * cfg.host_eff_mem, cfg.operand_bits, cfg.acc_bits, cfg.irf_bits,
                   cfg.orf_bits, np.asarray(cols.get("act_mode", "all-bank" if cfg.all_bank_act
                                                     else "per-bank")) == "all-bank")

    @cached
    def t(self) -> DRAMTiming:
        return self.cfg.timing

    @cached
    def banks(self) -> np.ndarray:
        return self.channels * self.t.banks

    @cached
    def t_cmd(self) -> np.ndarray:
        t_cmd: np.ndarray = pim_command_ns(self.cfg.t_ccd_ab_ns, self.clock_mhz, self.lanes, self.bits,
                                           self.t.col_bits)     # float arrays, or a float for float columns
        return t_cmd

    @cached
    def mux_pj_per_bit(self) -> np.ndarray:
        """Bank-group mux energy per streamed bit: paid where a unit serves more than one bank."""
        return PJ_PER_BIT_BG_MUX * (self.g > 1)

    @cached
    def block(self) -> np.ndarray:
        """The :data:`.kernels.HW` rows as one float block ``(HW, *shape)``."""
        rows = [self.banks, self.orf_regs, self.irf_regs, self.channels, self.t_cmd, self.g, self.act_round_ns(),
                self.host_bytes_per_ns, self.host_ops_per_ns, self.mux_pj_per_bit]
        arrays = any(isinstance(x, np.ndarray) and x.ndim for x in rows)
        return broadcast_stack(rows) if arrays else np.array(rows, dtype=float)

    @property
    def peak_ops_per_ns(self) -> np.ndarray:
        return 2.0 * (self.banks / self.g) * (self.t.col_bits / self.bits) / self.t_cmd

    def act_round_ns(self) -> np.ndarray:
        """One row round's activate + precharge overhead (ns): :func:`act_round_ns` of the ACT modes."""
        return act_round_ns(self.t, self.all_bank_act)


def act_round_ns(t: DRAMTiming, all_bank_act: Any) -> Any:
    """One row round's activate + precharge overhead (ns) for ``all_bank_act`` (a bool or bool arrays);
    per-bank ACTs of a channel are staggered by tRRD and at most four per tFAW window."""
    stagger = max((t.banks - 1) * t.tRRD_S, ((t.banks - 1) // 4) * t.tFAW)
    return t.tRP + t.tRCD + stagger * ~all_bank_act     # 0 for all-bank ACT (scalar or array)


#: the un-derated PIM components of a job (:attr:`JobCost.parts`) and the mapper's choices (``choice``)
PARTS = ("row", "mac", "vector", "cro", "spill")
CHOICES = ("split_k", "tile_rows", "tile_order")
#: rows of a packed cost block (the kernels' output, :mod:`.kernels`): the fields of :class:`JobCost` in order
COST_ROWS = ("pim_ns", "io_ns", "energy_pj", "ext_bytes", *PARTS, *CHOICES, "reg_ok")


@dataclass
class JobCost:
    """Costs of one job for a batch of designs (arrays): times in ns, energies in pJ."""

    pim_ns: np.ndarray            # PIM-side time (rows, MACs, vector writes, spills), refresh-derated
    io_ns: np.ndarray             # host reading inputs/outputs and reducing split-K partials
    energy_pj: np.ndarray
    ext_bytes: np.ndarray         # bytes crossing the external interface
    parts: dict[str, np.ndarray] = field(default_factory=dict)   # un-derated PIM components, ns
    choice: dict[str, np.ndarray] = field(default_factory=dict)   # split_k, tile_rows, tile_order
    reg_ok: np.ndarray | bool = True

    @classmethod
    def of_block(cls, block: np.ndarray) -> JobCost:
        """The costs whose fields are the rows of ``block`` (:data:`COST_ROWS`; views, no copies)."""
        p, c = 4 + len(PARTS), 4 + len(PARTS) + len(CHOICES)
        return cls(block[0], block[1], block[2], block[3], dict(zip(PARTS, block[4:p])),
                   dict(zip(CHOICES, block[p:c])), block[c].astype(bool))

    @property
    def total_ns(self) -> np.ndarray:
        return self.pim_ns + self.io_ns

    def take(self, idx: np.ndarray) -> JobCost:
        """Job columns ``idx`` of costs over ``(designs, jobs)``."""
        def t(x: Any) -> np.ndarray:
            return np.asarray(x)[..., idx]

        return JobCost(t(self.pim_ns), t(self.io_ns), t(self.energy_pj), t(self.ext_bytes),
                       {k: t(v) for k, v in self.parts.items()}, {k: t(v) for k, v in self.choice.items()},
                       t(self.reg_ok))


def _ceil(x: Any) -> np.ndarray:
    return np.ceil(np.asarray(x, dtype=float) - 1e-9)


@dataclass(frozen=True)
class Geometry:
    """The quantities of jobs × mappings (split-K ``s``, row blocks of ``m``) that the hardware columns
    do not change: only the preset's widths and energies enter (see :func:`geometry`)."""

    s: np.ndarray
    m: np.ndarray
    kpart: np.ndarray        # K/s columns per block
    blocks: np.ndarray       # row blocks over all banks
    r_b: np.ndarray          # output registers a row block needs
    writes: np.ndarray       # input-register writes per vector
    gs: np.ndarray           # G·s partial matrices
    in_bytes: np.ndarray | float   # input vectors the host sends
    out_bytes: np.ndarray    # (partial) outputs the host reads back
    reduce_ops: np.ndarray   # host additions of split-K partials
    io_bytes: np.ndarray     # in + out
    out_pj: np.ndarray       # energy of the outputs' DRAM write and host read
    in_pj: np.ndarray | float      # energy of the inputs' host read
    reduce_pj: np.ndarray    # energy of the host reduction
    mac_pj: float            # one PIM MAC


def geometry(cfg: PIMConfig, job: Job | Jobs, s: Any, m: Any) -> Geometry:
    """:class:`Geometry` of ``job`` with split-K ``s`` and row blocks of ``m`` (any broadcastable shapes)."""
    t = cfg.timing
    bits, acc_bits = cfg.operand_bits, cfg.acc_bits
    s = np.asarray(s, dtype=float)
    m = np.asarray(m, dtype=float)
    kpart = _ceil(job.K / s)
    m_pad = _ceil(job.M / m) * m
    in_bytes = job.G * job.K * job.N * bits / 8.0
    out_bytes = job.G * m_pad * s * job.N * acc_bits / 8.0
    reduce_ops = job.G * job.M * (s - 1) * job.N
    return Geometry(s, m, kpart, job.G * _ceil(job.M / m) * s, _ceil(m * acc_bits / cfg.orf_bits),
                    _ceil(kpart * bits / cfg.irf_bits), job.G * s, in_bytes, out_bytes, reduce_ops,
                    in_bytes + out_bytes, out_bytes * 8 * (PJ_PER_BIT_CELL_RW + t.host_read_pj_per_bit),
                    in_bytes * 8 * t.host_read_pj_per_bit, reduce_ops * cfg.host_pj_per_op,
                    energy.pim_mac_pj(bits))


def layout(hw: Hardware, job: Job | Jobs, s: Any, m: Any, geo: Geometry | None = None) -> dict[str, np.ndarray]:
    """Placement quantities: blocks per bank, rows per bank, registers, tile order, passes
    (``geo``: :func:`geometry` of the same job and mapping, when the caller has it); every entry at
    the broadcast shape of the geometry and the hardware (:func:`.kernels.place`)."""
    geo = geo or geometry(hw.cfg, job, s, m)
    x = broadcast_stack([geo.blocks, geo.m, geo.kpart, geo.r_b, geo.writes, geo.gs, hw.banks, hw.orf_regs,
                         hw.irf_regs, hw.channels])
    out = np.empty((6, *x.shape[1:]))
    kernels.layouts(x.reshape(len(x), -1), float(hw.bits), 8.0 * hw.t.row_bytes, out.reshape(6, -1))
    q, rows, order, groups, passes, vectors = out
    return {"s": geo.s, "m": geo.m, "kpart": geo.kpart, "q": q, "rows": rows, "r_b": geo.r_b, "order": order,
            "writes": geo.writes, "groups": groups, "passes": passes, "vectors": vectors,
            "reg_ok": geo.r_b <= hw.orf_regs}


def pim_job(hw: Hardware, job: Job | Jobs, s: Any, m: Any, refresh: bool = True,
            geo: Geometry | None = None) -> JobCost:
    """The analytical PIM cost of ``job`` with split-K ``s`` and row blocks of ``m`` rows
    (``geo``: :func:`geometry` of the same job and mapping, when the caller has it), at the
    broadcast shape of the mapping, the job and the hardware."""
    geo = geo or geometry(hw.cfg, job, s, m)
    g, h = _geo_block(geo, job), hw.block
    shape = np.broadcast_shapes(g.shape[1:], h.shape[1:])
    flat_g = _spread(g, shape).reshape(len(g), 1, -1, 1)
    flat_h = _spread(h, shape).reshape(len(h), -1)
    out = np.empty((len(COST_ROWS), 1, flat_h.shape[1], 1))
    kernels.all_costs(flat_g, flat_h, _constants(hw.cfg, geo.mac_pj, refresh), out)
    return JobCost.of_block(out.reshape(len(COST_ROWS), *shape))


def _spread(block: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Each row of ``block`` broadcast to ``shape`` (numpy's rules: trailing axes aligned)."""
    rows = block.reshape(len(block), *(1,) * (len(shape) + 1 - block.ndim), *block.shape[1:])
    return np.broadcast_to(rows, (len(block), *shape))


def _geo_block(geo: Geometry, job: Job | Jobs) -> np.ndarray:
    """The :data:`.kernels.GEO` rows of ``geo`` and ``job`` as one float block (broadcast to one shape)."""
    return broadcast_stack([geo.s, geo.m, geo.kpart, geo.blocks, geo.r_b, geo.writes, geo.gs, geo.io_bytes,
                            geo.reduce_ops, geo.out_pj, geo.in_pj, geo.reduce_pj, job.N])


def _constants(cfg: PIMConfig, mac_pj: float, refresh: bool) -> np.ndarray:
    """The preset's :data:`.kernels.CONST`."""
    t = cfg.timing
    return np.array([cfg.operand_bits, 8.0 * t.row_bytes, 8.0 * t.row_bytes / t.col_bits, cfg.t_wr_ns,
                     t.tRTW + t.tWTR, t.tRTW + t.tRP, t.tRAS, t.tRCD, t.tWTR, t.refresh_derate if refresh else 1.0,
                     t.act_pj, mac_pj, t.host_read_pj_per_bit, cfg.irf_bits, PJ_PER_BIT_CELL_RW], dtype=float)


#: the mapper's candidates (split-K outer, tile rows inner) on a leading axis of their own
_CAND_S, _CAND_M = (np.array(v, dtype=float).reshape(-1, 1, 1)
                    for v in zip(*((s, m) for s in SPLIT_K for m in TILE_ROWS)))


def candidates(cfg: PIMConfig, jobs: Job | Jobs, s_fixed: np.ndarray, m_fixed: np.ndarray
               ) -> tuple[np.ndarray, float]:
    """The :data:`.kernels.GEO` block ``(GEO, candidates, designs or 1, jobs)`` of every mapper
    candidate where the pins ``*_fixed`` ``(designs or 1, jobs or 1)`` are 0, and the MAC energy;
    memoised on ``jobs`` (a :class:`Jobs`) when the pins are the same for every design (one row)."""
    def build() -> tuple[np.ndarray, float]:
        geo = geometry(cfg, jobs, np.where(s_fixed > 0, s_fixed, _CAND_S), np.where(m_fixed > 0, m_fixed, _CAND_M))
        block = _geo_block(geo, jobs)
        return block.reshape(*block.shape[:3], -1), geo.mac_pj

    if isinstance(jobs, Jobs) and s_fixed.shape[0] == 1 and m_fixed.shape[0] == 1:
        key = (s_fixed.shape, s_fixed.dtype.str, s_fixed.tobytes(), m_fixed.shape, m_fixed.dtype.str, m_fixed.tobytes())
        return jobs.remember(cfg, key, build)
    return build()


def best_pim_jobs(hw: Hardware, jobs: Job | Jobs, s_fixed: np.ndarray, m_fixed: np.ndarray,
                  refresh: bool = True) -> JobCost:
    """The fastest (split-K, tile rows) per design and job whose tile fits the registers, all
    candidates in one compiled pass (:func:`.kernels.best_costs`); ``*_fixed`` arrays ``(designs or
    1, jobs or 1)`` pin them (0 = search); hardware columns ``(designs, 1)`` or floats. Ties keep the
    earlier candidate."""
    geo, mac_pj = candidates(hw.cfg, jobs, s_fixed, m_fixed)
    h = hw.block.reshape(len(hw.block), -1)
    out = np.empty((len(COST_ROWS), max(geo.shape[2], h.shape[1]), geo.shape[3]))
    kernels.best_costs(geo, h, _constants(hw.cfg, mac_pj, refresh), out)
    return JobCost.of_block(out)


def host_job(hw: Hardware, job: Job | Jobs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Host roofline for ``job``: (time ns, energy pJ, DRAM bytes) over the designs."""
    weight_bytes, ops, pj = host_fixed(hw.cfg, job)
    ns = np.maximum(ops / hw.host_ops_per_ns, weight_bytes / hw.host_bytes_per_ns)
    zero = 0 * ns
    return ns, pj + zero, weight_bytes + zero


def host_fixed(cfg: PIMConfig, job: Job | Jobs) -> tuple[Any, Any, Any]:
    """The host roofline's design-independent parts of ``job``: (weight bytes, operations, energy pJ);
    memoised on a :class:`Jobs` per preset."""
    def build() -> tuple[Any, Any, Any]:
        weight_bytes = job.G * job.M * job.K * cfg.operand_bits / 8.0
        ops = 2.0 * job.macs
        return weight_bytes, ops, ops * cfg.host_pj_per_op + weight_bytes * 8 * energy.host_dram_pj_per_bit(cfg.timing)

    return job.remember(cfg, "host", build) if isinstance(job, Jobs) else build()
