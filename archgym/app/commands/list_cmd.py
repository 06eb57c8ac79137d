"""``archgym list [simulators|presets|workloads|envs|agents]``."""

from __future__ import annotations

import argparse

from archgym.simulator import SIMULATORS, get_simulator

WHAT = ("simulators", "presets", "workloads", "envs", "agents")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("what", nargs="?", choices=WHAT, help="one section only (default: all)")


def run(args: argparse.Namespace) -> int:
    sections = [args.what] if args.what else list(WHAT)
    for section in sections:
        print(f"{section}:")
        for line in _SECTIONS[section]():
            print(f"  {line}")
    return 0


def _simulators() -> list[str]:
    return [f"{name:<10} {get_simulator(name).describe()}" for name in SIMULATORS]


def _presets() -> list[str]:
    lines = []
    for name in SIMULATORS:
        for preset, cfg in get_simulator(name).presets().items():
            source = getattr(cfg, "source", "")
            lines.append(f"{name}/{preset:<20} {source}")
    return lines


def _workloads() -> list[str]:
    from archgym import zoo

    lines = []
    for name in zoo.ZOO:
        w = zoo.build(name)
        lines.append(f"{name:<16} {len(w.layers):>4} MAC layers, {w.total_macs / 1e9:10.3f} GMAC")
    lines.append("gemm:M=..,N=..,K=..  gemv:M=..,K=..[,B=..]  conv2d:…  attention:…  FILE.csv  FILE.onnx")
    return lines


def _envs() -> list[str]:
    from envs import ENV_IDS

    return list(ENV_IDS)


def _agents() -> list[str]:
    from agents.registry import AGENTS

    return list(AGENTS)


_SECTIONS = {"simulators": _simulators, "presets": _presets, "workloads": _workloads,
             "envs": _envs, "agents": _agents}
