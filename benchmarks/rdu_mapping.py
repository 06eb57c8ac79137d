"""RDU mapping benchmark: default mapper and a per-layer mapping search against the
one-kernel-per-section and naive equal-split baselines; fusion speed-up; batch speed ratio.

Run: ``.venv/bin/python benchmarks/rdu_mapping.py [--budget 400]``. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from archgym.simulator import get_simulator
from archgym.workload import Workload, get_workload


def block(spec: str) -> Workload:
    full = get_workload(spec)
    return Workload(f"{spec} L0", full.graph.subgraph([n for n in full.graph if n.startswith("L0_")]).copy())


def best_shared(sim, wl, preset, **knobs) -> float:
    space = sim.space(wl, preset, mapping="shared")
    designs = [{**space.default(), **knobs, "tile_rows": t} for t in space["tile_rows"].values]
    return float(np.nanmin(np.where(sim.evaluate_batch(designs, wl).valid,
                                    sim.evaluate_batch(designs, wl).metrics["latency_s"], np.inf)))


def local_search(sim, wl, preset, budget: int, seed: int = 0) -> float:
    """Mutate cut flags / PCU shares / tile of the per-layer space, keep the best (batched)."""
    space = sim.space(wl, preset, mapping="per-layer")
    rng = np.random.default_rng(seed)
    mapping_names = [i for i, p in enumerate(space.params)
                     if p.name.startswith(("cut@", "share@")) or p.name in ("tile_rows", "buffer_depth")]
    best_idx = space.to_indices(space.default())
    best = sim.evaluate(space.default(), wl).metrics["latency_s"]
    used = 1
    while used < budget:
        cand = np.repeat(best_idx[None], 32, axis=0)
        for row in cand:
            for j in rng.choice(mapping_names, size=rng.integers(1, 4), replace=False):
                row[j] = rng.integers(space.nvec[j])
        res = sim.evaluate_batch([space.from_indices(r) for r in cand], wl)
        lat = np.where(res.valid, res.metrics["latency_s"], np.inf)
        used += len(cand)
        if lat.min() < best:
            best, best_idx = float(lat.min()), cand[int(lat.argmin())]
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=int, default=400)
    args = ap.parse_args()
    sim = get_simulator("rdu")
    print("| workload | preset | unfused (µs) | equal split (µs) | default mapper (µs) | per-layer search (µs) "
          "| fusion speed-up |")
    print("|---|---|---|---|---|---|---|")
    for spec, preset in [("gpt2-prefill:seq=1024", "sn40l"), ("gpt2-prefill:seq=512", "sn40l"),
                         ("bert-base:seq=128", "sn40l"), ("gpt2-prefill:seq=1024", "sn10"),
                         ("llama7b-decode:layers=1", "sn40l"), ("llama7b-decode:layers=1", "sn40l-node")]:
        wl = block(spec)
        unfused = best_shared(sim, wl, preset, fusion="off")
        equal = best_shared(sim, wl, preset, pcu_alloc="equal")
        auto = sim.evaluate(sim.space(wl, preset).default(), wl).metrics["latency_s"]
        search = local_search(sim, wl, preset, args.budget)
        print(f"| {wl.name} | {preset} | {unfused * 1e6:.2f} | {equal * 1e6:.2f} | {auto * 1e6:.2f} | "
              f"{min(search, auto) * 1e6:.2f} | {unfused / auto:.2f}× |")

    wl = get_workload("bert-base")
    designs = sim.space(wl).sample(512, rng=0)
    sim.evaluate_batch(designs[:8], wl)  # warm the lowering
    t0 = time.perf_counter()
    for d in designs[:64]:
        sim.evaluate(d, wl)
    loop = (time.perf_counter() - t0) / 64
    t0 = time.perf_counter()
    sim.evaluate_batch(designs, wl)
    batch = (time.perf_counter() - t0) / len(designs)
    print(f"\nbert-base auto space: evaluate {loop * 1e3:.2f} ms/design (mapper memoised after first use), "
          f"evaluate_batch {batch * 1e3:.3f} ms/design → {loop / batch:.1f}× per design")


if __name__ == "__main__":
    main()
