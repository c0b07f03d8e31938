"""Benchmark scripts (run them as files: python bench/suite.py)."""
