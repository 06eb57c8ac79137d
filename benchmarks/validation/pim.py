"""PIM family: GeniePIM's reference table, AttAcc's system speed-up, vendor peaks (docs/references.md §1.3)."""

from __future__ import annotations

import dataclasses
import math
from functools import cache

import numpy as np

from archgym.simulator import get_simulator
from archgym.workload import MAX_DIM, get_workload
from benchmarks.validation import Check, Family
from simulators.pim import PRESETS, analytical, gemv
from simulators.pim.models import opt_decode

GENIEPIM_SRC = ("AMD GeniePIM run_geniepim_core.py --gemm_gen_mode=models, default config.in "
                "(LPDDR5X 1×8×16 banks, INT8, host 120 GB/s) (P1)")
#: P1 — GeniePIM's output: (M, K, N) → PIM speed-up over the host, and the OPT layer it is
GENIEPIM = {(6144, 2048, 1): (6.68, "OPT-1.3B ip-proj"), (8192, 2048, 1): (6.75, "OPT-1.3B linear1"),
            (49152, 12288, 1): (6.77, "OPT-175B linear1"), (12288, 12288, 1): (6.72, "OPT-175B op-proj"),
            (768, 768, 1): (2.28, "OPT-125M op-proj"), (6144, 2048, 2): (3.34, "OPT-1.3B ip-proj, N=2"),
            (6144, 2048, 4): (1.67, "OPT-1.3B ip-proj, N=4")}
ATTACC_SRC = "Park et al., AttAcc, ASPLOS'24 abstract: 'up to 2.81× performance, 2.67× energy efficiency' (P2)"
#: AttAcc's public simulator defaults (scale-snu/attacc_simulator src/config.py, README example):
#: 8 AttAcc devices × 5 HBM3 stacks, next to a DGX of 8 'A100a' GPUs (A100 with HBM3: 312 TFLOPS
#: FP16, 3,352 GB/s, 80 GB each) — the same capacity; GPT-175B, input 2048, output 128 tokens
ATTACC_STACKS, ATTACC_GPUS, ATTACC_GPU_TFLOPS, ATTACC_GPU_GBS = 40, 8, 312.0, 3352.0
#: the grid the maximum is taken over (the abstract gives only the maximum): assumed; the core's
#: operator bound (archgym.workload.MAX_DIM) applies to the softmax's batch × 96 heads × context
#: elements and keeps every point of it
ATTACC_BATCH = (16, 32, 64, 128, 256)
ATTACC_CTX = (512, 1024, 2048, 4096)
ATTACC_GRID = tuple((b, c) for b in ATTACC_BATCH for c in ATTACC_CTX if b * 96 * c <= MAX_DIM)


def _hw(preset: str) -> gemv.Hardware:
    cfg = PRESETS[preset]
    return gemv.Hardware.from_columns(cfg, {k: np.array([v]) for k, v in cfg.design().items()})


def geniepim_own_mapping(shape: tuple[int, int, int]) -> float:
    """Speed-up with GeniePIM's mapping (row blocks of 16, no split-K) and no refresh, as it models."""
    hw = _hw("lpddr5x-pim")
    job = gemv.Job(1, *shape)
    return float(gemv.host_job(hw, job)[0][0] / gemv.pim_job(hw, job, 1, 16, refresh=False).total_ns[0])


def geniepim_simulator(shape: tuple[int, int, int], fidelity: str = "analytical") -> float:
    """Speed-up through the simulator: its own mapper, refresh derate."""
    m, k, n = shape
    sim = get_simulator("pim")
    w = get_workload(f"gemv:M={m},K={k},B={n}")
    return sim.evaluate(sim.space(w, "lpddr5x-pim").default(), w, fidelity).metrics["speedup_vs_host"]


@cache
def attacc(batch: int, ctx: int) -> tuple[float, float]:
    """(speed-up, energy saving) of GPT-3 175B decode on AttAcc's default system: attention on
    bank-level HBM3-PIM, FC layers on the GPUs (4 layers: every layer is alike)."""
    cfg = dataclasses.replace(PRESETS["hbm3-attacc"], stacks=ATTACC_STACKS,
                              host_tops=ATTACC_GPU_TFLOPS * ATTACC_GPUS, host_bw_gbs=ATTACC_GPU_GBS * ATTACC_GPUS)
    cols = {k: np.array([v], dtype=object if isinstance(v, str) else None) for k, v in cfg.design().items()}
    cols.update(preset=np.array([cfg.name], dtype=object), act_mode=np.array(["all-bank"], dtype=object))
    cost = analytical.evaluate(cfg, cols, 1, opt_decode("opt-175b", ctx=ctx, batch=batch, layers=4))
    speedup, saving = (np.ravel(cost.metrics[k])[0] for k in ("speedup_vs_host", "energy_saving_vs_host"))
    return float(speedup), float(saving)      # one design: numpy scalars (or one-entry arrays)


def attacc_grid(metric: int) -> tuple[float, float]:
    """Range of speed-up (0) or energy saving (1) over the assumed batch × context grid."""
    vals = [attacc(b, c)[metric] for b, c in ATTACC_GRID]
    return min(vals), max(vals)


def attacc_max(metric: int) -> float:
    return attacc_grid(metric)[1]


def _peak_tflops(preset: str) -> float:
    return PRESETS[preset].peak_ops / 1e12


def _geniepim_checks() -> list[Check]:
    checks = []
    for shape, (published, layer) in GENIEPIM.items():
        m, k, n = shape
        checks.append(Check(
            f"P1-{m}x{k}-N{n}", "PIM speed-up over the host (×)", GENIEPIM_SRC,
            f"{layer}: GEMV {m}×{k}, N={n}; GeniePIM's mapping, no refresh", published,
            (lambda s=shape: geniepim_own_mapping(s)), 0.05, True,
            "±5 %: same constants and mapping as GeniePIM; residue is command-count rounding"))
    for shape in ((6144, 2048, 1), (49152, 12288, 1)):
        published, layer = GENIEPIM[shape]
        checks.append(Check(
            f"P1-{shape[0]}x{shape[1]}-sim", "PIM speed-up over the host (×)", GENIEPIM_SRC,
            f"{layer} through the simulator (own mapper, refresh derate)", published,
            (lambda s=shape: geniepim_simulator(s)), 0.10, True,
            "±10 %: the simulator's own mapper and the refresh derate GeniePIM leaves out"))
    checks.append(Check(
        "P1-6144x2048-cycle", "PIM speed-up over the host (×)", GENIEPIM_SRC,
        "OPT-1.3B ip-proj at the command-level (cycle) fidelity", 6.68,
        lambda: geniepim_simulator((6144, 2048, 1), "cycle"), 0.10, True, "±10 % as above"))
    for n in (2, 4):
        checks.append(Check(
            f"P1-trend-N{n}", f"trend: speed-up at N={n} ÷ speed-up at N=1", GENIEPIM_SRC,
            "OPT-1.3B ip-proj through the simulator", GENIEPIM[(6144, 2048, n)][0] / 6.68,
            (lambda n=n: geniepim_simulator((6144, 2048, n)) / geniepim_simulator((6144, 2048, 1))), 0.05, True,
            "±5 %: PIM has no weight reuse, so its time is linear in N while the host's is flat"))
    return checks


FAMILY = Family("pim", "Bank-level processing in memory. GeniePIM is reproduced from its public "
                "configuration (no parameter fitted to its outputs); AttAcc is compared on its headline "
                "maximum over an assumed grid, with its trends; vendor peaks are identities.")
FAMILY.checks = [
    *_geniepim_checks(),
    Check("P2-speedup-max", "AttAcc system speed-up over a same-capacity DGX, maximum (×)", ATTACC_SRC,
          "GPT-3 175B decode on AttAcc's public default system (40 HBM3 bank-PIM stacks, 8 A100-HBM3 "
          f"GPUs); max over (batch, context) {', '.join(f'{b}/{c}' for b, c in ATTACC_GRID)}", 2.81,
          lambda: attacc_max(0), 0.25, True,
          "±25 %: the system is AttAcc's own default, the grid is assumed (the abstract gives only the "
          "maximum)"),
    Check("P2-speedup-range", "AttAcc speed-up over the grid (×), range", ATTACC_SRC,
          "as above: minimum–maximum over the grid", (1.0, 2.81), lambda: attacc_grid(0), 0.25, True,
          "the model's range must overlap 'up to 2.81×'"),
    Check("P2-energy-max", "AttAcc energy efficiency over the DGX, maximum (×)", ATTACC_SRC,
          "as above", 2.67, lambda: attacc_max(1), 0.25, True,
          "±25 % as above"),
    Check("P2-trend-batch", "trend: speed-up at batch 64 ÷ batch 16 (context 2048)",
          "AttAcc ASPLOS'24 evaluation: the gain grows with batch, as attention's share of decode grows "
          "[unverified: from the paper's discussion, not a table]", "AttAcc's default system, as above",
          (1.0, math.inf), lambda: attacc(64, 2048)[0] / attacc(16, 2048)[0], 0.0, True,
          "direction only: the published curve's values are not available here"),
    Check("P2-trend-context", "trend: speed-up at context 4096 ÷ context 512 (batch 32)",
          "AttAcc ASPLOS'24 evaluation: the gain grows with sequence length [unverified, as above]",
          "AttAcc's default system, as above", (1.0, math.inf),
          lambda: attacc(32, 4096)[0] / attacc(32, 512)[0], 0.0, True, "direction only"),
    Check("P3-peak", "GDDR6-AiM peak TFLOPS per chip", "SK hynix ISSCC'22 title '1TFLOPS MAC' (P3)",
          "preset gddr6-aim: 2 ch × 16 banks × 16 BF16 lanes at 1 GHz", 1.0, lambda: _peak_tflops("gddr6-aim"),
          0.05, False, "identity: lanes, banks and clock are the same chip's published organisation",
          derived_from=("P3",)),
    Check("P4-peak", "HBM-PIM peak TFLOPS per stack", "Samsung HBM-PIM press 2021-02-16 (P4: 1.2 TFLOPS)",
          "preset hbm-pim: 128 PCUs × 16 FP16 lanes at 300 MHz", 1.2, lambda: _peak_tflops("hbm-pim"), 0.05,
          False, "circular: the 128 PCUs per stack were derived from this peak", derived_from=("P4",)),
]
