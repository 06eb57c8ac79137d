"""YAML configs validated by pydantic; every error is one line naming the file, the field and
what is allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from archgym.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

#: bounds on a YAML config file, checked before its data is built (docs/robustness.md)
MAX_CONFIG_BYTES = 1 << 20        # 1 MiB: the largest shipped config is < 2 KB
MAX_YAML_NODES = 100_000          # nodes after expanding aliases (a 9-level alias bomb has 9⁹ ≈ 3.9·10⁸)
MAX_YAML_DEPTH = 100              # nesting levels (shipped configs nest at most 4)


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
    """A YAML file's data, safely: UTF-8 text of at most :data:`MAX_CONFIG_BYTES`, at most
    :data:`MAX_YAML_NODES` nodes once aliases are expanded (no alias bombs), no recursive aliases."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: size: {size} bytes is not allowed; allowed: at most {MAX_CONFIG_BYTES}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, where: str) -> Any:
    """:func:`read_yaml` for text already read (``where`` names it in errors)."""
    try:
        check_depth(text, where)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            expanded_size(node, where)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{where}:{line}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except RecursionError:
        raise ConfigError(f"{where}: nested too deeply") from None


def check_depth(text: str, where: str) -> None:
    """Refuse nesting deeper than :data:`MAX_YAML_DEPTH`, found with PyYAML's event parser (a
    state machine, not recursive) before the recursive composer sees the document."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise ConfigError(f"{where}: line {event.start_mark.line + 1}: nesting deeper than "
                                  f"{MAX_YAML_DEPTH} levels is not allowed")
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def expanded_size(node: yaml.Node, where: str) -> int:
    """Nodes of a composed YAML document with every alias expanded (shared nodes counted once per
    use, computed once each); raises past :data:`MAX_YAML_NODES` or on a recursive alias."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(n: yaml.Node) -> int:
        key = id(n)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ConfigError(f"{where}: line {n.start_mark.line + 1}: a recursive alias is not allowed")
        active.add(key)
        if isinstance(n, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            total = 1 + sum(size(v) for v in n.value)
        else:
            total = 1
        active.discard(key)
        if total > MAX_YAML_NODES:
            raise ConfigError(f"{where}: {total} nodes after expanding aliases is not allowed; "
                              f"allowed: at most {MAX_YAML_NODES}")
        sizes[key] = total
        return total

    return size(node)


def load_config(path: str | Path, model: type[M]) -> M:
    """Read and validate a YAML config file."""
    data = read_yaml(path)
    if data is None:
        data = {}
    return validate(model, data, str(path))
