"""The environment's own work per ``DesignEnv.step``, and ``step`` against ``evaluate``.

For each family (analytical ResNet-18, random one-shot actions, CPU time, least of ``--rounds``
interleaved rounds; :func:`benchmarks.single_vs_batch.interleaved`):

* ``env_us`` — a step minus its evaluator call (``Evaluator.evaluate_one``; ``evaluate_indices`` of a
  batch of one in trees before it), with the simulator replaced by precomputed answers (each step's own
  ``evaluate_row`` row and ``BatchResult``), so the model's cost and its noise drop out;
* ``evaluator_us`` — that evaluator call around those precomputed answers;
* ``evaluate_us`` / ``step_us`` — the simulator's ``evaluate`` of the same designs and ``env.step``
  with the real simulator (what ``benchmarks/pipeline_speed.py``'s ``envs`` section compares).

``--tree DIR`` imports archgym, envs and simulators from another source tree (e.g. a ``git archive``
of an earlier commit) for a before/after comparison; run the two alternately on a shared machine.

    python -m benchmarks.env_step_overhead [--families systolic,pim,fpga] [--tree DIR]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
from typing import Any, cast

import numpy as np


def measure(family: str, steps: int, rounds: int) -> dict[str, float]:
    """Microseconds per step of each quantity in the module docstring for ``family``."""
    from archgym.simulator import Simulator
    from benchmarks.single_vs_batch import interleaved
    from envs.design_env import DesignEnv

    env = DesignEnv(family, "resnet18")
    real, space = env.simulator, env.space
    actions = space.sample_indices(steps, np.random.default_rng(0))
    answers = [real.evaluate_batch(space.indices_to_columns(a[None]), env.workload) for a in actions]
    rows = [real.evaluate_row(space.plain_design(a.tolist()), env.workload) for a in actions] \
        if hasattr(real, "evaluate_row") else []
    canned = _Canned(real, answers, rows)
    env.evaluator.simulator = cast(Simulator, canned)
    env.reset(seed=0)
    twin = DesignEnv(family, "resnet18")
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

    fns = (canned_steps, canned_evaluator, lambda: [real.evaluate(d, env.workload) for d in designs],
           lambda: [twin.step(a) for a in actions])
    for fn in fns:
        fn()
    step_c, evaluator_c, evaluate, step = (t / steps * 1e6 for t in interleaved(*fns, rounds=rounds))
    return {"env_us": step_c - evaluator_c, "evaluator_us": evaluator_c, "evaluate_us": evaluate,
            "step_us": step, "step_over_evaluate": step / evaluate}


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", default="systolic,pim,fpga")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--tree", help="source tree to import the code from (default: this checkout)")
    args = parser.parse_args(argv)
    if args.tree:
        sys.path.insert(0, os.path.abspath(args.tree))
    import envs

    now = datetime.datetime.now(datetime.timezone.utc)
    print(f"code: {os.path.dirname(os.path.dirname(envs.__file__))} · {now:%Y-%m-%d %H:%M} UTC · "
          f"{platform.node()} ({os.cpu_count()} CPUs) · load {os.getloadavg()[0]:.1f}")
    print("| family | env's own work µs | evaluator µs | evaluate µs | step µs | step / evaluate |")
    print("|---|---|---|---|---|---|")
    for family in args.families.split(","):
        r = measure(family, args.steps, args.rounds)
        print(f"| {family} | {r['env_us']:.1f} | {r['evaluator_us']:.1f} | {r['evaluate_us']:.1f} | "
              f"{r['step_us']:.1f} | {r['step_over_evaluate']:.2f} |")


if __name__ == "__main__":
    main()
