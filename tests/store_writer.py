"""A helper process for the crash test: logs steps START..END-1 of a run, one commit per step,
skipping the steps already in the store (what a resumed sweep does)."""

import sys
import time

from archgym.store import EvalRecord, RunStore


def record(step: int) -> EvalRecord:
    return EvalRecord(run_id="crash", step=step, design={"rows": 2 ** (step % 8), "df": "ws"},
                      metrics={"latency_s": step * 1e-3 + 1e-3, "energy_j": step * 0.5}, seed=7)


if __name__ == "__main__":
    path, end = sys.argv[1], int(sys.argv[2])
    store = RunStore(path)
    done = store.steps("crash")
    for step in range(end):
        if step not in done:
            store.log(record(step))
            print(step, flush=True)
            time.sleep(0.001)
