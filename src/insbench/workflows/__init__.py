"""Orchestration: the only layer that runs physics and scores it with metrics.

cache (content-hash stage cache), cases (which benchmark cases exist), pipeline
(relax -> phonons -> spectrum with the cache), evaluate / evaluate_pressure / md_pipeline
(run + reference -> scores -> one record each), pressure (two-pressure mode analysis),
session (one run's state). plugin.py and cli only wire into these.
"""
