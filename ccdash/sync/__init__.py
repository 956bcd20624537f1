"""Sync with a live Grafana over its HTTP API: client, normalisation, plan, push."""
