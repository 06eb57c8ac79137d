"""User-facing errors: each carries a one-line message naming the field and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable


class ArchGymError(Exception):
    """Base class for errors that the CLI prints as one line (no traceback)."""


class ConfigError(ArchGymError, ValueError):
    """A bad value in a config file, a CLI flag or an API argument."""

    @classmethod
    def bad_value(cls, field: str, value: object, allowed: Iterable[object] | str, where: str = "") -> ConfigError:
        allowed_text = allowed if isinstance(allowed, str) else ", ".join(str(a) for a in allowed)
        prefix = f"{where}: " if where else ""
        return cls(f"{prefix}{field}: {value!r} is not allowed; allowed: {allowed_text}")


class UnknownNameError(ConfigError, KeyError):
    """An unknown simulator, preset, workload, env or agent name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
