"""Orchestration: the only layer that runs physics and scores it with metrics.

cache (content-hash stage cache), cases (which benchmark cases exist), pipeline
(relax -> phonons -> spectrum with the cache), evaluate / evaluate_pressure / md_pipeline /
cost (run + reference -> scores -> a CaseResult through the one writer,
results.records.write_case, with the comparability block of recording), pressure
(two-pressure mode analysis), session (one run's state and thread limits), parallel /
distributed (xdist groups, Dask), rerun (re-running submitted cases for ``insbench
verify``). plugin.py and the CLI modules only wire into these.
"""
