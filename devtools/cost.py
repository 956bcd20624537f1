"""What one refresh of a dashboard costs the Prometheus behind it.

A wall screen refreshing every minute runs every panel's queries again and
again; the figure that matters is the time Prometheus spends on one whole
refresh, and which panels dominate it. Measured here as Grafana runs a
refresh (`ccdash.check.evaluate`), one query after another, over HTTP on the
same machine, median of several refreshes after a warm-up.
"""

from __future__ import annotations

import statistics
import time as clock
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ccdash.check.evaluate import evaluate
from ccdash.check.promapi import PrometheusClient


@dataclass(frozen=True)
class RefreshCost:
    """Median seconds of a whole refresh and of each panel (all its targets), over the runs."""

    total: float
    panels: dict[str, float]
    runs: int
    failed: tuple[str, ...] = ()

    def slowest(self, n: int = 5) -> list[tuple[str, float]]:
        return sorted(self.panels.items(), key=lambda item: (-item[1], item[0]))[:n]


def refresh_cost(
    model: Mapping,
    client: PrometheusClient,
    at: float,
    range_s: float,
    runs: int = 5,
    warmup: int = 1,
) -> RefreshCost:
    """Time `runs` refreshes of every panel after `warmup` untimed ones (caches, page cache)."""
    for _ in range(warmup):
        evaluate(model, client, at, range_s)
    totals = []
    per_panel: dict[str, list[float]] = defaultdict(list)
    failed: set[str] = set()
    for _ in range(runs):
        evals = evaluate(model, client, at, range_s)
        totals.append(sum(e.seconds for e in evals))
        panel_seconds: dict[str, float] = defaultdict(float)
        for e in evals:
            panel_seconds[e.panel_title] += e.seconds
            if e.result.error:
                failed.add(e.panel_title)
        for title, seconds in panel_seconds.items():
            per_panel[title].append(seconds)
    return RefreshCost(
        statistics.median(totals),
        {title: statistics.median(times) for title, times in per_panel.items()},
        runs,
        tuple(sorted(failed)),
    )


def query_cost(
    client: PrometheusClient, expr: str, at: float, runs: int = 5, warmup: int = 1
) -> float:
    """Median seconds of one instant query (for formulations no panel uses, such as peers')."""
    times = []
    for i in range(warmup + runs):
        started = clock.perf_counter()
        result = client.query(expr, at)
        if result.error:
            raise ValueError(f"{result.error}: {expr}")
        if i >= warmup:
            times.append(clock.perf_counter() - started)
    return statistics.median(times)


def together_seconds(
    models: list[Mapping], url: str, at: float, range_s: float, runs: int = 5
) -> float:
    """Wall time of refreshing several dashboards at once (one screen each, each panel
    after the other), median of `runs` after a warm-up."""
    clients = [PrometheusClient(url) for _ in models]

    def refresh(i: int) -> None:
        evaluate(models[i], clients[i], at, range_s)

    times = []
    with ThreadPoolExecutor(len(models)) as pool:
        list(pool.map(refresh, range(len(models))))
        for _ in range(runs):
            start = clock.perf_counter()
            list(pool.map(refresh, range(len(models))))
            times.append(clock.perf_counter() - start)
    return statistics.median(times)
