"""The registered ``archgym/`` environment ids (defined in the core, :mod:`archgym.envids`, so that
``import archgym`` registers them).

``gymnasium.make(ID, workload=..., objective=..., fidelity=..., store=..., mode=..., ...)`` builds a
:class:`~envs.design_env.DesignEnv`; ``gymnasium.make_vec(ID, num_envs=N)`` builds a
:class:`~envs.vector.DesignVectorEnv` whose sub-environments share one evaluator, so each step is
one batched ``evaluate_batch`` call. Every id is registered whether or not its simulator package
is present; making one whose simulator package fails to import raises that ImportError.
"""

from archgym.envids import ENTRIES, ENV_IDS, NAMESPACE, EnvEntry, entry, register_all

__all__ = ["ENTRIES", "ENV_IDS", "NAMESPACE", "EnvEntry", "entry", "register_all"]
