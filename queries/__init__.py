"""PromQL and TraceQL for Claude Code's telemetry, written once as functions of a Profile."""
