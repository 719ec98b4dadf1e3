"""Benchmarks, run by hand (`python -m bench.<name>`); results are committed under bench/results/."""
