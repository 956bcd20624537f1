"""`ccdash verify` and `ccdash doctor`: a dashboard against a live Prometheus."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

import click

from ccdash.build.config import Config
from ccdash.build.project import BuiltDashboard, compile_project
from ccdash.cli.options import dashboard_option, profile_options, progress, prometheus_options
from ccdash.errors import ConfigError
from ccdash.pack import DoctorRequest

if TYPE_CHECKING:
    from ccdash.check.promapi import PrometheusClient
    from ccdash.check.verify import Report


def _request(dash: BuiltDashboard, client: PrometheusClient, when: float, range_s: float, **kw):
    return DoctorRequest(client, dash.model, dash.profile, when, range_s, **kw)


@click.command()
@dashboard_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@profile_options
@prometheus_options
def verify(
    config: Config, client: PrometheusClient, range_s: float, when: float, uid: str | None, fmt: str
) -> None:
    """Evaluate every panel against a Prometheus: OK, no data, or the query that failed.

    Exits 1 when a panel fails or empty panels have a diagnosed cause.
    """
    from ccdash.check.verify import verify as run

    reports = []
    for dash in compile_project(config, uid).dashboards:
        explain = dash.pack.explain_empty if dash.pack else None
        hints = partial(explain, _request(dash, client, when, range_s)) if explain else list
        reports.append(
            run(dash.model, client, when, range_s, hints, progress(f"verifying {dash.uid}"))
        )
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "dashboard": r.dashboard,
                        "hints": r.hints,
                        "panels": [vars(p) for p in r.panels],
                    }
                    for r in reports
                ],
                indent=2,
            )
        )
    else:
        for report in reports:
            _print_report(report)
    # Empty panels alone can be legitimate (no commits this week); empty panels
    # with a diagnosed cause (wrong profile, missing rules) are a finding.
    sys.exit(1 if any(r.errors or r.hints for r in reports) else 0)


def _print_report(report: Report) -> None:
    click.echo(
        f"{report.dashboard}: {len(report.panels) - report.empty - report.errors} OK, "
        f"{report.empty} no data, {report.errors} failing"
    )
    for p in report.panels:
        mark = {"ok": "OK     ", "no data": "NO DATA", "error": "ERROR  "}[p.status]
        click.echo(f"  {mark} {p.title}")
        if p.error:
            click.echo(f"          {p.error}")
            click.echo(f"          query: {p.failed_query}")
    for hint in report.hints:
        click.echo(f"  hint: {hint}")


@click.command()
@click.option(
    "--dashboard",
    "uid",
    help="The dashboard whose telemetry to diagnose, and whose panels findings name "
    "[default: the first of the only telemetry pack with doctor checks].",
)
@click.option(
    "--tempo-metrics",
    is_flag=True,
    help="Span metrics are expected: their absence or missing dimensions are errors.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@profile_options
@prometheus_options
def doctor(
    config: Config,
    client: PrometheusClient,
    range_s: float,
    when: float,
    uid: str | None,
    tempo_metrics: bool,
    fmt: str,
) -> None:
    """Diagnose the telemetry pipeline behind a Prometheus: evidence and fixes.

    The range is the lookback; series-shape checks read at most its last day.
    Exit codes: 0 nothing or only information, 1 a warning at worst, 4 an
    error, 2 a bad option, 3 Prometheus unreachable or answering something
    that is not its API.
    """
    from ccdash.check.doctor.render import as_json, text

    dash = _diagnosed(config, uid)
    rules = dash.rule_groups if dash.profile.recording_rules else []
    request = _request(
        dash, client, when, range_s, expect_span_metrics=tempo_metrics, rule_groups=rules
    )
    report = dash.pack.diagnose(request)
    click.echo(as_json(report) if fmt == "json" else text(report))
    sys.exit(report.exit_code)


def _diagnosed(config: Config, uid: str | None) -> BuiltDashboard:
    """The chosen dashboard, or the first of the only pack with doctor checks (the checks
    are the pack's; the dashboard names the panels a finding breaks)."""
    if uid is None:
        every = compile_project(replace(config, overrides={})).dashboards
        able = [d for d in every if d.pack and d.pack.diagnose]
        if len({d.pack.name for d in able}) != 1:
            raise ConfigError(
                "choose the dashboard to diagnose with --dashboard "
                f"(with doctor checks: {', '.join(d.uid for d in able) or 'none'})"
            )
        uid = able[0].uid
    dash = compile_project(config, uid).dashboard(uid)
    if dash.pack is None or dash.pack.diagnose is None:
        raise ConfigError(f"dashboard {uid!r}: its telemetry pack has no doctor checks")
    return dash


COMMANDS = (verify, doctor)
