"""Discoverability (issue 21, point 7): ``archgym list FAMILY`` / ``describe FAMILY`` print a family's
parameters, values, units and presets; ``archgym list`` wraps descriptions; the shipped JSON Schemas
are the generated ones and accept the shipped configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archgym.app.cli import main
from archgym.app.commands.schema import all_schemas, dump
from archgym.config import read_yaml
from archgym.simulator import get_simulator

ROOT = Path(__file__).resolve().parent.parent


def test_list_family_prints_parameters_units_values_and_presets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "pim"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("  ") and line.split()}
    assert rows["channels"][1:3] == ["channels/stack", "ordinal"]
    assert "4, 8, 16, 32" in out and "MHz" in rows["pim_clock_mhz"]
    for preset in get_simulator("pim").presets():
        assert f"  {preset}: " in out
    assert "weights_fit_in_memory" in out and "archgym/PIM-v0" in out


def test_describe_json_matches_the_space(capsys: pytest.CaptureFixture[str]) -> None:
    from archgym import get_workload

    assert main(["describe", "systolic", "--workload", "gemm:M=64,N=64,K=64", "--preset", "eyeriss", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    space = get_simulator("systolic").space(get_workload("gemm:M=64,N=64,K=64"), "eyeriss")
    assert [p["name"] for p in info["parameters"]] == space.names
    rows = {p["name"]: p for p in info["parameters"]}
    assert rows["rows"]["unit"] == "PEs" and rows["rows"]["default"] == space["rows"].default
    assert rows["rows"]["values"] == list(space["rows"].values) and rows["rows"]["allowed"] == ", ".join(str(v) for v in space["rows"].values)
    assert info["preset"] == "eyeriss" and set(info["presets"]) == set(get_simulator("systolic").presets())


def test_describe_rejects_an_unknown_preset_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "fpga", "--preset", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope" in err


def test_list_wraps_descriptions_instead_of_cutting_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "simulators"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100
    words = " ".join(out.split())
    for name in ("systolic", "pim", "rdu"):
        assert " ".join(get_simulator(name).describe().split()) in words   # whole summary, in order


def test_shipped_schemas_are_the_generated_ones() -> None:
    for rel, schema in all_schemas().items():
        shipped = ROOT / "docs" / "schemas" / rel
        assert shipped.read_text(encoding="utf-8") == dump(schema), f"{rel}: run archgym schema --write docs/schemas"


@pytest.mark.parametrize("kind", ["sweeps", "agents"])
def test_shipped_configs_use_only_schema_keys(kind: str) -> None:
    schemas = all_schemas()
    for path in sorted((ROOT / "configs" / kind).glob("*.yaml")):
        schema = schemas["sweep.schema.json" if kind == "sweeps" else f"agents/{path.stem}.schema.json"]
        data = read_yaml(path)
        assert set(data) <= set(schema["properties"]), path.name
        assert all(name in data for name in schema.get("required", [])), path.name
