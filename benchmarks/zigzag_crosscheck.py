"""The loop-nest model against ZigZag 3.9 (oracle data from ``benchmarks/zigzag_oracle.py``).

For every layer ZigZag searched (``benchmarks/data/zigzag/<hw>-<net>.json``), on the same hardware
file (``tests/data/zigzag/``):

1. **Fixed mapping**: ZigZag's best-energy mapping (spatial unrolling, loop order, per-operand memory
   levels) evaluated by archgym's cost model; per memory and operand, elements read and written
   against ZigZag's ``elem_moved`` (reads = to-low + to-high, writes = from-low + from-high), and
   the layer's latency and energy.
2. **Search**: archgym's exhaustive per-layer search (energy, then latency) against ZigZag's best
   mapping, both evaluated by archgym's cost model (same costs: the search is compared, not the
   model), and the search time against LOMA's CPU time.

Writes ``benchmarks/results/zigzag_crosscheck.md``. Run: ``.venv/bin/python benchmarks/zigzag_crosscheck.py``.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.provenance import met, write_results  # noqa: E402
from simulators.loopnest import cost  # noqa: E402
from simulators.loopnest.hardware import Hardware  # noqa: E402
from simulators.loopnest.problem import D, DIMS, LoopLayer  # noqa: E402
from simulators.loopnest.search import best_mappings  # noqa: E402
from simulators.loopnest.zigzag_io import load_hardware  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "zigzag"
FILES = ROOT / "tests" / "data" / "zigzag"
OUT = ROOT / "benchmarks" / "results" / "zigzag_crosscheck.md"
MAPPING_FILE = {"tpu_like": "tpu_like", "edge_tpu_like": "edge_tpu_like", "eyeriss_like": "default"}
COUNT_TOLERANCE = 0.01      # ZigZag rounds fractional unrolling (docs/zigzag-schema.md §2.3)
#: ZigZag GEMM dims: rows ``D`` are archgym's ``OX`` (a GEMM is ``OX=M, C=K, K=N``), heads ``H`` its ``G``
ALIAS = {"D": "OX", "H": "G"}


def layer_of(entry: dict[str, Any]) -> LoopLayer:
    """A ZigZag layer record as a loop nest (strides and dilations from its dimension relations)."""
    dims = {ALIAS.get(d, d): v for d, v in entry["loop_dims"].items()}
    stride, dilation = [1, 1], [1, 1]
    for rel in entry.get("dimension_relations", []):
        m = re.match(r"I([XY]) = (\d+)\*O[XY] \+ (\d+)\*F[XY]", rel)
        if m:
            axis = 1 if m.group(1) == "X" else 0
            stride[axis], dilation[axis] = int(m.group(2)), int(m.group(3))
    prec = entry["operand_precision"]
    bits = (int(prec.get("W", 8)), int(prec.get("I", 8)), int(prec.get("O_final", 8)), int(prec.get("O", 16)))
    pr = entry.get("pr_dim_sizes") or {}
    pad = entry.get("padding") or {}
    size = (int(pr["IY"]), int(pr["IX"])) if "IY" in pr and "IX" in pr else None
    padding = (int(pad.get("IY", [0])[0]), int(pad.get("IX", [0])[0]))
    return LoopLayer(entry["name"], tuple(int(dims.get(d, 1)) for d in DIMS), (stride[0], stride[1]),
                     (dilation[0], dilation[1]), bits, padding, size)


def fixed_mapping(hw: Hardware, axes: list[str], best: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """ZigZag's mapping as (spatial, dims, facs, cuts) for :func:`cost.evaluate`."""
    # ZigZag's fractional unrolling (``spatial_per_level``), on the axes ``spatial_mapping`` names
    used = {ALIAS.get(d, d): float(f) for level in best["spatial_per_level"]["W"] for d, f in level}
    spatial = np.ones((len(hw.array), len(DIMS)))
    for axis, unrolls in best["spatial_mapping"].items():
        for dim in unrolls:
            dim = ALIAS.get(dim, dim)
            spatial[axes.index(axis), D[dim]] *= max(1.0, used.get(dim, 1.0))
    loops = [(D[ALIAS.get(d, d)], int(f)) for d, f in best["loop_order"]]
    dims = np.array([[d for d, _ in loops]])
    facs = np.array([[f for _, f in loops]])
    cuts = np.full((1, len(hw.memories), 3), -1, dtype=np.int64)
    names = [m.name for m in hw.memories]
    for xi, x in enumerate("WIO"):
        levels = best["operands"][x]["levels"]
        counts = [len(level) for level in best["temporal_mapping"][x]]
        for j, level in enumerate(levels):
            cuts[0, names.index(level["mem"]), xi] = sum(counts[:j + 1])
    return spatial, dims, facs, cuts


def compare_counts(hw: Hardware, costs: cost.Costs, best: dict[str, Any]) -> tuple[bool, float]:
    """All per-memory/operand read and write counts within tolerance; worst relative error."""
    names = [m.name for m in hw.memories]
    worst = 0.0
    for xi, x in enumerate("WIO"):
        for level in best["operands"][x]["levels"]:
            mi = names.index(level["mem"])
            rd_low, wr_low, rd_high, wr_high = level["elem_moved"]
            for ours, theirs in ((costs.reads[0, mi, xi], rd_low + rd_high), (costs.writes[0, mi, xi], wr_low + wr_high)):
                err = abs(ours - theirs) / max(theirs, 1.0)
                worst = max(worst, err)
    return worst <= COUNT_TOLERANCE, worst


def run_file(path: Path) -> dict[str, Any]:
    doc = json.loads(path.read_text())
    hw_name = Path(doc["hardware"]).stem
    hw_file = FILES / "hardware" / f"{hw_name}.yaml"
    hw = load_hardware(hw_file, FILES / "mapping" / f"{MAPPING_FILE.get(hw_name, 'default')}.yaml")
    import yaml

    axes = [str(a) for a in yaml.safe_load(hw_file.read_text())["operational_array"]["dimensions"]]
    layers = [layer_of(entry["layer"]) for entry in doc["layers"]]
    rows = []
    t0 = time.process_time()
    ours_e = best_mappings(layers, hw, "energy")
    ours_t = best_mappings(layers, hw, "latency")
    search_cpu = time.process_time() - t0
    for entry, layer, oe, ot in zip(doc["layers"], layers, ours_e, ours_t):
        best = entry["best_energy"]
        spatial, dims, facs, cuts = fixed_mapping(hw, axes, best)
        fixed = cost.evaluate(layer, hw, spatial, dims, facs, cuts)
        ok, worst = compare_counts(hw, fixed, best)
        zz_lat = entry["best_latency"]["latency"]["total2"]
        spatial_t, dims_t, facs_t, cuts_t = fixed_mapping(hw, axes, entry["best_latency"])
        fixed_t = cost.evaluate(layer, hw, spatial_t, dims_t, facs_t, cuts_t)
        rows.append({
            "layer": layer.name, "counts_match": ok, "worst_count_err": worst,
            "fractional_unrolling": bool(np.any(spatial != np.round(spatial))),
            "energy_ratio": float(fixed.energy_pj[0]) / best["energy_pj"]["total"],
            "latency_ratio": float(fixed.cycles[0]) / best["latency"]["total2"],
            "search_energy_vs_zz": float(oe.costs.energy_pj[0]) / float(fixed.energy_pj[0]),
            "search_latency_vs_zz": float(ot.costs.cycles[0]) / float(fixed_t.cycles[0]),
            "zz_latency_ratio_model": float(fixed_t.cycles[0]) / zz_lat,
            "loma_cpu_s": entry.get("cpu_time_s", float("nan")),
            "zz_energy_spread": entry["candidates"]["energy_pj"]["median"] / entry["candidates"]["energy_pj"]["min"],
            "our_energy_spread": oe.spread["energy_median_over_best"],
        })
    return {"file": path.name, "hardware": hw_name, "rows": rows, "search_cpu_s": search_cpu,
            "zigzag_version": doc.get("zigzag_version"), "layers": len(layers)}


def run_sweep(path: Path) -> dict[str, Any]:
    """Design ranking: ZigZag's best energy and latency of one layer on tpu_like variants (array,
    SRAM size, DRAM bandwidth) against archgym's searched best on the same variants (Spearman)."""
    import tempfile

    import yaml
    from scipy.stats import spearmanr

    doc = json.loads(path.read_text())
    zl = doc["layer"]
    entry = {"name": zl["name"], "loop_dims": dict(zip(zl["loop_dims"], zl["loop_sizes"])),
             "dimension_relations": [r.upper().replace("=", " = ").replace("+", " + ") for r in zl["dimension_relations"]],
             "operand_precision": zl["operand_precision"],
             "pr_dim_sizes": dict(zip(zl["pr_loop_dims"], zl["pr_loop_sizes"])),
             "padding": dict(zip(zl["pr_loop_dims"], zl["padding"]))}
    layer = layer_of(entry)
    base = yaml.safe_load((FILES / "hardware" / "tpu_like.yaml").read_text())
    ours_e, ours_t, zz_e, zz_t = [], [], [], []
    cpu = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for d in doc["designs"]:
            hw_doc = json.loads(json.dumps(base))
            hw_doc["operational_array"]["sizes"] = d["array"]
            hw_doc["memories"]["sram_2MB"]["size"] = d["sram_bits"]
            hw_doc["memories"]["dram"]["ports"][0].update(bandwidth_min=d["dram_bw_bits"], bandwidth_max=d["dram_bw_bits"])
            mapping = [{"name": "default", "spatial_mapping": {"D1": [f"K, {d['array'][0]}"], "D2": [f"C, {d['array'][1]}"]},
                        "memory_operand_links": {"O": "O", "W": "I2", "I": "I1"}}]
            (Path(tmp) / "hw.yaml").write_text(json.dumps(hw_doc))
            (Path(tmp) / "map.yaml").write_text(json.dumps(mapping))
            hw = load_hardware(Path(tmp) / "hw.yaml", Path(tmp) / "map.yaml")
            t0 = time.process_time()
            ours_e.append(float(best_mappings([layer], hw, "energy")[0].costs.energy_pj[0]))
            ours_t.append(float(best_mappings([layer], hw, "latency")[0].costs.cycles[0]))
            cpu += time.process_time() - t0
            zz_e.append(d["best_energy"]["energy_pj"]["total"])
            zz_t.append(d["best_latency"]["latency"]["total2"])
    return {"designs": len(doc["designs"]), "layer": zl["name"],
            "spearman_energy": float(spearmanr(ours_e, zz_e).statistic),
            "spearman_latency": float(spearmanr(ours_t, zz_t).statistic),
            "best_energy_same": int(np.argmin(ours_e)) == int(np.argmin(zz_e)),
            "best_latency_same": int(np.argmin(ours_t)) == int(np.argmin(zz_t)),
            "energy_ratio_median": float(np.median(np.array(ours_e) / np.array(zz_e))),
            "latency_ratio_median": float(np.median(np.array(ours_t) / np.array(zz_t))),
            "our_cpu_s": cpu, "zz_cpu_s": sum(d["cpu_time_s"] for d in doc["designs"])}


def main() -> int:
    files = sorted(f for f in DATA.glob("*.json") if not f.name.startswith("sweep-"))
    sweeps = [run_sweep(f) for f in sorted(DATA.glob("sweep-*.json"))]
    if not files:
        print(f"no oracle data in {DATA}: run benchmarks/zigzag_oracle.py with ZigZag installed")
        return 2
    results = [run_file(f) for f in files]
    lines = ["From ZigZag's own results (`benchmarks/data/zigzag/`, recorded by `benchmarks/zigzag_oracle.py` "
             "with ZigZag installed).", "",
             "| hardware · network | layers | counts equal (±1%), fixed mapping | energy ours/ZZ (median, range) | "
             "latency ours/ZZ (median, range) | search: our best energy / ZZ best (median, worst) | "
             "search: our best latency / ZZ best (median, worst) | layers ≤ 1.02 (E / L) | "
             "our search CPU s per layer | LOMA CPU s per layer | energy median/best: ZZ, ours | "
             "latency within 10% | targets met? (counts ≥95%, energy ±5%, latency ±10%, search ≤2% on ≥90%) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        rows = r["rows"]
        n = len(rows)

        def stat(key: str) -> str:
            v = np.array([x[key] for x in rows])
            return f"{np.median(v):.3f} ({v.min():.3f}–{v.max():.3f})"

        counts = sum(x["counts_match"] for x in rows)
        e5 = sum(abs(x["energy_ratio"] - 1) <= 0.05 for x in rows)
        lat10 = sum(abs(x["latency_ratio"] - 1) <= 0.10 for x in rows)
        se = np.array([x["search_energy_vs_zz"] for x in rows])
        sl = np.array([x["search_latency_vs_zz"] for x in rows])
        loma = np.nanmean([x["loma_cpu_s"] for x in rows])
        s2e, s2l = int((se <= 1.02).sum()), int((sl <= 1.02).sum())
        lines.append(
            f"| {r['file'][:-5]} | {n} | {sum(x['counts_match'] for x in rows)}/{n} | {stat('energy_ratio')} | "
            f"{stat('latency_ratio')} | {np.median(se):.3f}, {se.max():.3f} | {np.median(sl):.3f}, {sl.max():.3f} | "
            f"{int((se <= 1.02).sum())}/{n} / {int((sl <= 1.02).sum())}/{n} | {r['search_cpu_s'] / n:.3f} | "
            f"{loma:.2f} | {np.median([x['zz_energy_spread'] for x in rows]):.2f}, "
            f"{np.median([x['our_energy_spread'] for x in rows]):.2f} | {lat10}/{n} | "
            f"{met(counts / n, 0.95, at_most=False)}, {met(e5 / n, 1.0, at_most=False)}, "
            f"{met(lat10 / n, 1.0, at_most=False)}, {met(min(s2e, s2l) / n, 0.9, at_most=False)} |")
    if sweeps:
        lines += ["", "Design ranking (one layer, tpu_like variants: array shape × SRAM size × DRAM bandwidth; "
                  "each design's best mapping searched by each tool):", "",
                  "| layer | designs | Spearman energy | Spearman latency | same best design (E / L) | "
                  "best energy ours/ZZ (median) | best latency ours/ZZ (median) | CPU s ours / ZigZag |",
                  "|---|---|---|---|---|---|---|---|"]
        for w in sweeps:
            lines.append(f"| {w['layer']} | {w['designs']} | {w['spearman_energy']:.3f} | {w['spearman_latency']:.3f} | "
                         f"{'yes' if w['best_energy_same'] else 'no'} / {'yes' if w['best_latency_same'] else 'no'} | "
                         f"{w['energy_ratio_median']:.3f} | {w['latency_ratio_median']:.3f} | "
                         f"{w['our_cpu_s']:.1f} / {w['zz_cpu_s']:.1f} |")
    lines += ["", "Per layer:", ""]
    for r in results:
        lines += [f"### {r['file'][:-5]}", "", "| layer | counts equal | worst count error | energy ours/ZZ | "
                  "latency ours/ZZ | our best E / ZZ best E | our best L / ZZ best L |", "|---|---|---|---|---|---|---|"]
        for x in r["rows"]:
            lines.append(f"| {x['layer']} | {'yes' if x['counts_match'] else 'no'} | {x['worst_count_err']:.3f} | "
                         f"{x['energy_ratio']:.3f} | {x['latency_ratio']:.3f} | {x['search_energy_vs_zz']:.3f} | "
                         f"{x['search_latency_vs_zz']:.3f} |")
        lines.append("")
    write_results(OUT, "Loop-nest model vs ZigZag", "\n".join(lines))
    print("\n".join(lines[:6 + len(results)]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
