"""Live cross-check: ZigZag itself (``zigzag-dse``, a dev dependency) against the loop-nest model.

ZigZag searches one layer on its shipped TPU-like accelerator; archgym evaluates ZigZag's chosen
mapping (same counts and energy) and searches the layer itself (no worse than LOMA). Skips with a
one-line reason where ZigZag is not installed; the recorded-data tests in ``test_loopnest.py``
cover the same ground without it.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

pytest.importorskip("zigzag", reason="ZigZag is not installed (pip install -e '.[dev]' brings zigzag-dse)")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def _layer() -> dict[str, object]:
    """A 3×3 conv in ZigZag's layer format (32 → 32 channels, 8×8 outputs, padding 1)."""
    return {"id": 0, "name": "live_conv", "operator_type": "Conv",
            "equation": "O[b][g][k][oy][ox]+=W[g][k][c][fy][fx]*I[b][g][c][iy][ix]",
            "loop_dims": ["B", "K", "G", "OX", "OY", "C", "FX", "FY"], "loop_sizes": [1, 32, 1, 8, 8, 32, 3, 3],
            "dimension_relations": ["ix=1*ox+1*fx", "iy=1*oy+1*fy"],
            "operand_precision": {"W": 8, "I": 8, "O_final": 8, "O": 16}, "operand_source": {"W": 0, "I": 0},
            "pr_loop_dims": ["IX", "IY"], "pr_loop_sizes": [8, 8], "padding": [[1, 1], [1, 1]]}


def test_zigzag_live_layer_matches(tmp_path: Path) -> None:
    from zigzag_crosscheck import run_file
    from zigzag_oracle import INPUTS, run_zigzag

    logging.disable(logging.WARNING)
    records, _, _ = run_zigzag(str(INPUTS / "hardware" / "tpu_like.yaml"), str(INPUTS / "mapping" / "tpu_like.yaml"),
                               [_layer()])
    oracle = tmp_path / "tpu_like-live.json"
    oracle.write_text(json.dumps({"hardware": "zigzag/inputs/hardware/tpu_like.yaml", "layers": records}))
    (row,) = run_file(oracle)["rows"]
    assert row["counts_match"], f"access counts differ by {row['worst_count_err']:.1%}"
    assert abs(row["energy_ratio"] - 1) <= 0.01
    assert row["search_energy_vs_zz"] <= 1.02 and row["search_latency_vs_zz"] <= 1.02
