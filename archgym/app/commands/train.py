"""``archgym train --env ID --algo ppo|maskable-ppo|dqn|a2c --steps N [--out DIR]``: train a
stable-baselines3 agent on an ``archgym/`` environment, logging to TensorBoard and every evaluation
to a run store; ``--out DIR`` keeps the policy (SB3 zip + env spec, :mod:`archgym.app.trained`) for
``archgym propose --model DIR``. Progress (steps, ETA, best cost) goes to stderr.

The ``--n-envs`` environments are one native :class:`~envs.vector.DesignVectorEnv` (one batched
evaluation per step, one run id) seen through the :class:`~envs.sb3_vec.SB3VecEnv` adapter, which
every algorithm here accepts."""

from __future__ import annotations

import argparse
import json
import math
import uuid
from pathlib import Path
from typing import Any, cast

from archgym.app.limits import MAX_ENVS, MAX_STEPS, int_in, seed_arg
from archgym.app.progress import Progress
from archgym.errors import ConfigError

#: algorithm name → (module, class)
ALGOS: dict[str, tuple[str, str]] = {
    "ppo": ("stable_baselines3", "PPO"),
    "maskable-ppo": ("sb3_contrib", "MaskablePPO"),
    "dqn": ("stable_baselines3", "DQN"),
    "a2c": ("stable_baselines3", "A2C"),
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", required=True, help="environment id, e.g. archgym/Systolic-v1 (see `archgym list envs`)")
    p.add_argument("--algo", default="ppo", choices=list(ALGOS))
    p.add_argument("--steps", type=int_in(1, MAX_STEPS), default=2048, help="environment steps to train for")
    p.add_argument("--seed", type=seed_arg, default=0)
    p.add_argument("--n-envs", type=int_in(1, MAX_ENVS), default=1,
                   help="environments stepped together (one batched evaluation per step, one run id)")
    p.add_argument("--store", default=None, help="run store (SQLite); default LOGDIR/runs.db")
    p.add_argument("--logdir", default=None, help="TensorBoard directory; default runs/train/ENV-ALGO-sSEED")
    p.add_argument("--env-kwargs", nargs="*", default=[], metavar="KEY=VALUE",
                   help="environment kwargs, e.g. workload=gemm:M=64,N=64,K=64 objective=edp mode=sequential")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="save the trained policy here (model.zip + spec.json) for `archgym propose --model DIR`")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")


def parse_env_kwargs(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` strings → kwargs; numbers, lists and mappings are read as YAML, words stay text."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--env-kwargs: expected KEY=VALUE, got {item!r}")
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            value = text
        if isinstance(value, bool) and text.strip().lower() not in ("true", "false"):
            value = text
        out[key.strip()] = text if value is None and text else value
    return out


def run(args: argparse.Namespace) -> int:
    import gymnasium as gym

    import envs
    from archgym.store import RunStore

    if args.env not in gym.registry:
        raise ConfigError.bad_value("--env", args.env, envs.ENV_IDS)
    env_kwargs = parse_env_kwargs(args.env_kwargs)
    if args.algo == "dqn" and env_kwargs.setdefault("mode", "sequential") != "sequential":
        raise ConfigError("--algo dqn: needs a Discrete action space; use --env-kwargs mode=sequential")
    short = args.env.split("/")[-1]
    logdir = Path(args.logdir or f"runs/train/{short}-{args.algo}-s{args.seed}")
    logdir.mkdir(parents=True, exist_ok=True)
    store_path = Path(args.store) if args.store else logdir / "runs.db"
    store_path.parent.mkdir(parents=True, exist_ok=True)
    store = RunStore(store_path)
    run_id = f"train-{short}-{args.algo}-s{args.seed}-{uuid.uuid4().hex[:6]}"
    model, vec_env = _train(args, env_kwargs, store, run_id, logdir)
    summary = _summary(args, vec_env, store, run_id, logdir, store_path)
    if args.out:
        summary["model"] = str(_save(model, args, env_kwargs, vec_env, summary["best"]))
    vec_env.close()
    store.close()
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        _print(summary)
    return 0 if summary["best"] is not None else 1


def _train(args: argparse.Namespace, env_kwargs: dict[str, Any], store: Any, run_id: str,
           logdir: Path) -> tuple[Any, Any]:
    import importlib

    import gymnasium as gym
    from stable_baselines3.common.vec_env import VecMonitor

    from envs.sb3_vec import SB3VecEnv
    from envs.vector import DesignVectorEnv

    # every archgym id's vector_entry_point builds a DesignVectorEnv
    vector = cast(DesignVectorEnv, gym.make_vec(
        args.env, num_envs=args.n_envs, vectorization_mode="vector_entry_point", store=store, run_id=run_id,
        agent=f"sb3-{args.algo}", **env_kwargs))
    vec_env = VecMonitor(SB3VecEnv(vector))
    vec_env.seed(args.seed)
    module_name, cls_name = ALGOS[args.algo]
    algo = getattr(importlib.import_module(module_name), cls_name)
    policy = "MultiInputPolicy" if env_kwargs.get("obs_type") == "dict" else "MlpPolicy"
    kw: dict[str, Any] = {}
    if args.algo in ("ppo", "maskable-ppo"):
        n_steps = int(min(2048, max(32, args.steps // (4 * args.n_envs) // 16 * 16)))
        kw = {"n_steps": n_steps, "batch_size": math.gcd(64, n_steps * args.n_envs)}
    elif args.algo == "dqn":
        kw = {"learning_starts": min(1000, max(1, args.steps // 10))}
    model = algo(policy, vec_env, seed=args.seed, tensorboard_log=str(logdir), verbose=0, **kw)
    with Progress(args.steps, f"train {args.algo}", unit="step") as bar:
        model.learn(total_timesteps=args.steps, tb_log_name=f"{args.algo}", callback=_design_logger(bar))
    return model, vec_env


def _save(model: Any, args: argparse.Namespace, env_kwargs: dict[str, Any], vec_env: Any,
          best: dict[str, Any] | None) -> Path:
    """The policy and the spec of the env it was trained on, under ``--out``."""
    import stable_baselines3

    from archgym.app import trained
    from archgym.version import __version__

    ev = vec_env.get_attr("evaluator")[0]
    workload = env_kwargs.get("workload")
    if isinstance(workload, str) and Path(workload).is_file():   # a topology/ONNX file: found from anywhere
        env_kwargs = {**env_kwargs, "workload": str(Path(workload).resolve())}
    spec = trained.TrainedSpec(
        env_id=args.env, env_kwargs=env_kwargs, algo=args.algo, steps=args.steps, seed=args.seed,
        n_envs=args.n_envs, simulator=ev.simulator.name, workload=ev.workload.name, fidelity=ev.fidelity,
        model_version=str(ev.simulator.model_version(ev.fidelity)), archgym_version=__version__,
        sb3_version=stable_baselines3.__version__, best=best)
    return trained.save(model, spec, args.out)


def _design_logger(bar: Progress) -> Any:
    """An SB3 callback that adds ``archgym/best_reward`` and ``archgym/valid_fraction`` to TensorBoard
    and moves ``bar`` to the steps done, with the best cost so far."""
    from stable_baselines3.common.callbacks import BaseCallback

    class DesignLogger(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.evaluated = self.valid = 0
            self.best = float("-inf")

        def _on_step(self) -> bool:
            for info in self.locals.get("infos", []):
                if info.get("evaluated"):
                    self.evaluated += 1
                    self.valid += bool(info["valid"])
                    if info["valid"]:
                        self.best = max(self.best, -float(info["cost"]))
            if self.evaluated:
                self.logger.record("archgym/valid_fraction", self.valid / self.evaluated)
                self.logger.record("archgym/evaluations", self.evaluated)
            if self.valid:
                self.logger.record("archgym/best_reward", self.best)
            bar.set(self.num_timesteps, f"best cost {-self.best:.4g}" if self.valid else "no valid design yet")
            return True

    return DesignLogger()


def _summary(args: argparse.Namespace, vec_env: Any, store: Any, run_id: str, logdir: Path,
             store_path: Path) -> dict[str, Any]:
    return {"env": args.env, "algo": args.algo, "steps": args.steps, "seed": args.seed,
            "evaluations": store.count(run_id), "run_ids": [run_id],
            "best": vec_env.get_attr("best")[0], "logdir": str(logdir), "store": str(store_path)}


def _print(s: dict[str, Any]) -> None:
    print(f"trained {s['algo']} on {s['env']} for {s['steps']} steps (seed {s['seed']}); "
          f"{s['evaluations']} evaluations logged")
    best = s["best"]
    if best is None:
        print("no valid design found")
    else:
        print(f"best design (cost {best['cost']:.4g}, reward {-best['cost']:.4g}):")
        for k, v in best["design"].items():
            print(f"  {k} = {v}")
        for k, v in best["metrics"].items():
            print(f"  {k:<26} {v:.6g}")
    print(f"TensorBoard logs: {s['logdir']}   (tensorboard --logdir {s['logdir']})")
    print(f"run store: {s['store']}  run ids: {', '.join(s['run_ids'])}")
    if "model" in s:
        print(f"policy saved in {s['model']}; next: archgym propose --model {s['model']}")
