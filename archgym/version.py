"""The archgym package version: the one place it is written (pyproject reads it), recorded in
every run-store row as ``package_version``."""

__version__ = "0.1.0"
