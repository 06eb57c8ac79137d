"""The bench's regret (issue 21, point 4): over feasible designs only, penalty costs of infeasible
designs never reported as regret, infeasibility reported separately, in the JSON, the tables and
the plot."""

from __future__ import annotations

import json

import numpy as np

from agents.base import History
from agents.bench import REGRET_NOTE, feasible_best_so_far, markdown, score
from agents.tasks import Optimum
from archgym.metrics import Result

OPT = Optimum(cost=0.0, design={}, metrics={}, feasible=1, size=10, seconds=0.1)
PENALTY = 100.0   # Objective.invalid_cost: cost of an invalid design


def _run(seed: int, feasible_costs: list[float | None]) -> dict:
    """A run whose evaluations are infeasible (None, penalty cost) or feasible with the given cost."""
    history = History()
    results = [Result({"x": 1.0}, valid=c is not None) for c in feasible_costs]
    history.extend([{}] * len(results), results, [PENALTY if c is None else c for c in feasible_costs])
    return {"seed": seed, "curve": history.best_so_far.tolist(),
            "feasible_curve": feasible_best_so_far(history).tolist(), "wall_time_s": 1.0, "agent_time_s": 0.1}


def _entry() -> dict:
    runs = [_run(0, [None, None, 0.1, 0.01]),        # feasible from evaluation 3
            _run(1, [None, None, None, None]),        # never feasible
            _run(2, [0.3, 0.2, 0.0, 0.0])]            # feasible at once, finds the optimum
    scored = score(runs, OPT, checkpoints=(1, 2, 3, 4))
    return {"doc": "synthetic", "space_size": 10, "optimum": {"enumeration_s": 0.1}, "objective": "edp " * 30,
            "agents": {"a": scored}}


def test_feasible_best_so_far_ignores_penalised_designs() -> None:
    history = History()
    history.extend([{}] * 3, [Result({}, valid=False), Result({}, valid=True, violations=["area_mm2<=1"]),
                              Result({}, valid=True)], [PENALTY, -5.0, 2.0])
    assert feasible_best_so_far(history).tolist() == [np.inf, np.inf, 2.0]   # a violated budget is infeasible


def test_regret_is_over_feasible_designs_and_infeasibility_is_separate() -> None:
    a = _entry()["agents"]["a"]
    text = json.dumps(a)
    assert "Infinity" not in text and "NaN" not in text
    numbers = [v for stats in a["regret_pct"].values() for v in stats.values() if v is not None]
    assert max(numbers) < 100 * (10 ** 0.3)          # no penalty (10^100) ever reported as regret
    assert a["regret_pct"]["1"] == {"median": None, "q25": None, "q75": None}   # 1 of 3 runs feasible
    assert a["regret_pct"]["4"]["median"] == 100 * (10 ** 0.01 - 1)           # median of 0, 2.33 %, +inf
    assert a["regret_pct"]["4"]["q75"] is None
    assert a["feasible_runs"] == {"final": 2, "seeds": 3, "first_feasible_eval": [3, None, 1]}
    assert a["curve"]["feasible_fraction"] == [1 / 3, 1 / 3, 2 / 3, 2 / 3]
    assert [r["final_regret_pct"] for r in a["runs"]] == [a["runs"][0]["final_regret_pct"], None, 0.0]
    assert a["runs"][1]["best_penalised_cost"] == PENALTY            # the penalty kept, under its own key


def test_tables_say_percent_and_show_missing_regret() -> None:
    text = markdown({"tasks": {"t": _entry()}})
    assert REGRET_NOTE in text and "regret % @4" in text
    row = next(line for line in text.splitlines() if line.startswith("| a |"))
    assert row.startswith("| a | — [—, —] | — [—, —] | ") and " | 2/3 | " in row


def test_regret_plot_has_a_sane_axis_a_whole_title_and_a_feasibility_panel() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from agents.plots import regret_figure

    entry = _entry()
    fig = regret_figure(plt, "t", entry)
    regret_ax, feasible_ax = fig.axes
    assert regret_ax.get_ylim()[1] <= 100.0                     # data ≤ 2.3 %: the axis stops at 10^2 at most
    assert " ".join(regret_ax.get_title().split()) == f"t: {entry['objective']}".strip()
    assert max(len(line) for line in regret_ax.get_title().splitlines()) <= 60
    assert list(feasible_ax.lines[0].get_ydata()) == entry["agents"]["a"]["curve"]["feasible_fraction"]
    fig.canvas.draw()
    title = regret_ax.title.get_window_extent()
    assert 0 <= title.x0 and title.x1 <= fig.bbox.x1 and title.y1 <= fig.bbox.y1   # not cut
    plt.close(fig)


def test_hyperparameter_sweep_reports_no_penalty_as_regret() -> None:
    """``bench --sweep``: 3 random designs on the PIM task (feasible designs are rare under its
    3 mm² budget) score regret over feasible designs, null without one, never 10^100 %."""
    from agents.hpsweep import sweep

    report = sweep("random", ["pim-gpt2decode-edp"], trials=1, seeds=3, budget=3)
    row = report["per_trial"][0]["tasks"]["pim-gpt2decode-edp"]
    assert None in row["regrets_pct"]                                    # a seed without a feasible design
    assert all(r is None or 0 <= r < 1e4 for r in row["regrets_pct"])
    assert "Infinity" not in json.dumps(report) and "NaN" not in json.dumps(report)


def test_search_reports_no_regret_without_a_feasible_design(capsys, tmp_path) -> None:
    """``archgym search --task``: 3 random PIM designs, none within the budget: no regret, not 10^36 %."""
    from archgym.app.cli import main

    args = ["search", "--task", "pim-gpt2decode-edp", "--agent", "random", "--budget", "3",
            "--store", str(tmp_path / "s.db")]
    assert main([*args, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["regret_pct"] is None and out["best_cost"] > 10                # its best is a penalised design
    assert main(args) == 0
    assert "no feasible design found, so no regret" in capsys.readouterr().out


def test_regret_past_float_range_is_inf_without_a_warning() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert OPT.regret(0.0) == 0.0
        assert np.isinf(OPT.regret(400.0))                        # 10**400 is past float range
        assert OPT.regret(np.array([0.0, 400.0])).tolist() == [0.0, float("inf")]
