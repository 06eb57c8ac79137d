"""The command line: help, listing, and one-line errors (no tracebacks)."""

import json
import subprocess
import sys

import pytest

from archgym.app.cli import COMMANDS, main


def run_cli(*args):
    proc = subprocess.run([sys.executable, "-m", "archgym.app.cli", *args], capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name in out


def test_list_shows_the_zoo(capsys):
    assert main(["list", "workloads"]) == 0
    out = capsys.readouterr().out
    for name in ("resnet18", "resnet50", "mobilenetv2", "vgg16", "bert-base", "gpt2-prefill", "gpt2-decode",
                 "llama7b-decode"):
        assert name in out


@pytest.mark.parametrize("args, message", [
    (["simulate", "warp-drive", "-w", "resnet18"], "simulator: 'warp-drive' is not known; allowed: systolic"),
    (["simulate", "systolic", "-w", "alexnet-9000"], "workload: 'alexnet-9000' is not known"),
])
def test_errors_are_one_line_without_traceback(args, message):
    code, _out, err = run_cli(*args)
    assert code == 2
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_simulate_json_keys_carry_units():
    code, out, err = run_cli("simulate", "systolic", "-w", "gemm:M=64,N=64,K=64", "--json")
    assert code == 0, err
    result = json.loads(out)
    for key in ("latency_s", "cycles", "energy_j", "area_mm2", "peak_ops_per_s", "valid", "violations"):
        assert key in result
    assert result["valid"] is True and result["latency_s"] > 0


def test_demo_searches_logs_and_reports(tmp_path):
    store = tmp_path / "demo.db"
    code, out, err = run_cli("demo", "--budget", "60", "--store", str(store))
    assert code == 0, err
    assert "best design: rows=" in out and str(store) in out and "EDP improvement" in out
    assert store.is_file()
    from archgym.store import RunStore

    with RunStore(store) as runs:
        df = runs.read()
    assert len(df) == 60 and df["step"].is_unique
    code, _, err = run_cli("demo", "--budget", "0", "--store", str(store))
    assert code == 2 and "--budget" in err and "Traceback" not in err
