"""The proxy's validity classifier on an FPGA sweep (issue 21: designs the simulator rejects for
DSP/LUT/FF/URAM budgets came back ``valid=True``): ``--designs`` random designs per workload of
the u280 board at 300 MHz (ResNet-18, MobileNetV2; about a quarter over budget), a GBM proxy of
latency and energy, and the classifier's accuracy on the 20 % of rows the fit never saw and on
300 fresh designs.

Run: ``OMP_NUM_THREADS=2 .venv/bin/python benchmarks/proxy_validity.py`` (≈ 2 min on 2 cores);
writes ``benchmarks/results/proxy_validity.md`` with provenance.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archgym.evaluator import Evaluator
from archgym.simulator import get_simulator
from archgym.store import RunStore
from archgym.workload import get_workload
from benchmarks.provenance import write_results
from cost_models.data import load_dataset
from cost_models.fit import fit_and_report, format_report

WORKLOADS = ("resnet18", "mobilenetv2")
FIX = {"device": "u280", "clock_mhz": 300}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--designs", type=int, default=1500, help="designs per workload")
    ap.add_argument("--out", default="benchmarks/results/proxy_validity.md")
    args = ap.parse_args()
    sim, store = get_simulator("fpga"), RunStore(":memory:")
    for i, name in enumerate(WORKLOADS):
        wl = get_workload(name)
        space = sim.space(wl).restrict(fix=FIX)
        Evaluator(sim, wl, space, store=store, run_id=f"fpga-{name}").evaluate(
            space.sample(args.designs, np.random.default_rng(i)))
    _, report = fit_and_report(load_dataset(store), ["latency_s", "energy_j"], "gbm", speed=False, test_workloads=[])
    held, fresh = report["splits"]["random"]["validity"], report["fresh"]["validity"]
    body = (f"FPGA family, board u280 at 300 MHz, {', '.join(WORKLOADS)}: {report['rows']} rows "
            f"({report['invalid_rows']} invalid). Validity classifier (scikit-learn GradientBoostingClassifier): "
            f"held-out rows {100 * held['accuracy']:.1f} % right ({held['n_invalid']} invalid of {held['n']}; "
            f"invalid caught {100 * held['invalid_recall']:.1f} %, valid kept {100 * held['valid_recall']:.1f} %); "
            f"fresh designs {100 * fresh['accuracy']:.1f} % right ({fresh['n_invalid']} invalid of {fresh['n']}).\n\n"
            "`fit-proxy` report of the same fit:\n\n```\n" + format_report(report) + "\n```\n")
    print(body)
    write_results(Path(args.out), "Proxy validity classifier on an FPGA sweep", body)


if __name__ == "__main__":
    main()
