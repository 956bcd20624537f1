"""Tooling for tests and scripts, never installed: Prometheus, backfill, figures, Grafana."""
