"""A loop-nest cost model with Timeloop/ZigZag semantics (see docs/loopnest.md).

Layers are loop nests over ``DIMS``; hardware is a PE array under per-operand memory
hierarchies; a mapping is a spatial unrolling plus one ordered sequence of temporal loops that
each operand's memories cut bottom-up. Access counts, latency and energy are closed-form and
vectorised over thousands of mappings of one layer (:mod:`.cost`); :mod:`.search` picks each
layer's best mapping; :mod:`.walk` re-derives the counts by walking the loops, as a check.
"""

from simulators.loopnest.simulator import LoopNestSimulator

__all__ = ["LoopNestSimulator"]
