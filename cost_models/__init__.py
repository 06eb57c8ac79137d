"""Learned proxy cost models: fit from a run store, serve as a simulator, search with them.

Modules: :mod:`.features` (design × workload → features), :mod:`.models` (RF / GBM / MLP / GP,
saved as JSON + safetensors), :mod:`.data` (read or collect a run store), :mod:`.proxy`
(:class:`~cost_models.proxy.ProxyModel`, the ``proxy:DIR`` simulator), :mod:`.fit` (held-out
scores and speed-up); the ``proxy-screen`` agent that searches with them is
:mod:`agents.screening`. See ``cost_models/README.md``.
Nothing heavy is imported here: torch, scikit-learn and BoTorch load on first use.
"""
