"""YAML configs validated by pydantic; every error is one line naming the file, the field and
what is allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from archgym.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base of every config model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def format_validation_error(exc: ValidationError, where: str) -> str:
    """The first pydantic error as ``where: field.path: message``."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ())) or "(top level)"
    msg = err.get("msg", "invalid value")
    if err.get("type") == "extra_forbidden":
        msg = "unknown field"
    ctx = err.get("ctx") or {}
    if "expected" in ctx:
        msg = f"{msg.split(';')[0]}; allowed: {ctx['expected']}"
    extra = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where}: {loc}: {msg}{extra}"


def validate(model: type[M], data: Any, where: str) -> M:
    """Validate ``data`` against ``model``; raise a one-line :class:`ConfigError` otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, where)) from None


def read_yaml(path: str | Path) -> Any:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None


def load_config(path: str | Path, model: type[M]) -> M:
    """Read and validate a YAML config file."""
    data = read_yaml(path)
    if data is None:
        data = {}
    return validate(model, data, str(path))
