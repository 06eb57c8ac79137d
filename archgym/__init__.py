"""archgym: a design-space exploration gym for hardware accelerators.

``import archgym`` is light (numpy, networkx, gymnasium's registry): the vocabulary every layer
speaks — design spaces, workloads, metrics and objectives, the run store, configs — and the front
door (:func:`get_simulator`, :func:`get_workload`). It registers the ``archgym/`` Gymnasium ids
(:data:`archgym.envids.ENV_IDS`), so ``gymnasium.make("archgym/Systolic-v1")`` needs nothing else.
"""

from archgym.envids import ENV_IDS, register_all
from archgym.errors import ArchGymError, ConfigError
from archgym.metrics import METRICS, BatchResult, Objective, Result
from archgym.simulator import Simulator, get_simulator
from archgym.space import Constraint, DesignSpace, Param, categorical, int_range, ordinal, pow2
from archgym.store import EvalRecord, RunStore
from archgym.version import __version__
from archgym.workload import Gemm, Op, Workload, get_workload

register_all()

__all__ = [
    "ENV_IDS",
    "METRICS",
    "__version__",
    "ArchGymError",
    "BatchResult",
    "ConfigError",
    "Constraint",
    "DesignSpace",
    "EvalRecord",
    "Gemm",
    "Objective",
    "Op",
    "Param",
    "Result",
    "RunStore",
    "Simulator",
    "Workload",
    "categorical",
    "get_simulator",
    "get_workload",
    "int_range",
    "ordinal",
    "pow2",
]
