"""``archgym describe FAMILY``: a family's parameters (values or ranges, units, defaults), its
constraints, presets, fidelities and env ids — what a sweep's ``space:`` and ``--set`` accept."""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

from archgym.envids import ENTRIES
from archgym.simulator import SIMULATORS, Simulator, get_simulator
from archgym.space import Param
from archgym.workload import get_workload

#: width that descriptions wrap at (a terminal's 100 columns less the indentation)
WRAP = 96
#: at most this many values are listed one by one; longer ranges print as low … high
MAX_LISTED = 12


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("family", choices=list(SIMULATORS), help="simulator family")
    add_space_options(p)


def add_space_options(p: argparse.ArgumentParser) -> None:
    """The options that pick the space a family is described for (shared with ``archgym list FAMILY``)."""
    p.add_argument("--workload", help="the space depends on the workload (default: the family's env default)")
    p.add_argument("--preset", help="preset whose values are the defaults (default: the family's)")
    p.add_argument("--mapping", default="auto", help="auto | shared | per-layer (default: auto)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace) -> int:
    print_family(args.family, args.workload, args.preset, args.mapping, args.json)
    return 0


def print_family(family: str, workload: str | None, preset: str | None, mapping: str, as_json: bool) -> None:
    """Print :func:`describe_family` as text or JSON."""
    info = describe_family(family, workload, preset, mapping)
    if as_json:
        print(json.dumps(info, indent=2, default=str))
        return
    for line in format_family(info):
        print(line)


def describe_family(family: str, workload: str | None = None, preset: str | None = None,
                    mapping: str = "auto") -> dict[str, Any]:
    """Everything a user needs to write a design for ``family``, as plain data."""
    from envs.design_env import DEFAULT_WORKLOADS, FALLBACK_WORKLOAD

    sim = get_simulator(family)
    workload = workload or DEFAULT_WORKLOADS.get(family, FALLBACK_WORKLOAD)
    space = sim.space(get_workload(workload), preset, sim.check_mapping(mapping))
    return {
        "family": family,
        "summary": sim.describe(),
        "workload": workload,
        "preset": preset or sim.default_preset,
        "mapping": mapping,
        "fidelities": list(sim.fidelities),
        "envs": [e.id for e in ENTRIES if e.simulator == family],
        "parameters": [{**p, "allowed": _values_text(space[p["name"]])} for p in space.describe()],
        "space_size": space.size,
        "constraints": [{"name": c.name, "doc": c.doc} for c in space.constraints],
        "presets": preset_sources(sim),
    }


def format_family(info: dict[str, Any]) -> list[str]:
    """The text form of :func:`describe_family`: aligned parameter rows, wrapped descriptions."""
    lines = [f"{info['family']}:", *_wrap(info["summary"], "  ")]
    lines.extend(_wrap(f"space for workload {info['workload']}, preset {info['preset']} (its values are the "
                       f"defaults), mapping {info['mapping']}: {len(info['parameters'])} parameters, "
                       f"{info['space_size']:.3g} designs", ""))
    rows = [("parameter", "unit", "kind", "allowed values", "default"),
            *((p["name"], p["unit"] or "-", p["kind"], p["allowed"], str(p["default"])) for p in info["parameters"])]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row, param in zip(rows, [None, *info["parameters"]]):
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths)) + "  " + row[4])
        if param and param["doc"]:
            lines.extend(_wrap(param["doc"], "      "))
    if info["constraints"]:
        lines.append("constraints (a design breaking one is invalid):")
        for c in info["constraints"]:
            lines.extend(_wrap(f"{c['name']}: {c['doc']}" if c["doc"] else c["name"], "  ", "    "))
    lines.append("presets (--preset NAME):")
    for name, source in info["presets"].items():
        lines.extend(_wrap(f"{name}: {source}" if source else name, "  ", "    "))
    lines.append(f"fidelities: {', '.join(info['fidelities'])}")
    lines.append(f"envs: {', '.join(info['envs']) or '-'}")
    return lines


def _values_text(param: Param) -> str:
    """A parameter's allowed values: listed when few, else the range with its step or kind."""
    vals = list(param.values)
    if len(vals) <= MAX_LISTED:
        return ", ".join(str(v) for v in vals)
    if param.kind == "int":
        step = vals[1] - vals[0]
        return f"{vals[0]} … {vals[-1]}" + (f" step {step}" if step != 1 else "") + f" ({len(vals)} values)"
    if param.kind == "pow2":
        return f"{vals[0]} … {vals[-1]}, powers of 2 ({len(vals)} values)"
    return f"{', '.join(str(v) for v in vals[:3])}, … {vals[-1]} ({len(vals)} values)"


def preset_sources(sim: Simulator) -> dict[str, str]:
    """Preset name → its source (a paper, datasheet …; empty when the preset names none)."""
    return {name: str(getattr(cfg, "source", "")) for name, cfg in sim.presets().items()}


def _wrap(text: str, indent: str, subsequent: str | None = None) -> list[str]:
    return textwrap.wrap(text, WRAP, initial_indent=indent, subsequent_indent=subsequent or indent,
                         break_on_hyphens=False) or [indent.rstrip()]
