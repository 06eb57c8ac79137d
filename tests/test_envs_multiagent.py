"""The multi-agent (PettingZoo) view of a design env: API test, groups, shared reward, MARL PPO."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pettingzoo")
from pettingzoo.test import parallel_api_test

import envs
from archgym.errors import ConfigError
from envs.multiagent import MultiAgentDesignEnv, train_marl_ppo

sys.path.insert(0, str(Path(__file__).parent))
from toy_simulator import TOY_ENV_ID, register_toy_env

register_toy_env()
GEMM = "gemm:M=64,N=64,K=64"


@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("env_id", [TOY_ENV_ID, *envs.ENV_IDS])
def test_parallel_api(env_id, shared):
    kwargs = {"workload": GEMM, "mapping": "per-layer"} if env_id == TOY_ENV_ID else {}
    parallel_api_test(MultiAgentDesignEnv(env_id, shared_action_space=shared, **kwargs), num_cycles=20)


def test_default_groups_and_shared_reward():
    env = MultiAgentDesignEnv(TOY_ENV_ID, workload="resnet18", mapping="per-layer")
    assert env.groups["compute"] == ["rows", "cols", "clock_mhz", "dataflow"]
    assert env.groups["on_chip_memory"] == ["sram_kib"]
    assert len(env.groups["mapping"]) == len(env.base.workload.layers)
    env.reset(seed=0)
    actions = {a: env.action_space(a).sample() for a in env.agents}
    _, rewards, _, _, infos = env.step(actions)
    assert len(set(rewards.values())) == 1
    design = infos["compute"]["design"]
    assert design["rows"] == env.base.space["rows"].values[actions["compute"][0]]


def test_groups_can_be_overridden_and_must_partition():
    env = MultiAgentDesignEnv(TOY_ENV_ID, groups={"array": ["rows", "cols"], "rest": ["sram_kib", "clock_mhz",
                                                                                        "dataflow"]})
    assert env.possible_agents == ["array", "rest"]
    with pytest.raises(ConfigError, match="partition"):
        MultiAgentDesignEnv(TOY_ENV_ID, groups={"array": ["rows", "cols"]})
    with pytest.raises(ConfigError, match="one-shot"):
        MultiAgentDesignEnv(TOY_ENV_ID, mode="sequential")


def test_train_marl_ppo_runs_and_logs(tmp_path):
    torch = pytest.importorskip("torch")
    torch.set_num_threads(1)
    model, marl = train_marl_ppo(TOY_ENV_ID, 384, seed=0, workload=GEMM, mapping="per-layer",
                                 store=str(tmp_path / "m.db"), run_id="marl")
    agents = len(marl.possible_agents)
    assert model.num_timesteps >= 384
    assert marl.base.evaluator.evaluations == model.num_timesteps // agents
    assert marl.base.evaluator.store.count("marl") == marl.base.evaluator.evaluations
    assert marl.base.best is not None and np.isfinite(marl.base.best["cost"])


def test_per_group_shaping_changes_only_that_groups_reward():
    plain = MultiAgentDesignEnv(TOY_ENV_ID, workload=GEMM, mapping="per-layer")
    shaped = MultiAgentDesignEnv(TOY_ENV_ID, workload=GEMM, mapping="per-layer",
                                 shaping={"on_chip_memory": {"energy_j": 0.5}})
    plain.reset(seed=0)
    shaped.reset(seed=0)
    default = plain.base.space.to_indices(plain.base.space.default())
    actions = {a: default[plain._positions[a]] for a in plain.agents}  # a valid design
    _, base, _, _, infos = plain.step(actions)
    _, rewards, _, _, _ = shaped.step(actions)
    info = infos["compute"]
    assert info["valid"]
    assert rewards["compute"] == base["compute"]
    expected = base["on_chip_memory"] - 0.5 * np.log10(info["metrics"]["energy_j"])
    assert rewards["on_chip_memory"] == pytest.approx(expected)
    with pytest.raises(ConfigError, match="shaping"):
        MultiAgentDesignEnv(TOY_ENV_ID, workload=GEMM, shaping={"nope": {"energy_j": 1.0}})
