"""Measured accuracy tables, the accuracy predictor and the training recipe (nas/)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import kendalltau

import nas.train
from archgym.errors import ConfigError, UnknownNameError
from nas.accuracy import accuracy
from nas.predictor import AccuracyPredictor
from nas.space import get_space
from nas.table import DATA, TABLE_VERSION, AccuracyTable, get_table
from nas.train import Recipe, train

CELL = get_space("cell")


def test_shipped_table_header_and_rows():
    table = get_table("cell", "digits")
    head = table.data
    assert head["version"] == TABLE_VERSION and head["seeds"] == [0, 1] and head["recipe"]["epochs"] == 4
    assert {"torch", "scikit-learn", "numpy"} <= set(head["versions"]) and head["provenance"]["commit"]
    assert len(table) >= 100
    for arch in table.archs()[:20]:
        row = table.row(arch)
        assert all(len(row[k]) == 2 for k in ("train", "valid", "test", "wall_s", "cpu_s"))
        assert table.accuracy(arch, "valid") == pytest.approx(np.mean(row["valid"]))
        assert accuracy("cell", arch) == table.accuracy(arch)


@pytest.mark.parametrize(("task", "chance"), [("digits", 0.1), ("digits-rot", 0.25)])
def test_measured_accuracy_is_physical(task, chance):
    table = get_table("cell", task)
    assert len(table) == CELL.size
    cut = [a for a in table.archs() if not CELL.net(a).input_reaches_output()]
    assert cut and all(table.accuracy(a) < chance + 0.1 for a in cut)
    assert table.accuracies().max() > 2 * chance + 0.3


def test_every_shipped_table_loads_with_two_seeds_per_row():
    paths = sorted(DATA.glob("*.json"))
    assert {"cell-digits", "cell-digits-rot", "mbv2-digits"} <= {p.stem for p in paths}
    for path in paths:
        table = AccuracyTable.load(path)
        assert len(table) > 0 and all(len(table.row(a)["test"]) >= 2 for a in table.archs())


def test_unknown_architecture_split_and_source_are_one_line_errors():
    mbv2 = get_table("mbv2", "digits")
    missing = next(a for a in mbv2.space.enumerate() if not mbv2.covers(a))
    with pytest.raises(UnknownNameError, match="was not trained.*source='predictor'"):
        accuracy("mbv2", missing)
    with pytest.raises(UnknownNameError, match="mbv2-nope is not shipped"):
        get_table("mbv2", "nope")
    arch = CELL.parse("cell:conv3x3|skip|conv1x1")
    with pytest.raises(ConfigError, match="split: 'dev'"):
        accuracy("cell", arch, split="dev")
    with pytest.raises(ConfigError, match="source: 'guess'"):
        accuracy("cell", arch, source="guess")


def test_predictor_ranks_held_out_architectures():
    table = get_table("cell", "digits")
    archs = table.archs()
    fit, held = archs[::2], archs[1::2]
    pred = AccuracyPredictor(table, fit).predict(held)
    assert pred.shape == (len(held),) and np.all((pred > 0) & (pred < 1))
    assert kendalltau([table.accuracy(a) for a in held], pred).statistic > 0.6


def test_recipe_is_deterministic_and_learns():
    arch, short = CELL.parse("cell:conv3x3|none|skip"), Recipe(epochs=2)
    a, b = train(arch, "digits", 3, short), train(arch, "digits", 3, short)
    assert all(a[s] == b[s] for s in ("train", "valid", "test")) and a["valid"] > 0.5


def test_shipped_row_is_reproduced_by_the_recipe():
    # bit-identical on the machine that built the table; a tolerance for other CPUs' kernels
    arch = CELL.parse("cell:conv3x3|skip|conv1x1")
    row, again = get_table("cell", "digits").row(arch), train(arch, "digits", 0)
    assert all(again[s] == pytest.approx(row[s][0], abs=0.03) for s in ("train", "valid", "test"))


def test_train_source_trains_only_what_the_table_lacks(monkeypatch):
    calls = []

    def quick(arch, task, seed):
        calls.append((arch.key, task, seed))
        return train(arch, task, seed, Recipe(epochs=1))

    monkeypatch.setattr(nas.train, "train", quick)
    covered = get_table("cell", "digits").archs()[0]
    assert accuracy("cell", covered, source="train") == get_table("cell", "digits").accuracy(covered)
    assert calls == []
    new = get_space("mbv2").decode([0] * 12)
    got = accuracy("mbv2", new, task="digits-rot", source="train")
    assert 0 <= got <= 1 and [c[2] for c in calls] == [0, 1]
