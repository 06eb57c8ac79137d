"""The native vector env and its SB3 adapter: the same dynamics as ``DesignEnv`` step by step,
one batched evaluation per step, malformed actions as penalties, store rows, SB3 semantics."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from archgym.errors import ConfigError
from archgym.store import RunStore
from envs.design_env import DesignEnv
from envs.sb3_vec import SB3VecEnv
from envs.vector import DesignVectorEnv

sys.path.insert(0, str(Path(__file__).parent))
from toy_simulator import ToySimulator

GEMM = "gemm:M=64,N=64,K=64"


class _Counting(ToySimulator):
    """Counts designs per ``evaluate_batch`` call."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    def evaluate_batch(self, designs, workload, fidelity="analytical"):
        self.batches.append(len(next(iter(designs.values()))) if isinstance(designs, dict) else len(designs))
        return super().evaluate_batch(designs, workload, fidelity)


def _actions(env: DesignEnv, n: int, rng: np.random.Generator) -> np.ndarray:
    """Random actions, some of them malformed (out of range, NaN, fractional)."""
    if env.mode == "one-shot":
        a = rng.integers(0, env.nvec, size=(n, len(env.nvec))).astype(float)
        a[rng.random(n) < 0.1, 0] = -1
        a[rng.random(n) < 0.05, 1] = np.nan
        a[rng.random(n) < 0.05, 2] = 0.5
        return a
    a = rng.integers(0, env.max_n, size=n).astype(float)
    a[rng.random(n) < 0.05] = env.max_n
    return a


@pytest.mark.parametrize("kwargs", [
    {"mode": "one-shot", "episode_length": 3},
    {"mode": "sequential"},
    {"mode": "one-shot", "episode_length": 2, "obs_type": "dict", "objective": "min:latency_s"},
])
def test_vector_env_steps_like_single_envs(kwargs):
    n, rng = 5, np.random.default_rng(1)
    vec = DesignVectorEnv(n, simulator=ToySimulator(), workload=GEMM, **kwargs)
    singles = [DesignEnv(ToySimulator(), GEMM, **kwargs) for _ in range(n)]
    obs, _ = vec.reset(seed=0)
    for i, e in enumerate(singles):
        _same_obs(obs, e.reset()[0], i)
    done = np.zeros(n, dtype=bool)
    for _ in range(12):
        actions = _actions(singles[0], n, rng)
        obs, reward, term, trunc, info = vec.step(actions)
        for i, e in enumerate(singles):
            if done[i]:   # next-step autoreset: this step only resets
                (o, _), r, te, tr = e.reset(), 0.0, False, False
            else:         # what DesignEnv rejects as out of range: every malformed entry
                a = np.asarray(actions[i])
                o, r, te, tr, inf = e.step(np.where(np.isfinite(a) & (a % 1 == 0), a, -1).astype(np.int64))
                assert info["evaluated"][i] == inf["evaluated"] and bool(info["valid"][i]) == inf["valid"]
            _same_obs(obs, o, i)
            assert reward[i] == pytest.approx(r) and term[i] == te and trunc[i] == tr
        done = term | trunc


def _same_obs(batch, single, i):
    if isinstance(single, dict):
        for k in single:
            np.testing.assert_allclose(batch[k][i], single[k], atol=1e-6)
    else:
        np.testing.assert_allclose(batch[i], single, atol=1e-6)


def test_one_batched_evaluation_per_step_and_store_rows(tmp_path):
    sim = _Counting()
    vec = DesignVectorEnv(8, simulator=sim, workload=GEMM, store=str(tmp_path / "v.db"), run_id="vec")
    vec.reset(seed=0)
    vec.action_space.seed(0)
    for _ in range(3):
        _, _, _, _, info = vec.step(vec.action_space.sample())
    evaluated = [k for k in sim.batches[1:]]  # the first call is the preset reference
    assert len(evaluated) <= 3 and sum(evaluated) <= 24
    with RunStore(tmp_path / "v.db") as store:
        rows = store.records("vec")
    assert len(rows) == vec.evaluator.evaluations == 24
    assert [r.step for r in rows] == list(range(24))
    last = rows[-8:]
    for i, r in enumerate(last):
        assert r.design == vec.design(i) and r.valid == bool(info["valid"][i])


def test_malformed_actions_never_raise():
    vec = DesignVectorEnv(3, simulator=ToySimulator(), workload=GEMM)
    vec.reset(seed=0)
    bad = np.array([[np.inf] * 5 + [0] * (len(vec.nvec) - 5), [1e30] * len(vec.nvec), [0.9] * len(vec.nvec)])
    _, reward, _, _, info = vec.step(bad)
    assert (reward == -vec.objective.invalid_cost).all() and not info["valid"].any()
    assert all(v and v[0].startswith("action_out_of_range:") for v in info["violations"][:2])
    _, reward, _, _, info = vec.step(np.zeros(7))   # wrong shape
    assert list(info["violations"]) == [["action_shape"]] * 3
    with pytest.raises(ConfigError, match="num_envs"):
        DesignVectorEnv(0, simulator=ToySimulator(), workload=GEMM)


def test_same_step_autoreset_keeps_final_observation():
    vec = DesignVectorEnv(2, autoreset_mode="SameStep", simulator=ToySimulator(), workload=GEMM,
                          episode_length=1)
    first, _ = vec.reset(seed=0)
    obs, _, _, trunc, info = vec.step(np.zeros((2, len(vec.nvec)), dtype=np.int64))
    assert trunc.all() and info["_final_obs"].all()
    np.testing.assert_allclose(obs, first)                 # already reset
    assert not np.allclose(info["final_obs"][0], first[0])  # the evaluated design
    _, _, _, trunc, info = vec.step(np.zeros((2, len(vec.nvec)), dtype=np.int64))
    assert info["evaluated"].all() and trunc.all() and vec.evaluator.evaluations == 4


def test_sb3_adapter_follows_vecenv_semantics():
    venv = SB3VecEnv(DesignVectorEnv(4, simulator=ToySimulator(), workload=GEMM, episode_length=2))
    venv.seed(3)
    obs = venv.reset()
    assert obs.shape == (4, venv.observation_space.shape[0])
    actions = np.tile(venv.venv.space.to_indices(venv.venv.space.default()), (4, 1))  # the valid preset
    venv.step(actions)
    obs, rewards, dones, infos = venv.step(actions)
    assert dones.all() and rewards.shape == (4,)
    assert all("terminal_observation" in i and i["TimeLimit.truncated"] for i in infos)
    assert all(i["evaluated"] and "cost" in i for i in infos)
    assert venv.env_method("action_masks")[0].shape == (int(venv.venv.nvec.sum()),)
    assert venv.get_attr("best")[0] is not None


def test_cli_train_steps_the_native_vector_env(tmp_path):
    from toy_simulator import TOY_ENV_ID, register_toy_env

    from archgym.app.cli import main

    register_toy_env()
    store = tmp_path / "runs.db"
    assert main(["train", "--env", TOY_ENV_ID, "--algo", "a2c", "--steps", "60", "--n-envs", "4", "--json",
                 "--logdir", str(tmp_path), "--store", str(store), "--env-kwargs", f"workload={GEMM}"]) == 0
    with RunStore(store) as s:
        (run,) = s.runs()                 # one evaluator for the four environments
        assert s.count(run) == 60 and sorted(s.steps(run)) == list(range(60))  # A2C: 3 rollouts of 5 × 4
