"""The archgym application: the command line, sweeps, executors, reports and summaries.

The only part of archgym that may import every layer (simulators, envs, agents, cost_models);
the core (``archgym``) imports none of them.
"""
