"""Benchmark scripts and their data generator (see bench/README.md)."""
