"""``archgym propose --model DIR [--n K] [--episodes E] [--json]``: load a policy saved by
``archgym train --out DIR``, roll it deterministically on the environment it was trained on
(same env id and kwargs, episodes reset with seeds 0..E-1) and print the K best distinct designs it
proposes, with their simulated metrics."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from archgym.app.limits import MAX_BUDGET, MAX_SEEDS, int_in
from archgym.app.progress import Progress


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, metavar="DIR", help="a folder written by `archgym train --out DIR`")
    p.add_argument("--n", type=int_in(1, MAX_BUDGET), default=1, help="how many of the best distinct designs to print")
    p.add_argument("--episodes", type=int_in(1, MAX_SEEDS), default=4,
                   help="deterministic episodes rolled (reset seeds 0..E-1; a one-shot episode proposes "
                        "episode_length designs, a sequential one a single design)")
    p.add_argument("--json", action="store_true", help="print the proposals as one JSON object")


def run(args: argparse.Namespace) -> int:
    from archgym.app import trained

    spec = trained.load_spec(args.model)
    for note in _version_notes(spec):
        print(f"archgym propose: note: {note}", file=sys.stderr)
    env, model = _load(spec, args.model)
    seen = _rollout(env, model, args.episodes, masked=spec.algo == "maskable-ppo")
    env.close()
    best = sorted(seen.values(), key=lambda p: (not p["valid"], p["cost"]))[: args.n]
    out = {"model": str(args.model), "env": spec.env_id, "env_kwargs": spec.env_kwargs, "algo": spec.algo,
           "workload": spec.workload, "episodes": args.episodes, "distinct_designs": len(seen), "proposals": best}
    if args.json:
        print(json.dumps(out, default=str))
    else:
        _print(out)
    return 0 if best and best[0]["valid"] else 1


def _version_notes(spec: Any) -> list[str]:
    """Differences between the versions the policy was trained with and those installed now."""
    from archgym.simulator import get_simulator
    from archgym.version import __version__

    now = str(get_simulator(spec.simulator).model_version(spec.fidelity))
    notes = []
    if now != spec.model_version:
        notes.append(f"trained on {spec.simulator} model version {spec.model_version}, installed {now}: "
                     "proposals are simulated with the installed model")
    if spec.archgym_version != __version__:
        notes.append(f"trained with archgym {spec.archgym_version}, installed {__version__}")
    return notes


def _load(spec: Any, folder: str) -> tuple[Any, Any]:
    """The env the policy was trained on and the policy, on the CPU."""
    import importlib
    from pathlib import Path

    import gymnasium as gym

    from archgym.app.commands.train import ALGOS
    from archgym.app.trained import MODEL_FILE
    from archgym.errors import ConfigError

    if spec.algo not in ALGOS:
        raise ConfigError.bad_value(f"{folder}: algo", spec.algo, ALGOS)
    if spec.env_id not in gym.registry:
        import envs

        raise ConfigError.bad_value(f"{folder}: env_id", spec.env_id, envs.ENV_IDS)
    env = gym.make(spec.env_id, agent=f"sb3-{spec.algo}", **spec.env_kwargs)
    module_name, cls_name = ALGOS[spec.algo]
    model = getattr(importlib.import_module(module_name), cls_name).load(Path(folder) / MODEL_FILE, device="cpu")
    for what in ("observation_space", "action_space"):
        if getattr(model, what) != getattr(env, what):
            raise ConfigError(f"--model {folder}: the policy's {what} {getattr(model, what)} differs from "
                              f"{spec.env_id}'s now ({getattr(env, what)}); retrain it with this archgym version")
    return env, model


def _rollout(env: Any, model: Any, episodes: int, masked: bool) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Every distinct design evaluated in ``episodes`` deterministic episodes → its proposal
    (``masked``: MaskablePPO, which predicts with the env's action masks)."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    with Progress(episodes, "propose", unit="episode") as bar:
        for seed in range(episodes):
            obs, _ = env.reset(seed=seed)
            done = False
            while not done:
                kw = {"action_masks": env.unwrapped.action_masks()} if masked else {}
                action, _ = model.predict(obs, deterministic=True, **kw)
                obs, _, terminated, truncated, info = env.step(action)
                done = terminated or truncated
                if info.get("evaluated"):
                    key = tuple(sorted((k, str(v)) for k, v in info["design"].items()))
                    seen.setdefault(key, {"design": dict(info["design"]), "cost": float(info["cost"]),
                                          "valid": bool(info["valid"]), "violations": list(info["violations"]),
                                          "metrics": dict(info["metrics"]), "episode": seed})
            bar.update(1)
    return seen


def _print(out: dict[str, Any]) -> None:
    print(f"{out['algo']} policy from {out['model']} on {out['env']} ({out['workload']}): "
          f"{out['distinct_designs']} distinct designs in {out['episodes']} deterministic episodes; "
          f"best {len(out['proposals'])}:")
    for rank, p in enumerate(out["proposals"], 1):
        status = "valid" if p["valid"] else "invalid: " + ", ".join(p["violations"])
        print(f"{rank}. cost {p['cost']:.4g} ({status})")
        print("   design: " + ", ".join(f"{k}={v}" for k, v in p["design"].items()))
        print("   metrics: " + ", ".join(f"{k}={v:.4g}" for k, v in p["metrics"].items()))
