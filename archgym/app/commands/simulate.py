"""``archgym simulate SIM --preset NAME [--set key=value …] --workload W [--fidelity …] [--json]``."""

from __future__ import annotations

import argparse
import json
import numbers
from typing import Any

from archgym.errors import ConfigError
from archgym.metrics import unit
from archgym.simulator import KNOWN_FIDELITIES, MAPPING_MODES, get_simulator
from archgym.workload import Workload, get_workload, parse_kv
from simulators.loopnest import LoopNestSimulator
from simulators.loopnest.hardware import MACHINES
from simulators.loopnest.zigzag_io import load_hardware


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("simulator", help="systolic, pim, rdu, fpga, or proxy:DIR")
    p.add_argument("--preset", default=None, help="hardware preset (see `archgym list`)")
    p.add_argument("--workload", "-w", required=True, help="zoo name, gemm:M=..,N=..,K=.., .csv or .onnx")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override one design parameter (repeatable)")
    p.add_argument("--fidelity", default=None, choices=KNOWN_FIDELITIES,
                   help="default: analytical (a proxy: the fidelity it imitates); scalesim: systolic cycle "
                        "level with SCALE-Sim's own buffers, cycles end to end (prefetch and final drain "
                        "included; `archgym scalesim` also prints SCALE-Sim's Total Cycles, which leave them "
                        "out: docs/validation.md, 'The two SCALE-Sim totals')")
    p.add_argument("--mapping", default="auto", choices=MAPPING_MODES,
                   help="auto: the simulator's own mapping heuristic")
    p.add_argument("--zigzag-hardware", metavar="HW.yaml", default=None,
                   help="evaluate a ZigZag hardware file on the loop-nest model (systolic or loopnest)")
    p.add_argument("--machine", default=None, choices=sorted(MACHINES),
                   help="a named loop-nest machine (fixed hardware; every layer's mapping searched)")
    p.add_argument("--zigzag-mapping", metavar="MAP.yaml", default=None,
                   help="ZigZag mapping file: its spatial unrolling (temporal loops are searched)")
    p.add_argument("--mapping-objective", default="edp", choices=("edp", "energy", "latency"),
                   help="what each layer's loop-nest mapping search minimises (--zigzag-hardware)")
    p.add_argument("--layers", action="store_true", help="include the per-layer breakdown")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    workload = get_workload(args.workload)
    if args.zigzag_hardware or args.machine:
        return _run_machine(args, workload)
    if args.zigzag_mapping:
        raise ConfigError("--zigzag-mapping: needs --zigzag-hardware")
    sim = get_simulator(args.simulator)
    overrides: dict[str, str] = {}
    for item in args.overrides:
        if "=" not in item:
            raise ConfigError(f"--set: expected KEY=VALUE, got {item!r}")
        overrides.update(parse_kv(item, "--set"))
    design = sim.design_for(workload, args.preset, overrides, args.mapping)
    fidelity = args.fidelity or ("analytical" if "analytical" in sim.fidelities else sim.fidelities[0])
    result = sim.evaluate(design, workload, fidelity)
    if args.json:
        out = result.to_json(with_layers=args.layers)
        out["design"] = design
        print(json.dumps(out, default=str))
    else:
        imitates = result.info.get("imitates")       # a proxy: say what it predicts, not the flag
        label = f"proxy predicting {imitates}" if imitates else fidelity
        print(f"{sim.name} · preset {args.preset or sim.default_preset} · {workload.name} · {label}")
        for key, value in result.metrics.items():
            print(f"  {key:<26} {value:.6g} {unit(key)}")
        print(f"  {'valid':<26} {result.valid}")
        if result.violations:
            print(f"  {'violations':<26} {', '.join(result.violations)}")
        if args.layers:
            _print_layers(result.layers)
    return 0 if result.valid else 1


def _run_machine(args: argparse.Namespace, workload: Workload) -> int:
    """A fixed machine (a ZigZag hardware file or a named one) on the loop-nest model, every
    layer's mapping searched."""
    flag = "--zigzag-hardware" if args.zigzag_hardware else "--machine"
    if args.simulator not in ("systolic", "loopnest"):
        raise ConfigError.bad_value(f"simulator (with {flag})", args.simulator, ("systolic", "loopnest"))
    if args.zigzag_hardware and args.machine:
        raise ConfigError("--machine and --zigzag-hardware: give one of them")
    if args.overrides or args.preset or args.fidelity not in (None, "analytical"):
        raise ConfigError(f"{flag}: the machine is the design; --preset, --set and --fidelity do not apply")
    hw = load_hardware(args.zigzag_hardware, args.zigzag_mapping) if args.zigzag_hardware else MACHINES[args.machine]()
    result = LoopNestSimulator().evaluate_machine(hw, workload, args.mapping_objective)
    if args.json:
        out = result.to_json(with_layers=args.layers)
        out["hardware"] = {"file": args.zigzag_hardware or "", "name": hw.name, "array": list(hw.array),
                           "memories": [m.name for m in hw.memories]}
        print(json.dumps(out, default=str))
        return 0 if result.valid else 1
    print(f"loopnest · {hw.name} ({args.zigzag_hardware or 'built in'}) · {workload.name} · mapping objective "
          f"{args.mapping_objective}")
    for key, value in result.metrics.items():
        print(f"  {key:<26} {value:.6g} {unit(key)}")
    print(f"  {'valid':<26} {result.valid}")
    if args.layers:
        _print_layers(result.layers)
    return 0 if result.valid else 1


def _print_layers(layers: list[dict[str, Any]]) -> None:
    """The per-layer breakdown as a table: one row per layer, one column per scalar field; a mapping
    of numbers shows its sum (``Σ dram_words``), a list its length (``# kernels``); other nested
    fields are named below the table (``--json`` has them all)."""
    cells = [{head: text for key, value in row.items() if (cell := _cell(key, value)) for head, text in [cell]}
             for row in layers]
    heads = list(dict.fromkeys(h for row in cells for h in row))
    nested = sorted({k for row in layers for k, v in row.items() if not _cell(k, v)})
    widths = [max(len(h), *(len(row.get(h, "")) for row in cells)) for h in heads]
    print()
    for line in ([dict(zip(heads, heads))], cells):
        for row in line:
            text = [row.get(h, "-") for h in heads]     # the first column (the layer's name) left-aligned
            print("  " + "  ".join([text[0].ljust(widths[0]), *(t.rjust(w) for t, w in zip(text[1:], widths[1:]))]))
    if nested:
        print(f"  (not shown: {', '.join(nested)}; --json has every field)")


def _cell(key: str, value: Any) -> tuple[str, str] | None:
    """A layer field as (column head, text), or None for a nested field that has no short form."""
    if isinstance(value, (str, numbers.Integral)):
        return key, str(value)
    if isinstance(value, numbers.Real):
        return key, f"{value:.4g}"
    if isinstance(value, dict) and all(isinstance(v, numbers.Real) for v in value.values()):
        return f"Σ {key}", f"{sum(value.values()):.4g}"
    if isinstance(value, (list, tuple)):
        return f"# {key}", str(len(value))
    return None
