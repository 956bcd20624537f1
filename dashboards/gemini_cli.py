"""Gemini CLI: notional cost, tokens and sessions, from its OpenTelemetry counters.

A small dashboard beside the flagship, built from a second telemetry pack
(`agents/gemini_cli/`) with the same house panels and the same counter
machinery: content only, no engine change.
"""

from __future__ import annotations

from agents import gemini_cli
from agents.gemini_cli.telemetry import Profile
from ccdash.build.loader import BuildContext
from ccdash.build.sdk import dashboard
from panels import (
    HALF,
    PROMETHEUS_VAR,
    house_dashboard,
    notional,
    pie_panel,
    prom,
    stat_panel,
    timeseries_panel,
)
from panels.variables import datasource_variable, filter_variable, source_variables
from queries import gemini_cli as q

UID = "gemini-cli"
PACK = gemini_cli.PACK
TITLE = "Gemini CLI"
NOTIONAL = notional(
    "this dashboard from Gemini CLI's token counts and the price table in "
    "agents/gemini_cli/prices.py (models missing there count nothing)"
)


def build(ctx: BuildContext) -> dashboard.Dashboard:
    p: Profile = ctx.profile
    board = house_dashboard(
        TITLE,
        UID,
        "Gemini CLI usage from its OpenTelemetry metrics; costs are notional list-price "
        "estimates computed from token counts.",
        ["gemini-cli"],
    )
    for variable in variables(ctx):
        board = board.with_variable(variable)
    board = board.with_row(dashboard.Row("Cost, tokens and sessions"))
    for panel in usage(p):
        board = board.with_panel(panel)
    return board


def recording_rules(ctx: BuildContext) -> list[dict]:
    return q.recording_rules(ctx.profile) if ctx.profile.recording_rules else []


def variables(ctx: BuildContext) -> list:
    p: Profile = ctx.profile
    result = [
        datasource_variable(PROMETHEUS_VAR, "Prometheus", "prometheus", ctx.prometheus_default)
    ]
    source = {"model": "tokens"}
    for f in q.filters(p):
        metric = p.metric(source.get(f.label, "session"))
        result.append(filter_variable(f.variable, f.title, f"label_values({metric}, {f.label})"))
    if p.recording_rules:
        result += source_variables([group["name"] for group in q.recording_rules(p)])
    return result


def usage(p: Profile) -> list:
    return [
        stat_panel(
            "Notional cost (USD)",
            "Token counts in the range priced by model and token type." + NOTIONAL,
            "currencyUSD",
            prom(q.cost_total(p), instant=True),
            decimals=2,
        ),
        stat_panel(
            "Total tokens",
            "Input (cached part included once), output, thought and tool tokens in the range.",
            "short",
            prom(q.tokens_total(p), instant=True),
        ),
        stat_panel(
            "Sessions",
            "Gemini CLI startups in the range: session.count grows by one at each.",
            "none",
            prom(q.sessions(p), instant=True),
        ),
        stat_panel(
            "Cache hit ratio",
            "Cached tokens as a share of input tokens in the range (the Gemini API counts "
            "the cached part inside the input).",
            "percentunit",
            prom(q.cache_hit_ratio(p), instant=True),
            decimals=1,
        ),
        stat_panel(
            "API error share",
            "Share of Gemini API requests in the range that failed: a status code "
            "other than 2xx (or `ok`, which some Gemini CLI releases send instead).",
            "percentunit",
            prom(q.api_error_share(p), instant=True),
            decimals=1,
        ),
        timeseries_panel(
            "Notional cost over time by model",
            "Notional cost per interval, by model: the bars add up to the range's total."
            + NOTIONAL,
            "currencyUSD",
            prom(q.cost_over_time_by_model(p), "{{model}}"),
            size=HALF,
            stacked=True,
            bars=True,
        ),
        pie_panel(
            "Tokens by type",
            "Tokens in the range by type; cache is the cached part of input.",
            "short",
            prom(q.tokens_by_type(p), "{{type}}", instant=True),
            size=HALF,
        ),
    ]
