"""Tests of insbench.results: store index, leaderboard, bootstrap, gate, submissions, cost."""
