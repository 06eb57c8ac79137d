"""CLI workflows of issue 21: a trained policy kept and reused (train --out, propose), progress on
long commands, and labels and errors that say what the command does."""

import io
import json
import subprocess
import sys
import time
import warnings
from types import SimpleNamespace

import pytest

from archgym import get_simulator, get_workload
from archgym.app import progress as progress_mod
from archgym.app import trained
from archgym.app.cli import main
from archgym.app.progress import Progress, best_so_far
from archgym.store import RunStore

SMALL = "gemm:M=64,N=64,K=64"


def cli(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# -- progress ---------------------------------------------------------------------------------------
def test_progress_off_a_terminal_prints_plain_lines_at_the_interval():
    stream = io.StringIO()
    bar = Progress(10, "search ga", bar=False, every_s=0.0, stream=stream)
    bar.update(3, "best cost 1.5")
    bar.set(10)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and "\r" not in stream.getvalue()
    assert lines[0].startswith("search ga: 3/10 evals,") and "ETA" in lines[0] and lines[0].endswith("best cost 1.5")
    assert lines[1].startswith("search ga: 10/10 evals,") and "ETA 0 s" in lines[1]
    quiet = io.StringIO()
    with Progress(10, "x", bar=False, every_s=3600.0, stream=quiet) as bar:
        bar.update(5)
    assert quiet.getvalue() == ""


def test_progress_heartbeat_prints_while_one_unit_of_work_runs_long():
    stream = io.StringIO()
    with Progress(2, "bench", bar=False, every_s=0.05, stream=stream) as bar:
        bar.update(1)
        for _ in range(6000):          # no update while "a long run" goes on; the heartbeat speaks
            if stream.getvalue().count("\n") >= 2:
                break
            time.sleep(0.01)
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 2 and all(line.startswith("bench: 1/2 evals,") for line in lines)


def test_progress_never_counts_past_its_total_and_draws_a_bar_when_asked():
    stream = io.StringIO()
    with Progress(4, "train ppo", unit="step", bar=True, stream=stream) as bar:
        bar.set(9)
        assert bar.done == 4
    assert "4/4" in stream.getvalue() and "train ppo" in stream.getvalue()


def test_best_so_far_callback_tracks_the_running_minimum():
    bar = Progress(6, "x", bar=False, every_s=0.0, stream=io.StringIO())
    callback = best_so_far(bar)
    history = SimpleNamespace(costs=[3.0, 1.0], evaluations=2)
    assert callback(history) is False and bar.note == "best cost 1"
    history.costs += [2.0, 0.5, 4.0]
    history.evaluations = 5
    callback(history)
    assert bar.done == 5 and bar.note == "best cost 0.5"


def test_search_prints_progress_lines_when_stderr_is_not_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(progress_mod, "EVERY_S", 0.0)
    code, _out, err = cli(capsys, "search", "--agent", "random", "--budget", "12", "--batch-size", "4",
                          "--workload", SMALL)
    assert code == 0
    lines = [line for line in err.splitlines() if line.startswith("search random:")]
    assert [line.split(",")[0] for line in lines] == ["search random: 4/12 evals", "search random: 8/12 evals",
                                                     "search random: 12/12 evals"]


def test_bo_silences_only_the_gp_jitter_warning():
    from linear_operator.utils.warnings import NumericalWarning

    from agents.bayesian import routine_jitter_quiet

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with routine_jitter_quiet():
            warnings.warn("A not p.d., added jitter of 1.0e-08 to the diagonal", NumericalWarning, stacklevel=1)
            warnings.warn("CG terminated in 1000 iterations", NumericalWarning, stacklevel=1)
            warnings.warn("A not p.d., added jitter", UserWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == ["CG terminated in 1000 iterations", "A not p.d., added jitter"]


# -- train --out, propose ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    """A PPO policy trained for 64 steps on a one-GEMM systolic env and saved with --out."""
    root = tmp_path_factory.mktemp("train")
    out = root / "policy"
    code = main(["train", "--env", "archgym/Systolic-v1", "--steps", "64", "--logdir", str(root / "tb"),
                 "--env-kwargs", f"workload={SMALL}", "episode_length=4", "--out", str(out), "--json"])
    assert code == 0
    return out


def test_train_out_saves_the_model_and_the_env_spec(policy):
    assert (policy / trained.MODEL_FILE).is_file()
    spec = json.loads((policy / trained.SPEC_FILE).read_text())
    assert spec["env_id"] == "archgym/Systolic-v1" and spec["algo"] == "ppo" and spec["steps"] == 64
    assert spec["env_kwargs"] == {"workload": SMALL, "episode_length": 4}
    assert spec["workload"] == get_workload(SMALL).name and spec["fidelity"] == "analytical"
    assert spec["model_version"] == get_simulator("systolic").model_version("analytical")
    assert trained.load_spec(policy).best == spec["best"]


def test_propose_rolls_the_policy_deterministically_and_simulates_what_it_prints(policy, capsys):
    code, out, _ = cli(capsys, "propose", "--model", str(policy), "--n", "3", "--episodes", "2", "--json")
    again = cli(capsys, "propose", "--model", str(policy), "--n", "3", "--episodes", "2", "--json")[1]
    assert code in (0, 1) and out == again
    report = json.loads(out)
    props = report["proposals"]
    assert 1 <= len(props) <= min(3, report["distinct_designs"]) and report["distinct_designs"] <= 2 * 4
    assert len({json.dumps(p["design"], sort_keys=True) for p in props}) == len(props)
    assert [p["cost"] for p in props] == sorted(p["cost"] for p in props)
    sim, wl = get_simulator("systolic"), get_workload(SMALL)
    for p in props:
        result = sim.evaluate(p["design"], wl, "analytical")
        assert result.valid == p["valid"] and result.metrics == pytest.approx(p["metrics"], rel=1e-12)
    code, text, _ = cli(capsys, "propose", "--model", str(policy))
    assert code in (0, 1) and "1. cost" in text and "design: rows=" in text


def test_propose_rejects_a_folder_without_a_policy_and_a_foreign_spec(tmp_path, policy, capsys):
    code, _, err = cli(capsys, "propose", "--model", str(tmp_path / "nothing"))
    assert code == 2 and "holds no trained policy" in err and len(err.strip().splitlines()) == 1
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / trained.MODEL_FILE).write_bytes((policy / trained.MODEL_FILE).read_bytes())
    spec = json.loads((policy / trained.SPEC_FILE).read_text())
    (bad / trained.SPEC_FILE).write_text(json.dumps({**spec, "format_version": 99}))
    code, _, err = cli(capsys, "propose", "--model", str(bad))
    assert code == 2 and "format_version: 99 is not allowed" in err
    # an env that no longer observes what the policy was trained on: one line, not a shape error
    other = {**spec, "env_kwargs": {**spec["env_kwargs"], "obs_metrics": ["latency_s"]}}
    (bad / trained.SPEC_FILE).write_text(json.dumps(other))
    code, _, err = cli(capsys, "propose", "--model", str(bad))
    assert code == 2 and "observation_space" in err and len(err.strip().splitlines()) == 1


# -- labels and errors that match behaviour ----------------------------------------------------------
def test_simulate_layers_without_json_prints_one_table_row_per_layer(capsys):
    args = ["simulate", "systolic", "--preset", "tpu-v1", "--workload", "resnet18", "--layers"]
    _, text, _ = cli(capsys, *args)
    _, raw, _ = cli(capsys, *args, "--json")
    layers = json.loads(raw)["layers"]
    lines = text.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:1] == ["name"])
    assert {"cycles", "energy_j", "Σ", "dram_words"} <= set(lines[head].split())
    rows = lines[head + 1: head + 1 + len(layers)]
    assert [r.split()[0] for r in rows] == [layer["name"] for layer in layers]
    assert all(len(r) == len(lines[head]) for r in rows)


def test_demo_rerun_adds_no_duplicate_run(tmp_path, capsys):
    store = tmp_path / "demo.db"
    for _ in range(2):
        assert cli(capsys, "demo", "--budget", "20", "--store", str(store))[0] == 0
    with RunStore(store) as s:
        assert len(s.runs()) == 1 and s.count() == 20


def test_resume_on_a_missing_store_is_one_line_and_creates_nothing(tmp_path, capsys):
    store = tmp_path / "nowhere" / "runs.db"
    code, _, err = cli(capsys, "sweep", "configs/sweeps/demo.yaml", "--store", str(store), "--resume")
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1
    assert not store.exists() and not store.parent.exists()


def test_unknown_sweep_strategy_lists_each_allowed_name_once(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text(f"name: x\nsimulator: systolic\nworkload: '{SMALL}'\nstrategy: foo\nbudget: 4\n")
    code, _, err = cli(capsys, "sweep", str(config), "--store", str(tmp_path / "x.db"))
    allowed = err.split("allowed: ")[1].strip().split(", ")
    assert code == 2 and "random" in allowed and len(allowed) == len(set(allowed))


def test_output_piped_into_head_ends_without_a_traceback(tmp_path):
    # 2,000 layers: ~280 kB of table, far past a pipe's buffer, so the writer meets the closed pipe
    topology = tmp_path / "many.csv"
    topology.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                        "Strides,\n" + "".join(f"L{i}, 8, 8, 1, 1, 16, 16, 1,\n" for i in range(2000)))
    cmd = f"{sys.executable} -m archgym.app.cli simulate systolic --workload {topology} --layers | head -n 1"
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("systolic") and proc.stderr == ""


def test_search_on_an_env_with_its_own_class_uses_that_env_s_problem(capsys):
    code, out, _ = cli(capsys, "search", "--env", "archgym/HWNAS-v0", "--agent", "random", "--budget", "4", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["evaluations"] == 4
    assert "accuracy" in summary["objective"] and "slot0.template" in summary["best_design"]
    code, _, err = cli(capsys, "search", "--env", "archgym/HWNAS-v0", "--workload", "resnet18")
    assert code == 2 and "--workload" in err and "HWNAS" in err
