"""Alerting rules evaluated the way Prometheus' rule manager fires them, on a served TSDB."""

from __future__ import annotations

from ccdash.check.interpolate import parse_duration
from ccdash.check.promapi import PrometheusClient

EVALUATION_STEP = 60.0


def firing(client: PrometheusClient, rule: dict, at: float) -> list[dict[str, str]]:
    """The label sets `rule` fires for at `at`: its expression true at every evaluation
    of its `for` window (a gap restarts the wait), as Prometheus requires."""
    hold = parse_duration(rule.get("for", "0s"))
    result = client.query_range(rule["expr"], at - hold, at, EVALUATION_STEP)
    if result.error:
        raise ValueError(f"{rule['alert']}: {result.error}")
    steps = round(hold / EVALUATION_STEP) + 1
    return [s["metric"] for s in result.series if len(s["values"]) == steps]


def ever_true(
    client: PrometheusClient, rule: dict, start: float, end: float, step: float
) -> list[float]:
    """The times in [start, end] at which `rule`'s expression held (before any `for`)."""
    result = client.query_range(rule["expr"], start, end, step)
    if result.error:
        raise ValueError(f"{rule['alert']}: {result.error}")
    return sorted({float(t) for s in result.series for t, _ in s["values"]})
