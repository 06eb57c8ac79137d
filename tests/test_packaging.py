"""Packaging (issue 21, point 9): ``import archgym`` alone registers the env ids, in a fresh process."""

from __future__ import annotations

import subprocess
import sys

from archgym.envids import ENV_IDS


def test_import_archgym_alone_registers_every_env_id() -> None:
    code = ("import archgym, gymnasium as gym, sys\n"
            "assert 'envs' not in sys.modules\n"
            "print(sorted(i for i in gym.registry if i.startswith('archgym/')))\n"
            "env = gym.make('archgym/Systolic-v1', workload='gemm:M=64,N=64,K=64')\n"
            "obs, info = env.reset(seed=0)\n"
            "print(type(env.unwrapped).__name__)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    ids_line, cls_line = out.strip().splitlines()
    assert ids_line == str(sorted(ENV_IDS))
    assert cls_line == "DesignEnv"
