"""Bounds on every size a user sets on the command line or in a sweep config, checked before any
work starts (sources in docs/robustness.md), and the argparse types that enforce them."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path

SEED_MAX = 2**32 - 1          # numpy, torch and stable-baselines3 all accept seeds in [0, 2³²)
MAX_BUDGET = 1_000_000        # evaluations per run: a 10⁶-design LHS plan is 80 MB of indices
MAX_WORKERS = 256             # worker processes / Ray tasks in flight
MAX_SEEDS = 1_000             # seeds per benchmark task and agent
MAX_TRIALS = 1_000            # hyper-parameter configurations per benchmark sweep
MAX_STEPS = 10**9             # environment steps of one training run
MAX_ENVS = 256                # parallel environments of one training run
MAX_BATCH = 100_000           # designs per ask / evaluate_batch call


def int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in ``[low, high]``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed; allowed: an integer in [{low}, {high}]") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is not allowed; allowed: an integer in [{low}, {high}]")
        return value
    return parse


def float_in(low: float, high: float, open_low: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in ``[low, high]`` (``(low, high]`` with ``open_low``)."""
    span = f"{'(' if open_low else '['}{low:g}, {high:g}]"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value > high or value < low or (open_low and value == low):
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed; allowed: a number in {span}")
        return value
    return parse


seed_arg = int_in(0, SEED_MAX)
budget_arg = int_in(1, MAX_BUDGET)
workers_arg = int_in(1, MAX_WORKERS)


def writable_file(text: str) -> str:
    """An argparse type: a file path that can be written — not a folder, and its folder exists and
    is writable or can be created — checked before the command's work starts."""
    path = Path(text).absolute()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; allowed: a file path")
    ancestor = path.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r}: {str(ancestor)!r} is a file, not a folder")
    if not os.access(ancestor, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise argparse.ArgumentTypeError(f"{text!r} is not writable")
    return text
