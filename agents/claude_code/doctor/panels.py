"""Which panels and variables of a compiled dashboard a finding breaks, read from their queries.

Each Prometheus target is reduced to the logical metrics it reads (a Claude
Code counter name, raw or inside a recording rule's name, or a span-metrics
name) and the labels it uses (matchers, `by`/`on` lists). A finding's
`Breaks` is matched against that, so the mapping follows the dashboard as
it is built, not a list of titles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from agents.claude_code.telemetry import Profile
from ccdash.check.doctor.findings import SPANS, Breaks
from ccdash.check.interpolate import prometheus_targets

_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")


@dataclass(frozen=True)
class TargetUse:
    panel: str
    metrics: frozenset[str]
    labels: frozenset[str]
    matchers: tuple[tuple[str, str, str], ...]  # (label, operator, value)
    recorded: bool = False  # reads ccdash's recording rules


def _names(name: str) -> re.Pattern:
    return re.compile(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])")


def target_uses(model: Mapping, profile: Profile) -> list[TargetUse]:
    """Every Prometheus target of the dashboard, as the metrics and labels it reads."""
    return [
        _use(panel["title"], target.get("expr", ""), profile)
        for panel, target in prometheus_targets(model)
    ]


def rule_uses(groups: list[dict], profile: Profile) -> list[TargetUse]:
    """ccdash's recording rules, read like targets: their filters apply before any panel's."""
    return [
        _use(f"recording rule {rule['record']}", rule["expr"], profile)
        for group in groups
        for rule in group.get("rules", [])
        if "record" in rule
    ]


def _use(title: str, expr: str, profile: Profile) -> TargetUse:
    spans = profile.spans
    metrics = {key for key, name in profile.names.items() if _names(name).search(expr)}
    if any(name in expr for name in (spans.calls, spans.latency_bucket)):
        metrics.add(SPANS)
    # The metric name is not a label (ccdash's selectors also match it by `__name__`).
    matchers = tuple(m.groups() for m in _MATCHER.finditer(expr) if m.group(1) != "__name__")
    labels = {m[0] for m in matchers}
    for group in _GROUPING.findall(expr):
        labels |= {part.strip() for part in group.split(",") if part.strip()}
    return TargetUse(title, frozenset(metrics), frozenset(labels), matchers, "ccdash:" in expr)


def affected(uses: list[TargetUse], breaks: Breaks) -> list[str]:
    """Titles of panels with a target reading a broken metric (with a broken label, if any)."""
    titles: list[str] = []
    for use in uses:
        if not use.metrics & breaks.metrics:
            continue
        if breaks.labels and not use.labels & breaks.labels:
            continue
        if breaks.recorded and not use.recorded:
            continue
        if use.panel not in titles:
            titles.append(use.panel)
    return titles


def affected_variables(model: Mapping, profile: Profile, breaks: Breaks) -> list[str]:
    """Names of template variables whose query reads a broken metric."""
    if breaks.recorded:  # variables list label values of the raw series
        return []
    names = [profile.names[k] for k in breaks.metrics if k in profile.names]
    found = []
    for variable in model.get("templating", {}).get("list", []):
        query = variable.get("query")
        query = query.get("query", "") if isinstance(query, dict) else str(query or "")
        if not any(_names(n).search(query) for n in names):
            continue
        if breaks.labels and not any(_names(label).search(query) for label in breaks.labels):
            continue
        found.append(variable["name"])
    return found
