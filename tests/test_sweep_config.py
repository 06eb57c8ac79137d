"""Sweep configs: validation errors name the file, the field and what is allowed; run ids are
deterministic; space overrides are checked against the simulator's space."""

import pytest
from sweep_helpers import write_config

from archgym.app.sweep import prepare, run_sweep
from archgym.app.sweep_config import load_sweep_config
from archgym.errors import ConfigError
from archgym.store import RunStore


def test_example_configs_validate():
    from pathlib import Path

    paths = sorted(Path("configs/sweeps").glob("*.yaml"))
    assert {"demo.yaml", "proxy-data-systolic.yaml"} <= {p.name for p in paths}
    for path in paths:
        cfg = load_sweep_config(path)
        assert prepare(cfg, str(path))  # spaces build and overrides apply


@pytest.mark.parametrize("fields, pattern", [
    ({"fidelity": "rtl"}, r"t\.yaml: fidelity: .*allowed: 'analytical', 'cycle' or 'scalesim'"),
    ({"simulator": "gpu"}, r"t\.yaml: simulator: .*'gpu' is not known; allowed: systolic, pim, rdu, fpga"),
    ({"strategy": "annealing-xyz"}, r"t\.yaml: strategy\.name: .*'annealing-xyz'"),
    ({"budget": None}, r"t\.yaml: .*strategy 'random' needs a budget"),
    ({"budget": 0}, r"t\.yaml: budget: .*greater than or equal to 1"),
    ({"mapping": "tiles"}, r"t\.yaml: mapping: .*allowed: 'auto', 'shared' or 'per-layer'"),
    ({"objectives": ["log:latency_s"]}, r"t\.yaml: objectives: .*weighted_log needs"),
    ({"colour": "red"}, r"t\.yaml: colour: unknown field"),
    ({"space": {"fix": {"rows": 16}}}, None),
])
def test_validation_errors_are_one_line(tmp_path, fields, pattern):
    path = write_config(tmp_path, **fields)
    if pattern is None:  # a value the space does not allow: caught when the space is built
        cfg = load_sweep_config(path)
        with pytest.raises(ConfigError, match=r"t\.yaml: rows: 16 is not allowed; allowed: 32, 64"):
            prepare(cfg, str(path))
        return
    with pytest.raises(ConfigError, match=pattern) as info:
        load_sweep_config(path)
    assert "\n" not in str(info.value)


def test_unknown_space_parameter_is_named(tmp_path):
    cfg = load_sweep_config(write_config(tmp_path, space={"values": {"bogus": [1]}}))
    with pytest.raises(ConfigError, match="parameter: 'bogus' is not allowed; allowed: rows, cols"):
        prepare(cfg, "t.yaml")


def test_grid_over_budget_is_refused(tmp_path):
    cfg = load_sweep_config(write_config(tmp_path, strategy="grid", budget=10))
    with pytest.raises(ConfigError, match="grid: the space has 240 designs but budget is 10"):
        prepare(cfg)


def test_run_id_is_deterministic_and_config_sensitive(tmp_path):
    a = load_sweep_config(write_config(tmp_path, name="a"))
    again = load_sweep_config(write_config(tmp_path, name="a"))
    other_seed = load_sweep_config(write_config(tmp_path, name="a", seed=4))
    wl = a.workloads[0]
    assert a.run_id(wl) == again.run_id(wl) != other_seed.run_id(wl)
    assert a.run_id(wl).startswith("a-gemm-M-256-N-512-K-256-")


def test_shorthands_and_defaults(tmp_path):
    path = write_config(tmp_path, name="x", workload=None, workloads=["resnet18", "gemm:M=8,N=8,K=8"],
                        strategy={"name": "latin_hypercube"})
    text = path.read_text().replace("workload: null\n", "")
    path.write_text(text)
    cfg = load_sweep_config(path)
    assert cfg.strategy.name == "lhs" and len(cfg.workloads) == 2
    assert len({cfg.run_id(w) for w in cfg.workloads}) == 2
    nameless = tmp_path / "my-sweep.yaml"
    nameless.write_text(text.replace("name: x\n", ""))
    assert load_sweep_config(nameless).name == "my-sweep"


def test_resume_without_rows_is_an_error(tmp_path):
    cfg = load_sweep_config(write_config(tmp_path))
    with RunStore(tmp_path / "s.db") as store, pytest.raises(ConfigError, match="--resume: the store"):
        run_sweep(cfg, store, workers=1, resume=True, progress=False)


def test_cli_prints_one_line_errors(tmp_path, capsys):
    from archgym.app.cli import main

    path = write_config(tmp_path, fidelity="rtl")
    assert main(["sweep", str(path), "--store", str(tmp_path / "s.db")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("archgym sweep: error: ") and "fidelity" in err and "\n" not in err
