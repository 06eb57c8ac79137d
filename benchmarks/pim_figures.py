"""PIM family: measured vs published figures (docs/references.md §1.3) and speed ratios. Run:
``.venv/bin/python benchmarks/pim_figures.py``.

1. GeniePIM table (P1): speed-up of LPDDR5X PIM over the 120 GB/s host, GeniePIM's mapping
   without refresh, the full model (own mapping, refresh) and the command-level simulator.
2. Peaks (P3, P4) and the AttAcc GPT-3 175B sweep over batch and context (P2, "up to 2.81×").
3. Whole-token decode on each preset (GPT-2, OPT-1.3B/6.7B, LLaMA-7B): latency, energy, speed-up.
4. Speed: vectorised ``evaluate_batch`` vs a loop of ``evaluate``; cycle vs analytical cost.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archgym.simulator import get_simulator
from archgym.workload import get_workload
from benchmarks.speed import speed_ratios
from simulators.pim import PRESETS, analytical, gemv
from simulators.pim.models import opt_decode

GENIEPIM = {(6144, 2048, 1): 6.68, (8192, 2048, 1): 6.75, (49152, 12288, 1): 6.77,
            (12288, 12288, 1): 6.72, (768, 768, 1): 2.28, (6144, 2048, 2): 3.34, (6144, 2048, 4): 1.67}


def geniepim_table() -> None:
    sim = get_simulator("pim")
    cfg = PRESETS["lpddr5x-pim"]
    hw = gemv.Hardware.from_columns(cfg, {k: np.array([v]) for k, v in cfg.design().items()})
    print("P1 GeniePIM (LPDDR5X 8ch×16 banks, INT8, host 120 GB/s)")
    print(f"{'M×K, N':>18} {'published':>9} {'its map':>8} {'model':>7} {'cycle':>7}")
    for (m, k, n), pub in GENIEPIM.items():
        job = gemv.Job(1, m, k, n)
        fixed = gemv.host_job(hw, job)[0][0] / gemv.pim_job(hw, job, 1, 16, refresh=False).total_ns[0]
        w = get_workload(f"gemv:M={m},K={k},B={n}")
        d = sim.space(w, "lpddr5x-pim").default()
        a = sim.evaluate(d, w).metrics["speedup_vs_host"]
        c = sim.evaluate(d, w, "cycle").metrics["speedup_vs_host"]
        print(f"{f'{m}×{k}, {n}':>18} {pub:9.2f} {fixed:8.2f} {a:7.2f} {c:7.2f}")


def peaks_and_attacc() -> None:
    for name in ("gddr6-aim", "hbm-pim"):
        cfg = PRESETS[name]
        print(f"{name}: peak {cfg.peak_ops / 1e12:.3f} TFLOPS (published: docs/validation.md), "
              f"internal {cfg.internal_bw_gbs:.0f} GB/s vs external {cfg.external_bw_gbs:.0f} GB/s")
    print("P2 AttAcc GPT-3 175B (attention on HBM3 bank-PIM, FC on an H100-class host; published up to 2.81×)")
    for stacks, gpus in ((40, 8), (120, 24)):
        cfg = dataclasses.replace(PRESETS["hbm3-attacc"], stacks=stacks, host_tops=989.0 * gpus,
                                  host_bw_gbs=3352.0 * gpus)
        cols = {k: np.array([v], dtype=object if isinstance(v, str) else None) for k, v in cfg.design().items()}
        cols.update(preset=np.array([cfg.name], dtype=object), act_mode=np.array(["all-bank"], dtype=object))
        for batch in (16, 64, 128):
            for ctx in (1024, 2048, 4096):
                cost = analytical.evaluate(cfg, cols, 1, opt_decode("opt-175b", ctx=ctx, batch=batch))
                fits = not np.ravel(cost.violations["weights_fit_in_memory"])[0]
                m = {k: float(np.ravel(v)[0]) for k, v in cost.metrics.items()}   # one design: scalars
                print(f"  {stacks} stacks/{gpus} GPUs batch {batch:3d} ctx {ctx:4d}: speed-up "
                      f"{m['speedup_vs_host']:.2f}× energy {m['energy_saving_vs_host']:.2f}× "
                      f"{'fits' if fits else 'exceeds capacity'}")


def token_steps() -> None:
    sim = get_simulator("pim")
    print("Decode steps (analytical / cycle latency, energy, speed-up over the host)")
    for preset in PRESETS:
        for wl in (get_workload("gpt2-decode:ctx=1024"), opt_decode("opt-1.3b", ctx=1024),
                   opt_decode("opt-6.7b", ctx=1024), get_workload("llama7b-decode:ctx=1024")):
            d = sim.space(wl, preset).default()
            a = sim.evaluate(d, wl)
            c = sim.evaluate(d, wl, "cycle")
            note = "" if a.valid else f" INVALID {a.violations}"
            print(f"  {preset:12s} {wl.name:16s} {a.metrics['latency_s'] * 1e3:9.3f} / "
                  f"{c.metrics['latency_s'] * 1e3:9.3f} ms  {a.metrics['energy_j'] * 1e3:8.3f} mJ  "
                  f"{a.metrics['speedup_vs_host']:5.2f}×{note}")


def speed(n: int = 2048) -> None:
    sim = get_simulator("pim")
    for wl, preset in ((get_workload("gpt2-decode:ctx=512"), "hbm-pim"),
                       (get_workload("llama7b-decode"), "lpddr5x-pim")):
        designs = sim.space(wl, preset).sample(n, 0)
        print(f"{wl.name:15s} {preset:12s} " + speed_ratios(sim, wl, designs, 32).line())

if __name__ == "__main__":
    geniepim_table()
    peaks_and_attacc()
    token_steps()
    speed()
