"""Telemetry packs: one agent's metric catalogue, profile, doctor checks and simulator each."""
