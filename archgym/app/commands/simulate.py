"""``archgym simulate SIM --preset NAME [--set key=value …] --workload W [--fidelity …] [--json]``."""

from __future__ import annotations

import argparse
import json

from archgym.errors import ConfigError
from archgym.metrics import unit
from archgym.simulator import KNOWN_FIDELITIES, MAPPING_MODES, get_simulator
from archgym.workload import get_workload, parse_kv


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("simulator", help="systolic, pim, rdu, fpga, or proxy:DIR")
    p.add_argument("--preset", default=None, help="hardware preset (see `archgym list`)")
    p.add_argument("--workload", "-w", required=True, help="zoo name, gemm:M=..,N=..,K=.., .csv or .onnx")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one design parameter (repeatable)")
    p.add_argument("--fidelity", default="analytical", choices=KNOWN_FIDELITIES,
                   help="scalesim: systolic cycle level with SCALE-Sim's own buffers")
    p.add_argument("--mapping", default="auto", choices=MAPPING_MODES,
                   help="auto: the simulator's own mapping heuristic")
    p.add_argument("--layers", action="store_true", help="include the per-layer breakdown")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    workload = get_workload(args.workload)
    sim = get_simulator(args.simulator)
    overrides: dict[str, str] = {}
    for item in args.overrides:
        if "=" not in item:
            raise ConfigError(f"--set: expected KEY=VALUE, got {item!r}")
        overrides.update(parse_kv(item, "--set"))
    design = sim.design_for(workload, args.preset, overrides, args.mapping)
    result = sim.evaluate(design, workload, args.fidelity)
    if args.json:
        out = result.to_json(with_layers=args.layers)
        out["design"] = design
        print(json.dumps(out, default=str))
    else:
        print(f"{sim.name} · preset {args.preset or sim.default_preset} · {workload.name} · {args.fidelity}")
        for key, value in result.metrics.items():
            print(f"  {key:<26} {value:.6g} {unit(key)}")
        print(f"  {'valid':<26} {result.valid}")
        if result.violations:
            print(f"  {'violations':<26} {', '.join(result.violations)}")
    return 0 if result.valid else 1
