"""``archgym list [simulators|presets|workloads|envs|agents|FAMILY]``: long descriptions wrap, never cut;
``archgym list FAMILY`` is ``archgym describe FAMILY``."""

from __future__ import annotations

import argparse

from archgym.app.commands.describe import WRAP, add_space_options, preset_sources, print_family
from archgym.simulator import SIMULATORS, get_simulator

WHAT = ("simulators", "presets", "workloads", "envs", "agents")
#: column where descriptions start (names are padded to it)
NAME_WIDTH = 28


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", nargs="?", choices=[*WHAT, *SIMULATORS],
                   help="one section only (default: all), or a family: its parameters, values, units and presets")
    add_space_options(p)


def run(args: argparse.Namespace) -> int:
    if args.what in SIMULATORS:
        print_family(args.what, args.workload, args.preset, args.mapping, args.json)
        return 0
    sections = [args.what] if args.what else list(WHAT)
    for section in sections:
        print(f"{section}:")
        for name, text in _SECTIONS[section]():
            print("\n".join(_entry(name, text)))
    return 0


def _entry(name: str, text: str) -> list[str]:
    """``name`` then ``text`` wrapped at word boundaries, continuation lines under the text's column."""
    import textwrap

    head = f"  {name:<{NAME_WIDTH - 3}} " if text else f"  {name}"
    if len(head) > NAME_WIDTH:
        return [f"  {name}", *textwrap.wrap(text, WRAP, initial_indent=" " * NAME_WIDTH,
                                            subsequent_indent=" " * NAME_WIDTH)]
    return textwrap.wrap(text, WRAP, initial_indent=head, subsequent_indent=" " * len(head),
                         break_on_hyphens=False) or [head.rstrip()]


def _simulators() -> list[tuple[str, str]]:
    return [(name, get_simulator(name).describe()) for name in SIMULATORS]


def _presets() -> list[tuple[str, str]]:
    return [(f"{name}/{preset}", source)
            for name in SIMULATORS for preset, source in preset_sources(get_simulator(name)).items()]


def _workloads() -> list[tuple[str, str]]:
    from archgym import zoo

    rows = []
    for name in zoo.ZOO:
        w = zoo.build(name)
        rows.append((name, f"{len(w.layers):>4} MAC layers, {w.total_macs / 1e9:10.3f} GMAC"))
    rows.append(("gemm:M=..,N=..,K=..  gemv:M=..,K=..[,B=..]  conv2d:…  attention:…  FILE.csv  FILE.onnx", ""))
    return rows


def _envs() -> list[tuple[str, str]]:
    from archgym.envids import ENTRIES

    return [(e.id, e.doc) for e in ENTRIES]


def _agents() -> list[tuple[str, str]]:
    from agents.registry import AGENTS

    return [(name, _class_summary(entry)) for name, entry in AGENTS.items()]


def _class_summary(entry: str) -> str:
    """The first docstring paragraph of ``"module:Class"``, read from its source without importing
    it (agent modules import torch, BoTorch, SB3: seconds per ``archgym list``)."""
    import ast
    import importlib.util

    module, _, cls = entry.partition(":")
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return ""
    with open(spec.origin, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    doc = next((ast.get_docstring(node) for node in tree.body if isinstance(node, ast.ClassDef) and node.name == cls),
               None)
    return " ".join((doc or "").split("\n\n")[0].split())


_SECTIONS = {"simulators": _simulators, "presets": _presets, "workloads": _workloads,
             "envs": _envs, "agents": _agents}
