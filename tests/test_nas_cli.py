"""``archgym nas``: a space's choices, and architectures' accuracy (table, predictor), size and cost."""

import json

from archgym.app.cli import main
from nas.accuracy import accuracy
from nas.space import get_space


def run(capsys, *args):
    code = main(["nas", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_space_alone_lists_its_choices_and_measured_tables(capsys):
    code, out, _ = run(capsys, "cell", "--json")
    info = json.loads(out)
    assert code == 0 and info["size"] == 125 and set(info["tables"]) == {"digits", "digits-rot"}
    assert info["choices"]["edge01"][0] == "none"


def test_given_architectures_report_the_table_accuracy_and_the_simulated_cost(capsys):
    space = get_space("cell")
    keys = ["cell:conv3x3|conv3x3|conv3x3", "cell:none|skip|none"]
    code, out, _ = run(capsys, "cell", "--arch", *keys, "--simulate", "systolic", "--json")
    rows = json.loads(out)["archs"]
    assert code == 0 and [r["arch"] for r in rows] == keys
    for row in rows:
        arch = space.parse(row["arch"])
        assert row["accuracy"] == accuracy(space, arch)
        assert row["macs"] == space.workload(arch).total_macs and row["valid"] is True
    assert rows[0]["macs"] > rows[1]["macs"] and rows[0]["latency_s"] > rows[1]["latency_s"]


def test_train_uses_the_table_where_it_has_the_architecture(capsys):
    key = "cell:conv1x1|skip|conv3x3"
    _, out, _ = run(capsys, "cell", "--arch", key, "--train", "--task", "digits-rot", "--json")
    row = json.loads(out)["archs"][0]
    assert row["accuracy"] == accuracy("cell", get_space("cell").parse(key), task="digits-rot")


def test_bad_keys_spaces_and_mixed_selections_are_one_line_errors(capsys):
    for args, needle in ((("cell", "--arch", "cell:bad"), "key fields"), (("nope",), "'nope'"),
                         (("cell", "--arch", "cell:none|none|none", "--sample", "2"), "--sample"),
                         (("cell", "--sample", "1", "--task", "cifar"), "cifar")):
        code, _, err = run(capsys, *args)
        assert code == 2 and needle in err and err.count("\n") == 1
