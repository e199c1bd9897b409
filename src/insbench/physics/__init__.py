"""Physics stages: pure functions over ase.Atoms and calculators.

No caching, no pytest, no metrics here: ``insbench.workflows.pipeline`` composes these stages
with the cache and records timings.
"""
