"""ccdash: AI coding agents' telemetry as Grafana dashboards-as-code (the engine)."""

__version__ = "0.1.0"
