"""Benchmarking: metrics (local `evaluate` modules), baselines, runner and plots."""
