"""Silencing stable-baselines3's default logger, for every place that builds an SB3 model."""

from __future__ import annotations

from typing import Any


def quiet(model: Any) -> Any:
    """``model`` with a logger that writes nothing: without one, every ``learn`` of an SB3
    model makes an ``SB3-<date>`` folder in the temp directory."""
    from stable_baselines3.common.logger import Logger

    model.set_logger(Logger(folder=None, output_formats=[]))
    return model
