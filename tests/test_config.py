"""Config loading: every bad file gives one line naming the file, the field and what is allowed."""

from typing import Literal

import pytest

from archgym.config import StrictModel, load_config
from archgym.errors import ConfigError


class Inner(StrictModel):
    fidelity: Literal["analytical", "cycle"] = "analytical"


class Demo(StrictModel):
    simulator: str
    budget: int = 10
    inner: Inner = Inner()


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_good_config(tmp_path):
    cfg = load_config(write(tmp_path, "simulator: systolic\nbudget: 5\ninner: {fidelity: cycle}\n"), Demo)
    assert cfg.budget == 5 and cfg.inner.fidelity == "cycle"


@pytest.mark.parametrize("text, expected", [
    ("simulator: s\nbudget: lots\n", "c.yaml: budget: Input should be a valid integer"),
    ("simulator: s\ninner: {fidelity: exact}\n", "c.yaml: inner.fidelity: Input should be 'analytical' or 'cycle'"),
    ("simulator: s\ncolour: red\n", "c.yaml: colour: unknown field"),
    ("budget: 3\n", "c.yaml: simulator: Field required"),
    ("simulator: [unclosed\n", "c.yaml: line"),
])
def test_bad_configs_are_one_line(tmp_path, text, expected):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text), Demo)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.yaml", Demo)
