"""`ccdash doctor`: what is wrong between Claude Code and this Prometheus, the evidence, the fix.

The checks run in a fixed order because later ones depend on earlier
answers: the inventory of names decides the naming the data has (so a
dashboard built for the wrong naming still gets its other faults
diagnosed), and the freshness timeline says where the newest data is (so the
series-shape checks read the day before it, not an empty window).
Each finding names the panels it breaks, derived from the compiled dashboard.
"""

from __future__ import annotations

import time as clock
from collections.abc import Mapping
from typing import Any

from agents.claude_code.doctor import identity, presence, series
from agents.claude_code.doctor.context import Context
from agents.claude_code.doctor.panels import affected, affected_variables, target_uses
from agents.claude_code.telemetry import Profile
from ccdash.check.doctor.findings import Finding, Report
from ccdash.check.promapi import PrometheusClient
from ccdash.pack import DoctorRequest

__all__ = ["diagnose", "doctor", "explain_empty", "presence_findings"]


# Findings after which the other checks have nothing to read: no Claude Code
# series at all, or none under a naming ccdash knows.
STOPPING = frozenset({"no-metrics", "naming-unknown"})


def presence_findings(
    client: PrometheusClient,
    model: Mapping[str, Any],
    profile: Profile,
    time: float,
    range_s: float,
    tempo_metrics: bool = False,
) -> list[Finding]:
    """Are the dashboard's metrics there under its names: what `ccdash verify` explains with."""
    return _presence(Context(client, profile, model, time, range_s, tempo_metrics))


def _presence(ctx: Context) -> list[Finding]:
    presence.inventory(ctx)
    findings = presence.naming(ctx)
    if _stops(findings):
        return findings
    return findings + presence.rules(ctx) + presence.spans(ctx)


def _stops(findings: list[Finding]) -> bool:
    return any(f.id in STOPPING for f in findings)


def doctor(request: DoctorRequest) -> Report:
    """The pack's doctor: `diagnose` on a request from `ccdash doctor`."""
    r = request
    return diagnose(
        r.client, r.model, r.profile, r.time, r.range_s, r.expect_span_metrics, r.rule_groups
    )


def explain_empty(request: DoctorRequest) -> list[str]:
    """Why panels read nothing, for `ccdash verify`: no Claude Code data, another
    naming, rules not loaded, span metrics missing (the presence checks)."""
    r = request
    findings = presence_findings(r.client, r.model, r.profile, r.time, r.range_s)
    return [f"{f.title}: {f.fix}" for f in findings]


def diagnose(
    client: PrometheusClient,
    model: Mapping[str, Any],
    profile: Profile,
    time: float,
    range_s: float,
    tempo_metrics: bool = False,
    rule_groups: list[dict] | None = None,
) -> Report:
    """Every check against one Prometheus, each finding mapped to the panels it breaks.

    The arguments are presence_findings' plus `rule_groups`: ccdash's
    recording rules the dashboard reads, whose filters (e.g. on
    service.name) apply to the data before the panels'.
    """
    started = clock.monotonic()
    ctx = Context(client, profile, model, time, range_s, tempo_metrics, rule_groups or [])
    findings = _presence(ctx)
    stop = _stops(findings)
    findings += series.freshness(ctx)
    if not stop:
        findings += series.counters(ctx)
        findings += series.expiration(ctx)
        findings += presence.token_label(ctx)
        findings += identity.identity(ctx)
        findings += identity.services(ctx)
    uses = target_uses(model, profile)
    for finding in findings:
        if finding.breaks is not None:
            finding.panels = affected(uses, finding.breaks)
            finding.variables = affected_variables(model, profile, finding.breaks)
    order = {"error": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: order[f.severity])
    return Report(client.url, time, range_s, findings, clock.monotonic() - started)
