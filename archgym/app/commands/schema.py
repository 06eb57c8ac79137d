"""``archgym schema sweep`` / ``archgym schema agent NAME``: JSON Schema (draft 2020-12) of the sweep
YAML and of an agent's YAML, generated from their pydantic models; ``--write DIR`` writes every
schema (the shipped ones in ``docs/schemas/`` are regenerated with
``archgym schema --write docs/schemas``, and a test checks they are current)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from archgym.app.sweep_config import PLANNED, SweepConfig, agent_names
from archgym.simulator import SIMULATORS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: an agent YAML's ``sweep:`` section: hyperparameter → list of choices or {low, high, log}
SWEEP_RANGES: dict[str, Any] = {
    "type": "object",
    "description": "ranges the hyperparameter sweep draws from (agents/hpsweep.py): "
                   "a list of choices or {low, high, log}",
    "additionalProperties": {"anyOf": [
        {"type": "array", "minItems": 1},
        {"type": "object", "properties": {"low": {"type": "number"}, "high": {"type": "number"},
                                          "log": {"type": "boolean"}},
         "required": ["low", "high"], "additionalProperties": False},
    ]},
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", nargs="?", choices=["sweep", "agent"], help="which YAML's schema to print")
    p.add_argument("agent", nargs="?", help="the agent (for `schema agent NAME`)")
    p.add_argument("--write", metavar="DIR", help="write every schema under DIR instead of printing one")


def run(args: argparse.Namespace) -> int:
    from archgym.errors import ConfigError

    if args.write:
        for path in write_all(Path(args.write)):
            print(path)
        return 0
    if args.kind == "sweep":
        print(dump(sweep_schema()), end="")
    elif args.kind == "agent" and args.agent:
        print(dump(agent_schema(args.agent)), end="")
    else:
        raise ConfigError("kind: give `sweep`, `agent NAME` (NAME one of "
                          f"{', '.join(agent_names())}) or --write DIR")
    return 0


def sweep_schema() -> dict[str, Any]:
    """The sweep YAML's schema: :class:`SweepConfig`'s, plus the shorthands its loader accepts
    (``workload: W``, ``workloads: W``, ``strategy: NAME``) and the registered names."""
    schema = SweepConfig.model_json_schema()
    props = schema["properties"]
    props["simulator"] |= {"anyOf": [{"enum": list(SIMULATORS)}, {"pattern": "^proxy:.+"}],
                           "description": "a registered family or proxy:DIR (a fitted proxy)"}
    props["workload"] = {"type": "string", "description": "shorthand for workloads: [W]"}
    props["workloads"] = {"anyOf": [props["workloads"], {"type": "string"}],
                          "description": "zoo names, shorthands (gemm:M=..,N=..,K=..) or files; one run each"}
    props["strategy"] = {"anyOf": [{"$ref": "#/$defs/StrategyConfig"}, {"$ref": "#/$defs/StrategyName"}]}
    schema["$defs"]["StrategyName"] = {"enum": [*PLANNED, *agent_names()], "type": "string"}
    schema["$defs"]["StrategyConfig"]["properties"]["name"] |= {"$ref": "#/$defs/StrategyName"}
    schema["required"] = ["simulator"]
    schema["oneOf"] = [{"required": ["workloads"]}, {"required": ["workload"]}]
    return _headed(schema, "archgym sweep config (configs/sweeps/*.yaml)")


def agent_schema(name: str) -> dict[str, Any]:
    """``configs/agents/NAME.yaml``'s schema: the agent's ``Config`` model plus its ``sweep:`` section."""
    from agents.registry import agent_class

    schema = agent_class(name).Config.model_json_schema()
    schema.setdefault("properties", {})["sweep"] = SWEEP_RANGES
    return _headed(schema, f"archgym agent {name} (configs/agents/{name}.yaml)")


def all_schemas() -> dict[str, dict[str, Any]]:
    """Relative path → schema, for every schema ``--write`` ships."""
    return {"sweep.schema.json": sweep_schema(),
            **{f"agents/{name}.schema.json": agent_schema(name) for name in agent_names()}}


def write_all(root: Path) -> list[Path]:
    written = []
    for rel, schema in all_schemas().items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(schema), encoding="utf-8")
        written.append(path)
    return written


def dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _headed(schema: dict[str, Any], title: str) -> dict[str, Any]:
    return {"$schema": DIALECT, **schema, "title": title}
