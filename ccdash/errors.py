"""Errors the CLI turns into one clear line and an exit code, never a traceback."""


class CcdashError(Exception):
    """Base of every error ccdash reports to the user."""

    exit_code = 2


class ConfigError(CcdashError):
    """`ccdash.yaml` or a command-line option is wrong."""


class DashboardError(CcdashError):
    """A dashboard module failed to import, build or compile; the message names file and line."""


class OutputError(CcdashError):
    """A generated output is invalid (too large, bad name) and was not written."""


class PrometheusError(CcdashError):
    """Prometheus could not be reached, refused a query, or answered something unreadable."""

    exit_code = 3
