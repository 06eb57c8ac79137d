"""The environment's own work per ``DesignEnv.step``, and ``step`` against ``evaluate``.

For each family and fidelity (ResNet-18; ``--fidelities``, analytical by default; random one-shot actions, CPU
time, least of ``--rounds`` interleaved rounds; :func:`benchmarks.single_vs_batch.interleaved`):

* ``env_us`` — a step minus its evaluator call (``Evaluator.evaluate_one``; ``evaluate_indices`` of a
  batch of one in trees before it), with the simulator replaced by precomputed answers (each step's own
  ``evaluate_row`` row and ``BatchResult``), so the model's cost and its noise drop out;
* ``evaluator_us`` — that evaluator call around those precomputed answers;
* ``evaluate_us`` / ``step_us`` — the simulator's ``evaluate`` of the same designs and ``env.step``
  with the real simulator (what ``benchmarks/pipeline_speed.py``'s ``envs`` section compares).

``--ppo`` adds what a step of SB3 PPO's rollout costs in all (the yardstick a user trains against).
``--tree DIR`` imports archgym, envs and simulators from another source tree (e.g. a ``git archive``
of an earlier commit) for a before/after comparison; run the two alternately on a shared machine.

    python -m benchmarks.env_step_overhead [--families systolic,pim,fpga] [--fidelities analytical,cycle]
        [--ppo] [--tree DIR | --out benchmarks/results/env_step.md]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from typing import Any, cast

import numpy as np


def measure(family: str, steps: int, rounds: int, fidelity: str = "analytical") -> dict[str, float]:
    """Microseconds per step of each quantity in the module docstring for ``family`` at ``fidelity``."""
    from archgym.simulator import Simulator
    from benchmarks.single_vs_batch import interleaved
    from envs.design_env import DesignEnv

    env = DesignEnv(family, "resnet18", fidelity=fidelity)
    real, space = env.simulator, env.space
    actions = space.sample_indices(steps, np.random.default_rng(0))
    answers = [real.evaluate_batch(space.indices_to_columns(a[None]), env.workload, fidelity) for a in actions]
    rows = [real.evaluate_row(space.plain_design(a.tolist()), env.workload, fidelity) for a in actions] \
        if hasattr(real, "evaluate_row") else []
    canned = _Canned(real, answers, rows)
    env.evaluator.simulator = cast(Simulator, canned)
    env.reset(seed=0)
    twin = DesignEnv(family, "resnet18", fidelity=fidelity)
    twin.reset(seed=0)
    designs = [space.from_indices(a) for a in actions]
    one = getattr(env.evaluator, "evaluate_one", None)

    def canned_steps() -> None:
        canned.i = 0
        for a in actions:
            env.step(a)

    def canned_evaluator() -> None:
        canned.i = 0
        for a in actions:
            one(a.tolist()) if one is not None else env.evaluator.evaluate_indices(a[None])

    fns = (canned_steps, canned_evaluator, lambda: [real.evaluate(d, env.workload, fidelity) for d in designs],
           lambda: [twin.step(a) for a in actions])
    for fn in fns:
        fn()
    step_c, evaluator_c, evaluate, step = (t / steps * 1e6 for t in interleaved(*fns, rounds=rounds))
    return {"env_us": step_c - evaluator_c, "evaluator_us": evaluator_c, "evaluate_us": evaluate,
            "step_us": step, "step_over_evaluate": step / evaluate}


def ppo_step_us(family: str, fidelity: str, steps: int = 1024, rounds: int = 3) -> float:
    """CPU µs per environment step of SB3 PPO's rollout collection (``MlpPolicy``, one env, one torch
    thread, least of ``rounds`` rollouts of ``steps``): what a step costs a user training on the env."""
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback

    from benchmarks.single_vs_batch import interleaved
    from envs.design_env import DesignEnv

    class _Continue(BaseCallback):
        def _on_step(self) -> bool:
            return True

    torch.set_num_threads(1)
    model = PPO("MlpPolicy", DesignEnv(family, "resnet18", fidelity=fidelity), n_steps=steps, seed=0,
                device="cpu")
    model._setup_learn(steps * (rounds + 1))
    vec = model.get_env()
    assert vec is not None
    callback = _Continue()
    callback.init_callback(model)

    def rollout() -> None:
        model.collect_rollouts(vec, callback, model.rollout_buffer, n_rollout_steps=steps)

    rollout()
    return interleaved(rollout, rounds=rounds)[0] / steps * 1e6


class _Canned:
    """The simulator with ``evaluate_batch`` and ``evaluate_row`` answering from lists, in order (anything
    else: the real one)."""

    def __init__(self, real: Any, answers: list[Any], rows: list[Any]):
        self.real, self.answers, self.rows, self.i = real, answers, rows, 0

    def evaluate_batch(self, designs: Any, workload: Any, fidelity: str = "analytical") -> Any:
        answer = self.answers[self.i]
        self.i += 1
        return answer

    def evaluate_row(self, design: Any, workload: Any, fidelity: str = "analytical") -> Any:
        metrics, violations = self.rows[self.i]
        self.i += 1
        return dict(metrics), list(violations)      # fresh, as the real one's

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def table(families: list[str], fidelity: str, steps: int, rounds: int, ppo: bool) -> list[str]:
    """The Markdown table of :func:`measure` (and :func:`ppo_step_us` when ``ppo``) at ``fidelity``."""
    lines = [f"**{fidelity}**, load {os.getloadavg()[0]:.1f} at the start", "",
             "| family | env's own work µs | evaluator µs | evaluate µs | step µs | step / evaluate |"
             + (" PPO rollout µs per step | step − evaluate, % of PPO's step |" if ppo else ""),
             "|---|---|---|---|---|---|" + ("---|---|" if ppo else "")]
    for family in families:
        r = measure(family, steps, rounds, fidelity)
        line = (f"| {family} | {r['env_us']:.1f} | {r['evaluator_us']:.1f} | {r['evaluate_us']:.1f} | "
                f"{r['step_us']:.1f} | {r['step_over_evaluate']:.2f} |")
        if ppo:
            rollout = ppo_step_us(family, fidelity)
            line += f" {rollout:.0f} | {100 * (r['step_us'] - r['evaluate_us']) / rollout:.1f} |"
        lines.append(line)
    return lines + [""]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default="systolic,pim,fpga")
    parser.add_argument("--fidelities", default="analytical", help="comma-separated: analytical, cycle")
    parser.add_argument("--steps", type=int, default=2000, help="steps per round (cycle level: a tenth)")
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--ppo", action="store_true", help="also time SB3 PPO's rollout per step")
    parser.add_argument("--tree", help="source tree to import the code from (default: this checkout)")
    parser.add_argument("--out", help="also write the tables here, with provenance (this checkout only)")
    args = parser.parse_args(argv)
    if args.tree:
        if args.out:
            parser.error("--out records this checkout's commit: not with --tree")
        sys.path.insert(0, os.path.abspath(args.tree))
    import envs

    now = datetime.datetime.now(datetime.timezone.utc)
    print(f"code: {os.path.dirname(os.path.dirname(envs.__file__))} · {now:%Y-%m-%d %H:%M} UTC · "
          f"{platform.node()} ({os.cpu_count()} CPUs)")
    lines: list[str] = []
    for fidelity in args.fidelities.split(","):
        steps = args.steps if fidelity == "analytical" else max(1, args.steps // 10)
        part = table(args.families.split(","), fidelity, steps, args.rounds, args.ppo)
        print("\n".join(part))
        lines += part
    if args.out:
        from benchmarks import provenance
        provenance.write_results(args.out, "One env step against one evaluate (issue 17)", "\n".join(lines))


if __name__ == "__main__":
    main()
