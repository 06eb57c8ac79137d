"""Heterogeneous multi-task accelerators: K sub-accelerators from dataflow templates (output,
weight or row stationary) on the loop-nest model, per (network, sub-accelerator) latency/energy
tables, and the vectorised per-task metrics of whole batches of designs (docs/nasaic.md)."""

from simulators.hetero.multitask import combine
from simulators.hetero.tables import Table, table
from simulators.hetero.templates import TEMPLATE_NAMES, TEMPLATES, SubAccel, machine

__all__ = ["TEMPLATES", "TEMPLATE_NAMES", "SubAccel", "Table", "combine", "machine", "table"]
