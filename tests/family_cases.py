"""The designs that pin every family's numbers (``tests/data/family_golden.json``).

Regenerate the golden file after a deliberate model change (and bump the family's ``version``):
``python -m tests.family_cases``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from archgym.simulator import get_simulator
from archgym.workload import get_workload

GOLDEN = Path(__file__).parent / "data" / "family_golden.json"

#: (family, workload, mapping mode, fidelities): preset default + sampled designs of each
CASES: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("systolic", "resnet18", "auto", ("analytical", "cycle")),
    ("systolic", "bert-base:seq=64", "per-layer", ("analytical",)),
    ("pim", "gpt2-decode", "auto", ("analytical", "cycle")),
    ("pim", "gpt2-decode:batch=4", "per-layer", ("analytical",)),
    ("rdu", "resnet18", "auto", ("analytical", "cycle")),
    ("rdu", "bert-base:seq=64", "shared", ("analytical",)),
    ("fpga", "resnet18", "auto", ("analytical", "cycle")),
    ("fpga", "mobilenetv2", "per-layer", ("analytical",)),
]
SAMPLES = 3


def case_designs(family: str, workload: str, mapping: str) -> list[dict[str, Any]]:
    """The preset's default design and ``SAMPLES`` seeded samples of the space."""
    space = get_simulator(family).space(get_workload(workload), mapping=mapping)
    return [space.default(), *space.sample(SAMPLES, 7)]


def case_key(family: str, workload: str, mapping: str, fidelity: str) -> str:
    return f"{family}|{workload}|{mapping}|{fidelity}"


def generate() -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for family, workload, mapping, fidelities in CASES:
        sim, wl = get_simulator(family), get_workload(workload)
        designs = case_designs(family, workload, mapping)
        for fidelity in fidelities:
            out[case_key(family, workload, mapping, fidelity)] = [
                {"metrics": r.metrics, "valid": r.valid, "violations": r.violations}
                for r in (sim.evaluate(d, wl, fidelity) for d in designs)]
    return out


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(generate(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
