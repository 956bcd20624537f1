"""ccdash: Claude Code monitoring as Grafana dashboards-as-code."""

__version__ = "0.1.0"
