"""A trained policy on disk: ``DIR/model.zip`` (stable-baselines3's own format) and
``DIR/spec.json``, the environment it was trained on (env id, kwargs, workload) and the versions
that produced it (archgym, the simulator's model, stable-baselines3). ``archgym train --out DIR``
writes it, ``archgym propose --model DIR`` reads it; nothing else in DIR is read."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from archgym.errors import ConfigError

MODEL_FILE = "model.zip"
SPEC_FILE = "spec.json"
FORMAT = "archgym-trained-policy"
FORMAT_VERSION = 1


@dataclass
class TrainedSpec:
    """What :func:`save` records next to the model: enough to rebuild the env it was trained on."""

    env_id: str
    env_kwargs: dict[str, Any]
    algo: str
    steps: int
    seed: int
    n_envs: int
    simulator: str
    workload: str
    fidelity: str
    model_version: str
    archgym_version: str
    sb3_version: str
    best: dict[str, Any] | None = None
    format: str = FORMAT
    format_version: int = FORMAT_VERSION


def save(model: Any, spec: TrainedSpec, out: str | Path) -> Path:
    """Write ``model`` (an SB3 algorithm) and ``spec`` under ``out``; returns ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / MODEL_FILE)
    (folder / SPEC_FILE).write_text(json.dumps(asdict(spec), indent=2, default=str) + "\n")
    return folder


def load_spec(folder: str | Path) -> TrainedSpec:
    """The spec of a saved policy; a missing or foreign folder is one :class:`ConfigError` line."""
    folder = Path(folder)
    path = folder / SPEC_FILE
    if not (folder / MODEL_FILE).is_file() or not path.is_file():
        raise ConfigError(f"--model: {str(folder)!r} holds no trained policy (expected {MODEL_FILE} and "
                          f"{SPEC_FILE}, written by `archgym train --out DIR`)")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError.bad_value(f"{path}: format", data.get("format") if isinstance(data, dict) else data,
                                    (FORMAT,))
    if data.get("format_version") != FORMAT_VERSION:
        raise ConfigError.bad_value(f"{path}: format_version", data.get("format_version"), (FORMAT_VERSION,))
    names = set(TrainedSpec.__dataclass_fields__)
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError.bad_value(f"{path}: field", unknown[0], sorted(names))
    try:
        return TrainedSpec(**data)
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
