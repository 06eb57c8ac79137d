"""Machinery shared by the simulator families: the vectorised family base every family builds on
(:mod:`.family`), technology tables (energy per access, area), array-module helpers that let one
vectorised code path run on numpy or torch, and the memory-hierarchy roofline."""

from simulators.common.technology import TECH_NODES, TechNode, get_tech

__all__ = ["TECH_NODES", "TechNode", "get_tech"]
