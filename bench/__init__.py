"""Benchmarks (run as modules: `python -m bench.<name>`); figures are measured, never asserted."""
