"""``archgym report``: real PNG plots (read back and checked), Markdown and HTML tables, and the
Pareto / summary arithmetic behind them."""

import sys
import types

import numpy as np
import pytest
from sweep_helpers import write_config

from archgym.app.cli import main
from archgym.app.summary import pareto_mask, summarize
from archgym.errors import ConfigError
from archgym.metrics import Objective
from archgym.store import EvalRecord, RunStore

TAB_BLUE = np.array([31, 119, 180]) / 255
TAB_RED = np.array([214, 39, 40]) / 255


def _pixels_near(img: np.ndarray, colour: np.ndarray, tol: float = 0.06) -> int:
    return int((np.abs(img[..., :3] - colour).max(axis=-1) < tol).sum())


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    path = write_config(tmp, name="rep", strategy="lhs", budget=80, batch_size=40, constraints={"area_mm2": 30})
    store = tmp / "runs.db"
    assert main(["sweep", str(path), "--store", str(store), "--workers", "1", "--no-progress"]) == 0
    return store


def test_report_writes_real_plots_and_tables(swept, tmp_path, capsys):
    import matplotlib.image as mpimg

    out = tmp_path / "rep"
    with RunStore(swept) as store:
        (run_id,) = store.runs()
    assert main(["report", "--store", str(swept), "--out", str(out), "--run", run_id]) == 0
    assert "Pareto set" in capsys.readouterr().out
    pngs = sorted(p.name.split("_")[0] for p in out.glob("*.png"))
    assert pngs == ["convergence", "pareto", "sensitivity"]
    for png in out.glob("*.png"):
        img = mpimg.imread(png)
        assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 300
        assert img[..., :3].std() > 0.05  # not a blank canvas
    pareto = mpimg.imread(next(out.glob("pareto_*.png")))
    assert _pixels_near(pareto, TAB_BLUE) > 200  # the Pareto-set markers
    assert _pixels_near(pareto, TAB_RED) > 100  # the 2-D front lines
    conv = mpimg.imread(next(out.glob("convergence_*.png")))
    assert _pixels_near(conv, TAB_RED) > 100  # best-so-far curves
    md = (out / "summary.md").read_text()
    assert "| evaluations | feasible | invalid | Pareto set |" in md and "area_mm2<=30" in md
    assert "![pareto_" in md and "Best design per objective" in md
    html = (out / "summary.html").read_text()
    assert html.count("<table>") >= 3 and "<img src='pareto_" in html


def test_report_names_unknown_runs(swept, tmp_path):
    with RunStore(swept) as store, pytest.raises(ConfigError, match="--run: 'nope' is not allowed; allowed: rep-"):
        from archgym.app.report import build_report

        build_report(store, tmp_path / "x", ["nope"])


def test_report_without_feasible_designs_still_writes_tables(tmp_path):
    store = RunStore(tmp_path / "bad.db")
    store.log_many(EvalRecord("bad", i, {"rows": 2**i}, {}, valid=False, violations=["pe_budget"]) for i in range(4))
    from archgym.app.report import build_report

    (rep,) = build_report(store, tmp_path / "out")
    assert rep.figures == [] and rep.summary.invalid == 4 and rep.summary.violations == [("pe_budget", 4)]
    assert "pe_budget" in (tmp_path / "out" / "summary.md").read_text()


def test_pareto_and_best_arithmetic():
    pts = np.array([[1, 5], [2, 2], [5, 1], [3, 3], [2, 2.5], [6, 6]])
    assert pareto_mask(pts).tolist() == [True, True, True, False, False, False]
    import pandas as pd

    df = pd.DataFrame({"step": range(4), "valid": [True, True, True, False],
                       "violations": [[], [], ["area_mm2<=10"], ["pe_budget"]],
                       "d.rows": [8, 16, 32, 64], "m.latency_s": [4.0, 1.0, 0.5, np.nan],
                       "m.energy_j": [1.0, 2.0, 0.1, np.nan]})
    s = summarize(df, [Objective.parse("latency_s"), Objective.parse("energy_j")], "r")
    assert (s.feasible, s.invalid, s.pareto_size) == (2, 2, 2)
    assert [b.step for b in s.best] == [1, 0]  # the infeasible step 2 is never "best"
    assert dict(s.violations) == {"area_mm2<=10": 1, "pe_budget": 1}


def test_bench_dispatches_to_agents_plots(tmp_path, monkeypatch, capsys):
    calls = []
    fake = types.ModuleType("agents.plots")
    fake.plot_bench = lambda path, out: calls.append((path, out)) or []
    monkeypatch.setitem(sys.modules, "agents.plots", fake)
    assert main(["report", "--bench", "b.json", "--out", str(tmp_path)]) == 0
    assert calls == [("b.json", str(tmp_path))]
    monkeypatch.setitem(sys.modules, "agents.plots", None)  # a broken import is a bug, not "not available"
    assert main(["report", "--bench", "b.json", "--out", str(tmp_path)]) == 3
    assert "internal error: ModuleNotFoundError" in capsys.readouterr().err


def test_missing_store_is_an_error(tmp_path, capsys):
    assert main(["report", "--store", str(tmp_path / "none.db"), "--out", str(tmp_path)]) == 2
    assert "does not exist" in capsys.readouterr().err
