"""Checks against a live Prometheus: interpolation, evaluation, verify, the doctor's report."""
