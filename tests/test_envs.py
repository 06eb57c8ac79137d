"""Gymnasium environments: the env checker, determinism, penalties, masks, the store, vector envs."""

from __future__ import annotations

import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs
from archgym.errors import ConfigError
from archgym.metrics import Objective
from archgym.store import RunStore
from envs.design_env import DesignEnv
from envs.masks import MaskModel, constraint_reads

sys.path.insert(0, str(Path(__file__).parent))
from toy_simulator import TOY_ENV_ID, ToySimulator, env_family, register_toy_env

register_toy_env()
GEMM = "gemm:M=64,N=64,K=64"
#: small workloads per family so that the rollouts stay fast
SMALL = {"systolic": GEMM, "toy": GEMM, "pim": "gemv:M=1024,K=1024", "rdu": GEMM, "fpga": None, "loopnest": GEMM}




ALL_IDS = [*envs.ENV_IDS, TOY_ENV_ID]


def test_every_family_and_mapping_is_registered():
    assert envs.ENV_IDS[:2] == ["archgym/Systolic-v1", "archgym/SystolicMapping-v1"]
    for needed in ("archgym/PIM-v0", "archgym/RDU-v2", "archgym/FPGA-v1"):
        assert needed in envs.ENV_IDS and needed in gym.registry


@pytest.mark.parametrize("mode", ["one-shot", "sequential"])
@pytest.mark.parametrize("env_id", ALL_IDS)
def test_check_env_passes(env_id, mode):
    env = gym.make(env_id, mode=mode)
    check_env(env.unwrapped, skip_render_check=True)
    assert env.unwrapped.evaluator.evaluations > 0 or mode == "sequential"


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_random_rollout_of_200_steps(env_id):
    family = env_family(env_id)
    kwargs = {"workload": SMALL[family]} if SMALL.get(family) else {}
    env = gym.make(env_id, episode_length=50, **kwargs)
    env.action_space.seed(0)
    obs, _ = env.reset(seed=0)
    episodes = 0
    for _ in range(200):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert env.observation_space.contains(obs)
        assert np.isfinite(reward)
        assert {"design", "metrics", "valid", "violations", "cost", "predicted"} <= set(info)
        assert info["valid"] or info["violations"], "an invalid design must name its violations"
        assert reward == pytest.approx(-info["cost"])
        if terminated or truncated:
            episodes += 1
            obs, _ = env.reset()
    assert episodes == 4
    assert env.unwrapped.evaluator.evaluations == 200


def _trajectory(env_id: str, mode: str, seed: int, steps: int = 40) -> list:
    env = gym.make(env_id, mode=mode, workload=GEMM)
    env.action_space.seed(seed)
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        out += [obs, reward, info["valid"]]
        if terminated or truncated:
            out.append(env.reset()[0])
    return out


@pytest.mark.parametrize("mode", ["one-shot", "sequential"])
@pytest.mark.parametrize("env_id", [TOY_ENV_ID, "archgym/Systolic-v1", "archgym/SystolicMapping-v1"])
def test_same_seed_same_trajectory(env_id, mode):
    a, b, c = (_trajectory(env_id, mode, s) for s in (3, 3, 4))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_invalid_design_costs_the_penalty_and_names_the_violation():
    env = gym.make(TOY_ENV_ID, objective={"kind": "minimize", "metric": "latency_s", "invalid_cost": 42.0})
    env.reset(seed=0)
    space = env.unwrapped.space
    design = {**space.default(), "rows": 64, "cols": 64}  # 4096 PEs > the 512-PE budget
    _, reward, _, _, info = env.step(space.to_indices(design))
    assert reward == -42.0 and info["valid"] is False and info["violations"] == ["pe_budget"]
    bad = space.to_indices(space.default())
    bad[0] = 99  # malformed action: a penalty too, not an exception
    _, reward, _, _, info = env.step(bad)
    assert reward == -42.0 and info["violations"] == ["action_out_of_range:rows"]
    # simulator-side invalidity: a 4 KiB buffer is too small for K = 1024
    env = gym.make(TOY_ENV_ID, workload="gemm:M=64,N=64,K=1024")
    env.reset(seed=0)
    _, reward, _, _, info = env.step(space.to_indices({**space.default(), "sram_kib": 4}))
    assert reward == -Objective().invalid_cost and info["violations"] == ["sram_too_small"]


@pytest.mark.parametrize("env_id", ALL_IDS)
def test_invalid_designs_of_every_family_give_the_penalty(env_id):
    family = env_family(env_id)
    env = gym.make(env_id, **({"workload": SMALL[family]} if SMALL.get(family) else {}))
    env.reset(seed=0)
    space = env.unwrapped.space
    rng = np.random.default_rng(0)
    rows = space.sample_indices(2000, rng)
    violated = {k: v for k, v in space.violations_batch(space.indices_to_columns(rows)).items() if v.any()}
    if violated:
        name, mask = next(iter(violated.items()))
        _, reward, _, _, info = env.step(rows[np.flatnonzero(mask)[0]])
        assert reward == -env.unwrapped.objective.invalid_cost
        assert not info["valid"] and name in info["violations"]
        return
    rewards, infos = env.unwrapped.evaluate_actions(rows[:300])  # validity found by the simulator
    bad = [i for i, info in enumerate(infos) if not info["valid"]]
    if bad:
        assert all(infos[i]["violations"] for i in bad)
        assert np.all(rewards[bad] == -env.unwrapped.objective.invalid_cost)
        return
    # every sampled design is valid in this family: a metric bound it misses is named and penalised
    kwargs = {"workload": SMALL[family]} if SMALL.get(family) else {}
    edp = {"kind": "weighted_log", "weights": {"latency_s": 1, "energy_j": 1}}
    free = gym.make(env_id, objective=edp, **kwargs)
    tight = gym.make(env_id, objective={**edp, "constraints": {"latency_s": 1e-12}}, **kwargs)
    free.reset(seed=0)
    tight.reset(seed=0)
    _, reward_free, _, _, _ = free.step(rows[0])
    _, reward_tight, _, _, info = tight.step(rows[0])
    assert reward_tight < reward_free
    assert any(v.startswith("latency_s") for v in info["violations"])


def test_objective_kinds_and_budgets():
    base = {"workload": GEMM}
    for spec in ("edp", "min:latency_s", "max:utilization", "target:latency_s=1e-5,area_mm2=1",
                 {"kind": "weighted_log", "weights": {"latency_s": 1, "energy_j": 2}},
                 Objective("minimize", "energy_j")):
        env = gym.make(TOY_ENV_ID, objective=spec, **base)
        env.reset(seed=0)
        _, reward, _, _, info = env.step(env.unwrapped.space.to_indices(env.unwrapped.space.default()))
        assert reward == pytest.approx(-Objective.parse(spec).cost(_result(info)))
    free = gym.make(TOY_ENV_ID, objective="edp", **base)
    tight = gym.make(TOY_ENV_ID, objective={"kind": "weighted_log", "weights": {"latency_s": 1, "energy_j": 1},
                                            "constraints": {"area_mm2": 0.5}}, **base)
    action = free.unwrapped.space.to_indices(free.unwrapped.space.default())
    for env in (free, tight):
        env.reset(seed=0)
    _, r_free, _, _, _ = free.step(action)
    _, r_tight, _, _, info = tight.step(action)
    assert info["valid"] and "area_mm2<=0.5" in info["violations"]
    assert r_tight < r_free


def _result(info):
    from archgym.metrics import Result

    return Result(info["metrics"], info["valid"], info["violations"])


def test_bad_kwargs_are_one_line_errors():
    for kwargs, field in (({"mode": "greedy"}, "mode"), ({"fidelity": "rtl"}, "fidelity"),
                          ({"obs_type": "graph"}, "obs_type"), ({"objective": "max:tops"}, "objective metric"), ({"episode_length": 0}, "episode_length"),
                          ({"mode": "sequential", "episode_length": 5}, "episode_length")):
        with pytest.raises(ConfigError, match=field):
            gym.make(TOY_ENV_ID, **kwargs)


def test_one_shot_masks_rule_out_single_parameter_violations_only():
    env = DesignEnv(ToySimulator(), GEMM)
    mask = env.action_masks()
    assert mask.shape == (int(env.nvec.sum()),)
    per_param = np.split(mask, np.cumsum(env.nvec)[:-1])
    names = env.space.names
    # clock ≤ 1000 MHz is decidable alone: 1600 MHz is masked; rows×cols ≤ 512 is not
    assert per_param[names.index("clock_mhz")].tolist() == [True, True, True, False]
    assert per_param[names.index("rows")].all() and per_param[names.index("cols")].all()


def test_sequential_masks_keep_partial_designs_feasible():
    env = DesignEnv(ToySimulator(), "resnet18", mapping="per-layer", mode="sequential")
    rng = np.random.default_rng(0)
    for episode in range(5):
        env.reset(seed=episode)
        done = False
        while not done:
            legal = np.flatnonzero(env.action_masks())
            _, _, done, _, info = env.step(int(rng.choice(legal)))
        assert not set(info["violations"]) & {c.name for c in env.space.constraints}
    env.reset(seed=0)
    env.step(env.max_n - 1)  # rows = 64 …
    cols_mask = env.masks.partial_mask({0: int(env._indices[0])}, 1)
    assert [v for v, ok in zip(env.space["cols"].values, cols_mask) if ok] == [2, 4, 8]  # … so cols ≤ 8


def test_sequential_actions_cover_every_value():
    env = DesignEnv(ToySimulator(), GEMM, mode="sequential")
    for j in range(len(env.space)):
        assert sorted(set(env._value_index(np.arange(env.max_n), j))) == list(range(int(env.nvec[j])))


def test_constraint_tracing():
    space = ToySimulator().space(envs.design_env.get_workload(GEMM), mapping="shared")
    reads = {c.name: constraint_reads(space, c) for c in space.constraints}
    assert reads == {"pe_budget": {"rows", "cols"}, "clock_limit": {"clock_mhz"}, "tile_fits_rows@tile": {"tile", "rows"}}
    model = MaskModel(space)
    assert len(model.units) == 2  # {rows, cols, tile} enumerated together, clock alone


def test_every_step_is_logged_to_the_store(tmp_path):
    path = tmp_path / "runs.db"
    env = gym.make(TOY_ENV_ID, workload=GEMM, store=str(path), run_id="r1", agent="random", episode_length=5)
    env.action_space.seed(0)
    env.reset(seed=7)
    for _ in range(12):
        _, _, term, trunc, _ = env.step(env.action_space.sample())
        if term or trunc:
            env.reset()
    with RunStore(path) as store:
        records = store.records("r1")
        assert [r.step for r in records] == list(range(12))
        assert {r.env_id for r in records} == {TOY_ENV_ID} and {r.agent for r in records} == {"random"}
        assert {r.seed for r in records} == {7}
        assert store.run_config("r1")["workload"] == GEMM
        df = store.read("r1")
        assert {"d.rows", "d.dataflow", "m.latency_s"} <= set(df.columns)


def test_predicted_flag_comes_from_the_backend():
    class Proxy(ToySimulator):
        def evaluate(self, design, workload, fidelity="analytical"):
            result = super().evaluate(design, workload, fidelity)
            result.info["predicted"] = True
            return result

        def evaluate_batch(self, designs, workload, fidelity="analytical"):  # as cost_models.proxy does
            batch = super().evaluate_batch(designs, workload, fidelity)
            batch.info["predicted"] = True
            return batch

    env = gym.make(TOY_ENV_ID, backend=Proxy(), workload=GEMM)
    env.reset(seed=0)
    space = env.unwrapped.space
    assert env.step(space.to_indices(space.default()))[4]["predicted"] is True


def test_dict_observations():
    env = gym.make(TOY_ENV_ID, obs_type="dict", mode="sequential")
    check_env(env.unwrapped, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert set(obs) == {"design", "metrics", "valid", "workload", "fixed"}


class _CountingToy(ToySimulator):
    def __init__(self):
        self.batches: list[int] = []

    def evaluate_batch(self, designs, workload, fidelity="analytical"):
        self.batches.append(len(next(iter(designs.values()))) if isinstance(designs, dict) else len(designs))
        return super().evaluate_batch(designs, workload, fidelity)


def test_make_vec_batches_evaluations_and_autoresets(tmp_path):
    sim = _CountingToy()
    vec = gym.make_vec(TOY_ENV_ID, num_envs=4, simulator=sim, workload=GEMM, episode_length=3,
                       store=str(tmp_path / "v.db"), run_id="vec")
    assert isinstance(vec.unwrapped, envs.vector.DesignVectorEnv)
    vec.action_space.seed(0)
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (4, vec.single_observation_space.shape[0])
    truncs = []
    for _ in range(4):
        obs, _, _, trunc, _ = vec.step(vec.action_space.sample())
        truncs.append(trunc.copy())
    assert truncs[2].all() and not truncs[3].any()  # episode ends at step 3, step 4 resets
    assert sim.batches and max(sim.batches) > 1  # one evaluate_batch call per vector step
    assert vec.action_masks().shape == (4, int(vec.unwrapped.env.nvec.sum()))
    with RunStore(tmp_path / "v.db") as store:
        assert sorted(store.steps("vec")) == list(range(12))
    sync = gym.make_vec(TOY_ENV_ID, num_envs=2, vectorization_mode="sync", workload=GEMM)
    sync.reset(seed=0)
    assert sync.step(sync.action_space.sample())[1].shape == (2,)


def test_evaluate_actions_is_one_batch():
    env = DesignEnv(_CountingToy(), GEMM)
    env.reset(seed=0)
    actions = env.space.sample_indices(16, np.random.default_rng(0))
    actions[0, 0] = -1
    rewards, infos = env.evaluate_actions(actions)
    assert rewards.shape == (16,) and rewards[0] == -env.objective.invalid_cost
    assert infos[0]["violations"] == ["action_out_of_range:rows"]
    assert env.simulator.batches[-1] == sum(1 for i in infos[1:] if not set(i["violations"]) & {"pe_budget", "clock_limit"})


def test_env_versions_follow_the_model_versions():
    """An env id's version moves with its family's dynamics: v(model version − 1), so a family whose
    numbers change bumps both (issue 16)."""
    from archgym.simulator import get_simulator

    for e in envs.registry.ENTRIES:
        assert e.version == int(get_simulator(e.simulator).version) - 1, e.id
