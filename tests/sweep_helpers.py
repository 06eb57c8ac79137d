"""Shared helpers of the sweep and report tests: small systolic sweep configs and row comparison."""

from pathlib import Path

import yaml

from archgym.store import RunStore

# 4 × 4 × 3 × 5 = 240 designs of the systolic tpu-v1 space, the other parameters pinned
SMALL_SPACE = {
    "fix": {"ifmap_kb": 2048, "filter_kb": 256, "ofmap_kb": 1024},
    "values": {"rows": [32, 64, 128, 256], "cols": [32, 64, 128, 256]},
}


def write_config(tmp_path: Path, name: str = "t", **fields) -> Path:
    """A sweep YAML in ``tmp_path``; ``fields`` override the defaults below."""
    cfg = {"name": name, "simulator": "systolic", "preset": "tpu-v1", "workload": "gemm:M=256,N=512,K=256",
           "space": SMALL_SPACE, "strategy": "random", "budget": 60, "batch_size": 8,
           "objectives": ["latency_s", "energy_j", "area_mm2"], "seed": 3}
    cfg.update(fields)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def rows(store: RunStore, run_id: str | None = None) -> list[tuple]:
    """(run, step, design, metrics, valid, violations) of every row, in order: what must match."""
    return [(r.run_id, r.step, r.design, r.metrics, r.valid, r.violations) for r in store.records(run_id)]
