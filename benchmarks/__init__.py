"""Benchmarks and the behavioural suite (not part of the installed package)."""
