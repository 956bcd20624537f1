"""What Claude Code's dashboards share: their uids, filters and the links between them.

A `_` module is a helper the loader does not build as a dashboard.
"""

from __future__ import annotations

from ccdash.build.loader import BuildContext
from ccdash.build.sdk import dashboard
from panels import PROMETHEUS_VAR, TEMPO_VAR, dashboard_link, house_dashboard
from panels.variables import datasource_variable, filter_variable, source_variables
from queries.filters import filters
from queries.rules import recording_rules as rule_groups

FLAGSHIP_UID = "claude-code"
ATTRIBUTION_UID = "claude-code-attribution"


def claude_code_dashboard(
    ctx: BuildContext,
    title: str,
    uid: str,
    description: str,
    link: tuple[str, str],
    rows: list[tuple[str, list]],
) -> dashboard.Dashboard:
    """A Claude Code dashboard: the house settings, a link (title, uid) to its sibling,
    the shared variables, then its rows in order."""
    board = house_dashboard(title, uid, description, ["claude-code"]).link(dashboard_link(*link))
    for variable in variables(ctx):
        board = board.with_variable(variable)
    for row, panels in rows:
        board = board.with_row(dashboard.Row(row))
        for panel in panels:
            board = board.with_panel(panel)
    return board


def variables(ctx: BuildContext) -> list:
    """Datasources, the user/model/team filters and the hidden source switch."""
    p = ctx.profile
    result = [
        datasource_variable(PROMETHEUS_VAR, "Prometheus", "prometheus", ctx.prometheus_default),
        datasource_variable(TEMPO_VAR, "Tempo", "tempo", ctx.tempo_default),
    ]
    # user and model come from the token counter; the attribution label from
    # session.count, which every session has.
    source = {"user_id": "tokens", "model": "tokens"}
    for f in filters(p):
        metric = p.metric(source.get(f.label, "session"))
        result.append(filter_variable(f.variable, f.title, f"label_values({metric}, {f.label})"))
    if p.recording_rules:
        result += source_variables([group["name"] for group in rule_groups(p)])
    return result


def recording_rules(ctx: BuildContext) -> list[dict]:
    """The rule groups both dashboards read (none when built for raw counters): one set,
    written once, with the flagship."""
    return rule_groups(ctx.profile) if ctx.profile.recording_rules else []
