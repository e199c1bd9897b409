"""Result records (one writer, versioned JSON + NetCDF spectra), plots, leaderboard, gate, bundles.

Never runs a model and never imports physics or workflows (tests/test_layering.py).
"""

from insbench.results.records import (
    RESULT_SCHEMA_VERSION,
    CaseResult,
    Comparability,
    ResultsStore,
    comparability_key,
    record_path,
    write_case,
)

__all__ = ["RESULT_SCHEMA_VERSION", "CaseResult", "Comparability", "ResultsStore", "comparability_key",
           "record_path", "write_case"]
