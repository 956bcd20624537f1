"""`ccdash verify`: evaluate every panel against a Prometheus and say which are empty and why.

The answer to "why is my dashboard empty" in one command: each panel is OK,
has no data, or fails (with the query that failed), and when panels are
empty, the dashboard's telemetry pack (`Pack.explain_empty`) names the cause
and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ccdash.check.evaluate import TargetEval, evaluate
from ccdash.check.promapi import PrometheusClient

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
    time: float,
    range_s: float,
    explain: Callable[[], list[str]] = list,
    progress: Callable[[Iterable], Iterable] = lambda x: x,
) -> Report:
    """`explain` gives the hints when panels are empty (one way to diagnose: the pack's)."""
    evals = evaluate(model, client, time, range_s, progress=progress)
    report = Report(model["title"], verdicts(evals))
    if report.empty:
        report.hints = explain()
    return report
