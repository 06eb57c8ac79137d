"""The README as a newcomer meets it (issue 21): every ``archgym …`` command of the README, in its
order, with shorter budgets and small shipped inputs in place of the user's files, run through the
CLI's ``main`` in a fresh folder, and the README's Python snippets run in a fresh interpreter; each
command's output is checked. The Makefile's ``demo`` recipe (the README's first command) runs first,
since the README's later commands read its run store.

A command the README gains later runs here too; :data:`CHECKS` says what its output must hold."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from archgym.app.cli import main
from archgym.simulator import SIMULATORS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

#: (pattern, replacement) applied to every command: shorter budgets and inputs, same commands
SHORTER: tuple[tuple[str, str], ...] = (
    (r"--budget \d+", "--budget 12"),
    (r"--steps \d+", "--steps 64"),
    (r"--seeds \d+", "--seeds 2"),
    (r"--agents [\w,-]+", "--agents random,ga"),
    (r"--tasks (?:[\w-]+,)*([\w-]+)", r"--tasks \1"),                      # the last task only
    (r"trace:pattern=(\w+),n=\d+", r"trace:pattern=\1,n=2000"),
    (r"--workload resnet18 (.*(--fidelity scalesim|--layers))", r"--workload gemm:M=64,N=64,K=64 \1"),
)


def _files(tmp: Path) -> dict[str, str]:
    """The README's placeholders for the user's own files → small files shipped with the project."""
    from test_dram_cli import INI

    (tmp / "DDR4_8Gb_x8_2400.ini").write_text(INI.format(policy="OPEN_PAGE"))
    (tmp / "trace.txt").write_text("".join(f"{0x40 * i:#x} READ {2 * i}\n" for i in range(64)))
    return {"scale.cfg": str(ROOT / "configs/scalesim/scale.cfg"),
            "topology.csv": str(ROOT / "configs/scalesim/test.csv"),
            "HW.yaml": str(ROOT / "tests/data/zigzag/hardware/tpu_like.yaml"),
            "MAP.yaml": str(ROOT / "tests/data/zigzag/mapping/tpu_like.yaml"),
            "DDR4_8Gb_x8_2400.ini": str(tmp / "DDR4_8Gb_x8_2400.ini"), "trace.txt": str(tmp / "trace.txt")}


def readme_commands() -> list[str]:
    """Every ``archgym …`` line of the README's shell blocks, comments dropped, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()
            if line.startswith("archgym ")]


def demo_commands() -> list[str]:
    """The Makefile's ``demo`` recipe (``make demo``, the README's first command) as archgym commands."""
    recipe = re.search(r"^demo:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), flags=re.MULTILINE)
    assert recipe, "Makefile: no demo target"
    return [line.strip().replace("$(BIN)/archgym", "archgym") for line in recipe.group(1).splitlines()]


def shorten(command: str, files: dict[str, str]) -> list[str]:
    for pattern, repl in SHORTER:
        command = re.sub(pattern, repl, command)
    argv = shlex.split(command)[1:]
    return [files.get(a, str(ROOT / a) if a.startswith("configs/") else a) for a in argv]


# -- what each command's output must hold ----------------------------------------------------------
def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def _list(argv: list[str], out: str) -> None:
    assert all(f"  {family} " in out for family in SIMULATORS) and "envs:" in out and "agents:" in out


def _describe(argv: list[str], out: str) -> None:
    assert "parameter" in out and "presets (--preset NAME):" in out


def _schema(argv: list[str], out: str) -> None:
    assert json.loads(out)["title"].startswith("archgym")


def _simulate(argv: list[str], out: str) -> None:
    if "--json" in argv:
        data = json.loads(out)
        metrics = data.get("metrics", data)
        assert metrics["latency_s"] > 0 or metrics.get("cycles", 0) > 0
    else:
        assert re.search(r"^\s*valid\s+True$", out, flags=re.MULTILINE), out[-500:]


def _sweep(argv: list[str], out: str) -> None:
    from archgym.store import RunStore

    rows = RunStore(_option(argv, "--store")).read()
    assert len(rows) > 0 and rows["valid"].any()


def _report(argv: list[str], out: str) -> None:
    written = list(Path(_option(argv, "--out")).rglob("*"))
    assert any(p.suffix == ".png" for p in written) and any(p.suffix == ".md" for p in written)


def _search(argv: list[str], out: str) -> None:
    assert "best cost" in out and f"{_option(argv, '--budget')} evaluations" in out


def _bench(argv: list[str], out: str) -> None:
    if "--list" in argv:
        assert all(t in out for t in re.findall(r"--tasks ([\w,-]+)", README)[0].split(","))
        return
    assert "regret %" in out and all(f"| {a} |" in out for a in _option(argv, "--agents").split(","))
    if "--json" in argv:
        report = json.loads(Path(_option(argv, "--json")).read_text())
        task = next(iter(report["tasks"].values()))
        assert set(task["agents"]) == set(_option(argv, "--agents").split(","))
        assert "feasible" in report["meta"]["regret"]


def _train(argv: list[str], out: str) -> None:
    model = _option(argv, "--out")
    assert model is None or {"model.zip", "spec.json"} <= {p.name for p in Path(model).iterdir()}, \
        f"train --out {model}: no saved policy"
    assert "64" in out


def _propose(argv: list[str], out: str) -> None:
    """Up to ``--n`` designs (fewer when a briefly trained policy proposes fewer distinct ones)."""
    best = int(re.search(r"distinct designs in \d+ deterministic episodes; best (\d+):", out).group(1))
    assert 1 <= best <= int(_option(argv, "--n") or 1)
    assert len(re.findall(r"^\d+\. cost .*\n   design: rows=\d+", out, flags=re.MULTILINE)) == best, out[-500:]


def _fit_proxy(argv: list[str], out: str) -> None:
    assert any(Path(_option(argv, "--out")).iterdir())


def _scalesim(argv: list[str], out: str) -> None:
    assert any(p.suffix == ".csv" for p in Path(_option(argv, "-o")).rglob("*"))


def _dramsim3(argv: list[str], out: str) -> None:
    stats = json.loads(next(Path(_option(argv, "-o")).rglob("*.json")).read_text())
    assert stats["0"]["num_reads_done"] > 0


def _any_output(argv: list[str], out: str) -> None:
    assert out.strip(), f"archgym {' '.join(argv)}: no output"


CHECKS: dict[str, Callable[[list[str], str], None]] = {
    "list": _list, "describe": _describe, "schema": _schema, "simulate": _simulate, "sweep": _sweep,
    "demo": _any_output, "report": _report, "search": _search, "bench": _bench, "train": _train,
    "propose": _propose, "fit-proxy": _fit_proxy, "scalesim": _scalesim, "dramsim3": _dramsim3,
}


def _without_outputs(argv: list[str]) -> tuple[str, ...]:
    """``argv`` less its output folder (``--out``/``-o`` and their values)."""
    return tuple(a for i, a in enumerate(argv) if a not in ("--out", "-o") and argv[i - 1] not in ("--out", "-o"))


@pytest.mark.slow
def test_readme_commands_run_as_a_newcomer_runs_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    files = _files(tmp_path)
    commands = demo_commands() + readme_commands()
    assert len(commands) >= 15, commands
    done: set[tuple[str, ...]] = set()
    for command in commands:
        argv = shorten(command, files)
        if _without_outputs(argv) in done:      # the demo's report again, into another folder
            continue
        done.add(_without_outputs(argv))
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 0, f"{command} -> archgym {' '.join(argv)}: exit {code}: {err.strip()[-500:]}"
        CHECKS.get(argv[0], _any_output)(argv, out)


def test_readme_python_snippets_run_in_a_fresh_interpreter(tmp_path: Path) -> None:
    snippets = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
    assert any("import archgym" in s and "gym.make" in s for s in snippets)
    for code in snippets:
        done = subprocess.run([sys.executable, "-c", code], check=False, cwd=tmp_path, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-800:]
        assert "latency_s" in done.stdout
