"""Benchmarks and synthetic data generators for semicon-nl."""
