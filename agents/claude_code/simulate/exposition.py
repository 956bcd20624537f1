"""The samples a fleet leaves in Prometheus, written as OpenMetrics for `promtool`.

Claude Code's counters reach Prometheus through the collector's `prometheus`
exporter: each process exports cumulative values every 60 s (and at exit);
the exporter holds the latest value per series and re-exposes it at every
15 s scrape until `metric_expiration` passes without an update. Processes
that share a series (a resumed session, or no session id) overwrite each
other's values, which Prometheus sees as counter resets.

Span metrics are written by Tempo's metrics-generator every 15 s from the
series' creation until 15 minutes after its last span (then the series goes
stale and a later span creates it again from 0).

The output is one OpenMetrics file per two-hour block (`devtools.openmetrics`).
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from agents.claude_code.simulate.fleet import Fleet, Process, Span
from agents.claude_code.simulate.scenarios import Scenario
from agents.claude_code.telemetry import (
    SPAN_KIND,
    SPAN_LATENCY_BUCKETS,
    SPAN_LLM_REQUEST,
    SPAN_TOOL,
    STATUS_ERROR,
    STATUS_OK,
    Profile,
)
from devtools.openmetrics import BlockWriter, Labels

SCRAPE_INTERVAL = 15
SCRAPE_OFFSET = 7  # scrapes at 7 s past each 15 s step, never on an export instant
SPAN_COLLECTION_INTERVAL = 15
SPAN_COLLECTION_OFFSET = 3
SPAN_STALE = 15 * 60
INSTANCE = "otel-collector:8889"
COLLECTOR_JOB = "otel-collector"


def first_scrape_after(t: float) -> int:
    """The first scrape that sees a value exported at t."""
    k = math.floor((t - SCRAPE_OFFSET) / SCRAPE_INTERVAL) + 1
    return SCRAPE_OFFSET + k * SCRAPE_INTERVAL


def first_held_after(t: float, gaps: list[tuple[float, float]]) -> int:
    """The first scrape that stores a value exported at t, when scrapes in `gaps` fail."""
    s = first_scrape_after(t)
    for a, b in gaps:
        if a <= s < b:
            s = first_scrape_after(b - 1)
            while s < b:
                s += SCRAPE_INTERVAL
    return s


def first_collection_after(t: float) -> int:
    k = math.floor((t - SPAN_COLLECTION_OFFSET) / SPAN_COLLECTION_INTERVAL) + 1
    return SPAN_COLLECTION_OFFSET + k * SPAN_COLLECTION_INTERVAL


@dataclass(frozen=True)
class Export:
    """One process's cumulative value of one stream at one export."""

    time: float
    value: float
    process: Process
    stream: tuple[str, Labels]


def process_labels(p: Process, profile: Profile, include_session_id: bool) -> dict[str, str]:
    labels = {
        "job": p.user.service,
        "instance": INSTANCE,
        "user_id": p.user.id,
        "organization_id": "org-0001",
        "terminal_type": p.user.terminal,
        "host_name": p.user.host,
    }
    if include_session_id:
        labels["session_id"] = p.session_id
    if p.user.email:
        labels["user_email"] = p.user.email
    if p.user.team:
        labels[profile.attribution_label] = p.user.team
    return labels


def stream_labels(key: str, extra: Labels, profile: Profile) -> dict[str, str]:
    labels = dict(extra)
    if key == "tokens":
        labels[profile.token_label] = profile.token_type(labels.pop("type"))
    return labels


def pipeline_profile(scenario: Scenario, profile: Profile) -> Profile:
    """The profile the simulated pipeline writes: the dashboard's, unless a fault knob differs."""
    changes = {}
    if scenario.token_label:
        changes["token_label_schema"] = scenario.token_label
    if scenario.span_flavour:
        changes["span_metrics"] = scenario.span_flavour
    return replace(profile, **changes) if changes else profile


def exports(fleet: Fleet, profile: Profile) -> dict[tuple[str, Labels], list[Export]]:
    """Every export of every series, keyed by (metric name, labels), in time order.

    With delta temporality an export carries only what the stream grew since
    the process's previous export, and a stream that did not grow is not exported.
    """
    result: dict[tuple[str, Labels], list[Export]] = defaultdict(list)
    include = fleet.scenario.include_session_id
    delta = fleet.scenario.temporality == "delta"
    for process in fleet.processes:
        base = process_labels(process, profile, include)
        totals: dict[tuple[str, Labels], float] = {}
        keys: dict[tuple[str, Labels], tuple[str, Labels]] = {}
        increments = process.increments
        i = 0
        for t in process.export_times():
            grown: dict[tuple[str, Labels], float] = {}
            while i < len(increments) and increments[i][0] <= t:
                _, key, extra, amount = increments[i]
                stream = (key, extra)
                totals[stream] = totals.get(stream, 0) + amount
                grown[stream] = grown.get(stream, 0) + amount
                if stream not in keys:
                    labels = {**base, **stream_labels(key, extra, profile)}
                    keys[stream] = (profile.metric(key), tuple(sorted(labels.items())))
                i += 1
            for stream, value in (grown if delta else totals).items():
                result[keys[stream]].append(Export(t, value, process, stream))
    for series in result.values():
        series.sort(key=lambda e: e.time)
    return result


def exposed_samples(
    series: list[Export], expiration: float, until: float, since: float = 0.0
) -> Iterator[tuple[int, float]]:
    """(scrape time, value) pairs Prometheus stores for one series, from `since` to `until`."""
    for i, export in enumerate(series):
        following = series[i + 1].time if i + 1 < len(series) else until
        s = max(first_scrape_after(export.time), first_scrape_after(since - 1))
        while s <= following and s <= until and s - export.time < expiration:
            yield s, export.value
            s += SCRAPE_INTERVAL


@dataclass
class _SpanSeries:
    labels: Labels
    times: list[int]
    buckets: list[list[int]]
    sums: list[float]
    counts: list[int]


def span_series(fleet: Fleet, profile: Profile) -> list[_SpanSeries]:
    """Cumulative histogram and call counts per span-metric series, at each collection."""
    flavour = profile.spans
    dimensions = fleet.scenario.span_dimensions
    grouped: dict[Labels, list[Span]] = defaultdict(list)
    for span in fleet.spans:
        labels = {
            flavour.service_label: span.service,
            "span_name": span.name,
            "span_kind": SPAN_KIND,
            "status_code": STATUS_ERROR if span.error else STATUS_OK,
        }
        if span.name == SPAN_LLM_REQUEST and "model" in dimensions:
            labels["model"] = span.model
        if span.name == SPAN_TOOL and "tool_name" in dimensions:
            labels["tool_name"] = span.tool_name
        grouped[tuple(sorted(labels.items()))].append(span)
    result = []
    for labels, spans in sorted(grouped.items()):
        result.append(_collect(labels, spans, fleet.end))
    return result


def _collect(labels: Labels, spans: list[Span], until: float) -> _SpanSeries:
    """Tempo's registry: a new series is written first as 0 (Tempo 2.1+, so that
    `increase()` sees its first spans), then its cumulative values each collection."""
    out = _SpanSeries(labels, [], [], [], [])
    n_buckets = len(SPAN_LATENCY_BUCKETS)
    buckets = [0] * (n_buckets + 1)
    total = 0.0
    count = 0
    last_span = -math.inf
    i = 0
    c = first_collection_after(spans[0].end)
    fresh = True
    while c <= until:
        if i >= len(spans) and c - last_span >= SPAN_STALE:
            break
        if c - last_span >= SPAN_STALE and count:
            # Stale: the series is dropped; the next span starts it again from 0.
            buckets = [0] * (n_buckets + 1)
            total, count = 0.0, 0
            c = first_collection_after(spans[i].end)
            fresh = True
        if fresh:
            out.times.append(c - 1)
            out.buckets.append([0] * (n_buckets + 1))
            out.sums.append(0.0)
            out.counts.append(0)
            fresh = False
        while i < len(spans) and spans[i].end < c:
            span = spans[i]
            buckets[bisect.bisect_left(SPAN_LATENCY_BUCKETS, span.duration)] += 1
            total += span.duration
            count += 1
            last_span = span.end
            i += 1
        cumulative, running = [], 0
        for b in buckets:
            running += b
            cumulative.append(running)
        out.times.append(c)
        out.buckets.append(cumulative)
        out.sums.append(total)
        out.counts.append(count)
        c += SPAN_COLLECTION_INTERVAL
    return out


def write_openmetrics(
    fleet: Fleet, profile: Profile, directory: Path, since: float = 0.0
) -> tuple[list[Path], int]:
    """Write the fleet's samples under `directory`; returns the files and the sample count.

    `since` leaves out the samples before it (spans included): what a week
    with a long `metric_expiration` holds at its end, without the week.
    """
    scenario = fleet.scenario
    profile = pipeline_profile(scenario, profile)
    writer = BlockWriter(directory, scenario.name, scenario.outage_spans)
    by_family: dict[str, list[tuple[Labels, list[Export]]]] = defaultdict(list)
    for (name, labels), series in exports(fleet, profile).items():
        by_family[name].append((labels, series))
    expiration = scenario.metric_expiration
    # A collector that goes down takes every later sample of Claude Code's counters with it.
    until = fleet.end
    if scenario.collector_down_at is not None:
        until = scenario.start + scenario.collector_down_at * 3600
    for name in sorted(by_family):
        writer.start_family(name)
        for labels, series in sorted(by_family[name], key=lambda item: item[0]):
            writer.write(name, labels, exposed_samples(series, expiration, until, since))
    if scenario.span_metrics and not since:
        _write_spans(writer, span_series(fleet, profile), profile)
    if scenario.collector_down_at is not None:
        _write_up(writer, scenario.start, until, fleet.end)
    return writer.close(), writer.samples


def _write_up(writer: BlockWriter, start: float, down: float, end: float) -> None:
    """Prometheus's own `up` for the collector's target: 1 while it answers, then 0."""
    writer.start_family("up")
    labels = (("instance", INSTANCE), ("job", COLLECTOR_JOB))
    first = first_scrape_after(start)
    scrapes = range(first, int(end) + 1, SCRAPE_INTERVAL)
    writer.write("up", labels, ((s, 1 if s <= down else 0) for s in scrapes))


def _write_spans(writer: BlockWriter, series: list[_SpanSeries], profile: Profile) -> None:
    flavour = profile.spans
    scale = 1 / flavour.to_seconds
    bounds = [*(f"{b * scale:g}" for b in SPAN_LATENCY_BUCKETS), "+Inf"]
    writer.start_family(flavour.latency_bucket)
    for s in series:
        for index, bound in enumerate(bounds):
            labels = tuple(sorted((*s.labels, ("le", bound))))
            writer.write(
                flavour.latency_bucket,
                labels,
                zip(s.times, (b[index] for b in s.buckets), strict=True),
            )
    for family, values in (
        (flavour.latency_sum, lambda s: (v * scale for v in s.sums)),
        (flavour.latency_count, lambda s: iter(s.counts)),
        (flavour.calls, lambda s: iter(s.counts)),
    ):
        writer.start_family(family)
        for s in series:
            writer.write(family, s.labels, zip(s.times, values(s), strict=True))
