"""`ccdash verify`: evaluate every panel against a Prometheus and say which are empty and why.

The answer to "why is my dashboard empty" in one command: each panel is OK,
has no data, or fails (with the query that failed), and when nothing at all
matches, the metric names actually present are compared with every known
naming profile so the fix is named.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ccdash.evaluate import TargetEval, evaluate
from ccdash.promapi import PrometheusClient
from ccdash.telemetry import NAMINGS, Profile

OK, NO_DATA, ERROR = "ok", "no data", "error"


@dataclass
class PanelVerdict:
    panel_id: int
    title: str
    status: str
    failed_query: str = ""
    error: str = ""


@dataclass
class Report:
    dashboard: str
    panels: list[PanelVerdict]
    hints: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(p.status == ERROR for p in self.panels)

    @property
    def empty(self) -> int:
        return sum(p.status == NO_DATA for p in self.panels)


def verdicts(evals: Iterable[TargetEval]) -> list[PanelVerdict]:
    """One verdict per panel: error if any target failed, no data if all were empty."""
    panels: dict[int, PanelVerdict] = {}
    for e in evals:
        verdict = panels.setdefault(e.panel_id, PanelVerdict(e.panel_id, e.panel_title, NO_DATA))
        if verdict.status == ERROR:
            continue
        if e.result.error:
            panels[e.panel_id] = PanelVerdict(
                e.panel_id, e.panel_title, ERROR, e.expr, e.result.error
            )
        elif not e.result.empty:
            verdict.status = OK
    return list(panels.values())


def verify(
    model: dict,
    client: PrometheusClient,
    profile: Profile,
    time: float,
    range_s: float,
    progress: Callable[[Iterable], Iterable] = lambda x: x,
) -> Report:
    evals = evaluate(model, client, time, range_s, progress=progress)
    report = Report(model["title"], verdicts(evals))
    if report.empty:
        report.hints = diagnose(client, profile, time, range_s)
    return report


def matching_naming(names: set[str]) -> str | None:
    """The naming profile that explains most of the given metric names (names overlap)."""
    scores = {n: len(names & set(table.values())) for n, table in NAMINGS.items()}
    best = max(scores, key=lambda n: (scores[n], n == "collector"))
    return best if scores[best] else None


def diagnose(client: PrometheusClient, profile: Profile, time: float, range_s: float) -> list[str]:
    """Explain empty panels: wrong naming profile, missing rules, or no Claude Code data at all."""
    window = f"{int(range_s)}s"
    present = client.query(
        f'count by (__name__) (last_over_time({{__name__=~"claude_code.+|ccdash:.+|traces_.+"}}'
        f"[{window}]))",
        time,
    )
    names = {s["metric"].get("__name__", "") for s in present.series}
    hints = []
    claude = {n for n in names if n.startswith("claude_code")}
    if not claude:
        hints.append(
            "no Claude Code metrics (claude_code_*) at all in the range: check that "
            "CLAUDE_CODE_ENABLE_TELEMETRY=1 and OTEL_METRICS_EXPORTER=otlp reach Claude "
            "Code and that the collector is scraped (`ccdash doctor` checks more)"
        )
    elif not claude & set(profile.names.values()):
        match = matching_naming(claude)
        found = ", ".join(sorted(claude)[:3])
        if match:
            hints.append(
                f"the dashboard was built for the '{profile.naming}' naming, but this "
                f"Prometheus has {found}, which is the '{match}' naming: rebuild "
                f"with `ccdash build --profile {match}`"
            )
        else:
            hints.append(
                f"Claude Code metrics are present ({found}) under names no ccdash profile knows"
            )
    elif profile.recording_rules and not any(n.startswith("ccdash:") for n in names):
        hints.append(
            "Claude Code metrics are present but ccdash's recording rules are not: load "
            "rules/claude-code.rules.yml into Prometheus (rule_files) or build with "
            "`recording_rules: false` in ccdash.yaml"
        )
    spans = {profile.spans.calls, profile.spans.latency_bucket}
    if claude and not spans & names:
        other = [n for n in names if re.match(r"traces_span_?metrics", n)]
        hint = (
            "no span metrics: enable Tempo's metrics-generator with the span-metrics "
            "processor in its overrides (or the collector's spanmetrics connector)"
        )
        if other:
            hint = (
                f"span metrics are present as {other[0]}, another flavour than "
                f"'{profile.span_metrics}': rebuild with `--span-metrics "
                f"{'collector' if profile.span_metrics == 'tempo' else 'tempo'}`"
            )
        hints.append(hint)
    return hints
