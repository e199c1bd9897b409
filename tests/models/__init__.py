"""Tests of insbench.models (a package so test module names cannot clash with other test directories)."""
