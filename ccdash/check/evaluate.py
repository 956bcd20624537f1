"""Run a compiled dashboard's Prometheus targets the way Grafana would.

Macros and variables are interpolated by `ccdash.check.interpolate`; instant targets
run at the end of the range; range targets use the panel's `$__interval` as
the step, with start and end aligned down to the step as Grafana aligns them.
"""

from __future__ import annotations

import math
import re
import time as clock
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ccdash.check.interpolate import ALL, Interpolator, Interval, prometheus_targets, variables_of
from ccdash.check.promapi import PrometheusClient, QueryResult
from ccdash.errors import PrometheusError

# Grafana's default for a panel without maxDataPoints: about its width in pixels.
DEFAULT_MAX_DATA_POINTS = 1000


@dataclass(frozen=True)
class TargetEval:
    panel_id: int
    panel_title: str
    panel_type: str
    ref_id: str
    expr: str
    instant: bool
    result: QueryResult
    seconds: float  # wall time of the HTTP query: what this target cost Prometheus


def evaluate(
    model: Mapping,
    client: PrometheusClient,
    time: float,
    range_s: float,
    values: Mapping[str, object] | None = None,
    scrape_interval: float = 15.0,
    progress: Callable[[Iterable], Iterable] = lambda items: items,
) -> list[TargetEval]:
    """Every Prometheus target of the dashboard, one after another, like one refresh."""
    variables = variables_of(model)
    chosen = {name: (values or {}).get(name, ALL) for name in variables}
    chosen.update(query_values(model, client, time, range_s))
    interpolate = Interpolator(variables, chosen)
    results = []
    for panel, target in progress(prometheus_targets(model)):
        interval = Interval.for_panel(
            range_s,
            int(panel.get("maxDataPoints") or DEFAULT_MAX_DATA_POINTS),
            target.get("interval") or panel.get("interval"),
            scrape_interval,
        )
        expr = interpolate(target["expr"], interval)
        instant = bool(target.get("instant"))
        started = clock.perf_counter()
        if instant:
            result = client.query(expr, time)
        else:
            step = interval.interval_s
            start = math.floor((time - range_s) / step) * step
            end = math.floor(time / step) * step
            result = client.query_range(expr, start, end, step)
        seconds = clock.perf_counter() - started
        results.append(
            TargetEval(
                panel["id"],
                panel["title"],
                panel["type"],
                target["refId"],
                expr,
                instant,
                result,
                seconds,
            )
        )
    return results


def query_values(
    model: Mapping, client: PrometheusClient, time: float, range_s: float
) -> dict[str, str]:
    """The values Grafana gives the dashboard's `query_result()` variables for this range.

    Grafana runs the query as an instant query at the range's end, renders
    each series as `name{label="value",...} value timestamp_ms`, and keeps
    the regex's first group of the first match.
    """
    variables = variables_of(model)
    interpolate = Interpolator(variables)
    found = {}
    for name, var in variables.items():
        match = re.fullmatch(r"query_result\((.*)\)", var.query.strip(), re.S)
        if not match:
            continue
        expr = interpolate(match.group(1), Interval.for_panel(range_s))
        result = client.query(expr, time)
        if result.error:
            raise PrometheusError(f"variable {name}: {result.error}")
        pattern = re.compile(var.regex.strip("/")) if var.regex else None
        for series in result.series:
            metric = dict(series["metric"])
            text = metric.pop("__name__", "")
            text += "{" + ",".join(f'{k}="{v}"' for k, v in metric.items()) + "}"
            text += f" {series['value'][1]} {int(float(series['value'][0]) * 1000)}"
            hit = pattern.search(text) if pattern else None
            if pattern is None or hit:
                found[name] = hit.group(1) if hit and hit.groups() else text
                break
    return found


def instant_value(result: QueryResult) -> float | None:
    """The value of a single-series instant result (None when empty)."""
    if not result.series:
        return None
    return sum(float(s["value"][1]) for s in result.series)


def instant_by(result: QueryResult, label: str) -> dict[str, float]:
    """Values of an instant result keyed by one label, summed over the other labels."""
    out: dict[str, float] = {}
    for s in result.series:
        key = s["metric"].get(label, "")
        out[key] = out.get(key, 0.0) + float(s["value"][1])
    return out
