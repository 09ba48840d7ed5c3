"""Benchmarks: scripts that print figures. Run them with `python -m tests.benchmarks.<name>`."""
