"""Stable-baselines3 on the environments: PPO improves, MaskablePPO/PPO train unwrapped, the CLI trains."""

from __future__ import annotations

import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

import envs
from archgym.app.cli import main
from archgym.store import RunStore
from envs.sb3_logging import quiet

sys.path.insert(0, str(Path(__file__).parent))
from toy_simulator import TOY_ENV_ID, env_family, register_toy_env

torch = pytest.importorskip("torch")
register_toy_env()
GEMM = "gemm:M=64,N=64,K=64"
SMALL = {"systolic": GEMM, "toy": GEMM, "pim": "gemv:M=1024,K=1024", "rdu": GEMM, "fpga": None, "loopnest": GEMM}


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)




@pytest.mark.parametrize("env_id", ["archgym/Systolic-v1", TOY_ENV_ID])
def test_ppo_improves_the_reward_over_its_first_episodes(env_id):
    from stable_baselines3 import PPO
    from stable_baselines3.common.monitor import Monitor

    env = Monitor(gym.make(env_id, workload=GEMM, fidelity="analytical", episode_length=16))
    quiet(PPO("MlpPolicy", env, n_steps=256, batch_size=64, learning_rate=1e-3, seed=0)).learn(2048)
    rewards = np.array(env.get_episode_rewards())
    assert len(rewards) == 128
    first, last = rewards[:8].mean(), rewards[-8:].mean()
    assert last > first, f"mean episode reward went from {first:.1f} to {last:.1f}"


@pytest.mark.parametrize("mode", ["one-shot", "sequential"])
@pytest.mark.parametrize("algo", ["ppo", "maskable-ppo"])
@pytest.mark.parametrize("env_id", [*envs.ENV_IDS, TOY_ENV_ID])
def test_sb3_trains_without_wrappers(env_id, algo, mode):
    from sb3_contrib import MaskablePPO
    from stable_baselines3 import PPO

    family = env_family(env_id)
    kwargs = {"workload": SMALL[family]} if SMALL.get(family) else {}
    env = gym.make(env_id, mode=mode, **kwargs)
    cls = MaskablePPO if algo == "maskable-ppo" else PPO
    model = quiet(cls("MlpPolicy", env, n_steps=32, batch_size=32, n_epochs=1, seed=0)).learn(32)
    per_design = len(env.unwrapped.space) if mode == "sequential" else 1
    assert env.unwrapped.evaluator.evaluations == 32 // per_design
    assert model.num_timesteps == 32


def test_maskable_ppo_never_breaks_a_decidable_constraint():
    from sb3_contrib import MaskablePPO

    env = gym.make(TOY_ENV_ID, workload="resnet18", mapping="per-layer", mode="sequential", store=":memory:")
    quiet(MaskablePPO("MlpPolicy", env, n_steps=256, batch_size=64, n_epochs=1, seed=0)).learn(1024)
    inner = env.unwrapped
    records = inner.evaluator.store.records()
    assert len(records) == 1024 // len(inner.space) > 30
    names = {c.name for c in inner.space.constraints}  # every toy constraint is decidable in sequence
    assert not any(set(r.violations) & names for r in records)


def test_cli_train_writes_tensorboard_and_the_store(tmp_path, capsys):
    logdir, store = tmp_path / "tb", tmp_path / "runs.db"
    code = main(["train", "--env", TOY_ENV_ID, "--algo", "ppo", "--steps", "128", "--seed", "1",
                 "--logdir", str(logdir), "--store", str(store), "--env-kwargs", f"workload={GEMM}",
                 "episode_length=8"])
    out = capsys.readouterr().out
    assert code == 0 and "best design" in out and str(logdir) in out
    assert list(logdir.rglob("events.out.tfevents.*"))
    with RunStore(store) as s:
        (run,) = s.runs()
        assert s.count(run) == 128 and {r.agent for r in s.records(run)} == {"sb3-ppo"}


def test_cli_train_errors_are_one_line(tmp_path, capsys):
    assert main(["train", "--env", "archgym/Nope-v0", "--steps", "8", "--logdir", str(tmp_path)]) == 2
    assert "allowed" in capsys.readouterr().err
    assert main(["train", "--env", TOY_ENV_ID, "--algo", "dqn", "--steps", "8", "--logdir", str(tmp_path),
                 "--env-kwargs", "mode=one-shot"]) == 2
    assert "mode=sequential" in capsys.readouterr().err


def test_cli_dqn_and_a2c_run(tmp_path):
    for algo in ("dqn", "a2c"):
        assert main(["train", "--env", TOY_ENV_ID, "--algo", algo, "--steps", "64", "--json",
                     "--logdir", str(tmp_path / algo), "--env-kwargs", f"workload={GEMM}"]) == 0
