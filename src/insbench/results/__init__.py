"""Result records (versioned JSON), plots and the terminal summary."""

from insbench.results.records import RESULT_SCHEMA_VERSION, ResultsStore, record_path

__all__ = ["RESULT_SCHEMA_VERSION", "ResultsStore", "record_path"]
