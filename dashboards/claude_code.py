"""The flagship Claude Code dashboard: 34 panels in 7 rows.

Reads like the panel list: rows in order, one call per panel. PromQL lives in
queries/, house defaults in panels/.
"""

from __future__ import annotations

from agents import claude_code
from agents.claude_code.telemetry import SPAN_BLOCKED_ON_USER, SPAN_LLM_REQUEST, Profile
from ccdash.build.loader import BuildContext
from ccdash.build.sdk import dashboard
from dashboards._claude_code import (
    ATTRIBUTION_UID,
    FLAGSHIP_UID,
    claude_code_dashboard,
    recording_rules,
)
from panels import (
    CACHE_THRESHOLDS,
    FULL,
    TEMPO,
    THIRD,
    bar_gauge_panel,
    heatmap_panel,
    notional,
    pie_panel,
    prom,
    stat_panel,
    table_panel,
    timeseries_panel,
    traceql,
    transformation,
    value_field,
)
from queries import alerts, spans, traces
from queries import claude_code as q

UID = FLAGSHIP_UID
__all__ = ["PACK", "UID", "alerting_rules", "build", "recording_rules"]
PACK = claude_code.PACK
SESSION_POINTS = 150
TITLE = "Claude Code"
NOTIONAL = notional("the Claude Code client from token counts")
# The top-sessions table's queries, by the refIds its transformations name.
TOP_COST, TOP_TOKENS, TOP_CACHE = "cost", "tokens", "cache_ratio"
SLOW_TRACES = 50  # traces Tempo returns to "Slowest interactions"
NO_SESSION_ID = (
    " Needs the session_id label (OTEL_METRICS_INCLUDE_SESSION_ID not false): without it several "
    "processes write one series and totals are wrong."
)


def build(ctx: BuildContext) -> dashboard.Dashboard:
    return claude_code_dashboard(
        ctx,
        TITLE,
        UID,
        "Claude Code usage from its OpenTelemetry metrics and traces; "
        "costs are notional list-price estimates.",
        ("Where the spend comes from", ATTRIBUTION_UID),
        rows(ctx.profile),
    )


def alerting_rules(ctx: BuildContext) -> list[dict]:
    """Spend, cache and pipeline alerts (rules/claude-code.alerts.yml), tuned by ccdash.yaml."""
    return alerts.alerting_rules(ctx.profile, ctx.alerts)


def rows(p: Profile) -> list[tuple[str, list]]:
    return [
        ("Overview", overview(p)),
        ("Cost (notional)", cost(p)),
        ("Tokens and cache", tokens_and_cache(p)),
        ("Sessions and activity", sessions_and_activity(p)),
        ("LLM requests (span metrics)", llm_requests(p)),
        ("Tools (span metrics)", tools(p)),
        ("Traces", trace_panels()),
    ]


def overview(p: Profile) -> list:
    return [
        stat_panel(
            "Notional cost (USD)",
            "Estimated cost in the time range: growth of the cost counter including each "
            "series' first export, summed over series." + NOTIONAL,
            "currencyUSD",
            prom(q.cost_total(p), instant=True),
            decimals=2,
        ),
        stat_panel(
            "Sessions",
            "Distinct session_id values with at least one export in the range (a session.count "
            "or active-time series that is new or changed). Sessions the collector merely "
            "still exposes are not counted." + NO_SESSION_ID,
            "none",
            prom(q.sessions(p), instant=True),
        ),
        stat_panel(
            "Active users",
            "Distinct user_id values with at least one export in the range, by the same rule "
            "as Sessions. user_id, not e-mail: API-key users have no e-mail.",
            "none",
            prom(q.active_users(p), instant=True),
        ),
        stat_panel(
            "Total tokens",
            "All tokens in the range (input, output, cache read, cache creation), including "
            "each series' first export.",
            "short",
            prom(q.tokens_total(p), instant=True),
        ),
        stat_panel(
            "Cache hit ratio",
            "cacheRead / (input + cacheRead + cacheCreation) tokens over the range: the share "
            "of prompt tokens served from the prompt cache. Red below 50%, green from 80%.",
            "percentunit",
            prom(q.cache_hit_ratio(p), instant=True),
            steps=CACHE_THRESHOLDS,
            decimals=1,
        ),
        stat_panel(
            "Notional cost per session",
            "Notional cost in the range divided by Sessions." + NOTIONAL,
            "currencyUSD",
            prom(q.cost_per_session(p), instant=True),
            decimals=2,
        ),
        stat_panel(
            "Active time",
            "Hours of active time in the range by type: user = keyboard interaction, "
            "cli = tool and model time.",
            "h",
            prom(q.active_time_hours(p), "{{type}}", instant=True),
            decimals=1,
        ),
        stat_panel(
            "Lines of code changed",
            "Lines added and removed by Claude Code's edits in the range.",
            "short",
            prom(q.lines_changed(p), "{{type}}", instant=True),
        ),
    ]


def cost(p: Profile) -> list:
    return [
        timeseries_panel(
            "Notional cost over time by model",
            "Notional cost per interval (the bar width), by model; the bars add up to the "
            "range total." + NOTIONAL,
            "currencyUSD",
            prom(q.cost_over_time_by_model(p), "{{model}}"),
            size=FULL,
            stacked=True,
            bars=True,
        ),
        pie_panel(
            "Notional cost by model",
            "Share of the range's notional cost per model." + NOTIONAL,
            "currencyUSD",
            prom(q.cost_by(p, "model"), "{{model}}", instant=True),
        ),
        pie_panel(
            "Notional cost by query source",
            "Notional cost by query_source: main conversation, subagents, auxiliary calls "
            "(titles, summaries). Subagent spend shows here." + NOTIONAL,
            "currencyUSD",
            prom(q.cost_by(p, "query_source"), "{{query_source}}", instant=True),
        ),
        bar_gauge_panel(
            "Notional cost by user",
            "The ten users with the highest notional cost in the range, by user_id." + NOTIONAL,
            "currencyUSD",
            prom(q.cost_by_user_top(p), "{{user_id}}", instant=True),
        ),
        top_sessions(p),
    ]


def top_sessions(p: Profile):
    return table_panel(
        "Top sessions by notional cost",
        f"The {q.TOP_SESSIONS} sessions with the highest notional cost in the range, with "
        "their user, model(s), tokens and cache hit ratio. Sessions are ranked by their "
        "whole cost, and tokens and cache hit ratio are the whole session's, across models; "
        "with a model filter, the cost column shows that model's part." + NOTIONAL,
        "none",
        prom(q.top_sessions_cost(p), instant=True, table_format=True, ref_id=TOP_COST),
        prom(q.top_sessions_tokens(p), instant=True, table_format=True, ref_id=TOP_TOKENS),
        prom(q.top_sessions_cache_ratio(p), instant=True, table_format=True, ref_id=TOP_CACHE),
        size=FULL,
        transformations=[
            # One row per session: models listed, their costs added.
            transformation(
                "groupBy",
                {
                    "fields": {
                        "session_id": {"aggregations": [], "operation": "groupby"},
                        "user_id": {"aggregations": [], "operation": "groupby"},
                        "model": {"aggregations": ["uniqueValues"], "operation": "aggregate"},
                        value_field(TOP_COST): {"aggregations": ["sum"], "operation": "aggregate"},
                        value_field(TOP_TOKENS): {
                            "aggregations": ["sum"],
                            "operation": "aggregate",
                        },
                        value_field(TOP_CACHE): {
                            "aggregations": ["mean"],
                            "operation": "aggregate",
                        },
                    }
                },
            ),
            transformation("joinByField", {"byField": "session_id", "mode": "outer"}),
            transformation(
                "organize",
                {
                    "excludeByName": {},
                    "indexByName": {
                        "session_id": 0,
                        "user_id": 1,
                        "model (uniqueValues)": 2,
                        value_field(TOP_COST, "sum"): 3,
                        value_field(TOP_TOKENS, "sum"): 4,
                        value_field(TOP_CACHE, "mean"): 5,
                    },
                    "renameByName": {
                        "session_id": "Session",
                        "user_id": "User",
                        "model (uniqueValues)": "Model(s)",
                        value_field(TOP_COST, "sum"): "Notional cost",
                        value_field(TOP_TOKENS, "sum"): "Tokens",
                        value_field(TOP_CACHE, "mean"): "Cache hit ratio",
                    },
                },
            ),
        ],
        sort_by="Notional cost",
        column_units={
            "Notional cost": "currencyUSD",
            "Tokens": "short",
            "Cache hit ratio": "percentunit",
        },
    )


def tokens_and_cache(p: Profile) -> list:
    return [
        timeseries_panel(
            "Token rate by type",
            "Tokens per minute by type (input, output, cache read, cache creation), from each "
            "interval's counter growth.",
            "short",
            prom(q.token_rate_by_type(p), f"{{{{{p.token_label}}}}}"),
            size=THIRD,
            stacked=True,
        ),
        bar_gauge_panel(
            "Tokens by model",
            "All tokens in the range by model.",
            "short",
            prom(q.tokens_by_model(p), "{{model}}", instant=True),
        ),
        timeseries_panel(
            "Cache hit ratio over time",
            "cacheRead / (input + cacheRead + cacheCreation) per interval; the dashed line is "
            "the 50% threshold below which caching is failing.",
            "percentunit",
            prom(q.cache_hit_ratio_over_time(p), "cache hit ratio"),
            size=THIRD,
            steps=CACHE_THRESHOLDS,
        ),
        table_panel(
            "Sessions with the lowest cache hit ratio",
            f"The {q.TOP_SESSIONS} sessions with the lowest cache hit ratio in the range, "
            f"among sessions with at least {q.LOW_CACHE_MIN_TOKENS:,} prompt tokens (smaller "
            "ones do not matter to cost): cache-busting suspects. A session's ratio is over "
            "all its models; the model filter does not apply.",
            "percentunit",
            prom(q.lowest_cache_sessions(p), instant=True, table_format=True),
            size=THIRD,
            transformations=[
                transformation(
                    "organize",
                    {
                        "excludeByName": {"Time": True},
                        "renameByName": {"session_id": "Session", "Value": "Cache hit ratio"},
                    },
                )
            ],
            sort_by="Cache hit ratio",
            descending=False,
        ),
        timeseries_panel(
            "Cache creation vs cache read",
            "Cache creation and cache read tokens per interval: cache busting shows as "
            "creation spikes without matching reads.",
            "short",
            prom(q.cache_creation_vs_read(p), f"{{{{{p.token_label}}}}}"),
            size=THIRD,
        ),
        timeseries_panel(
            "Output to input token ratio",
            "output / (input + cacheRead + cacheCreation) tokens per interval.",
            "percentunit",
            prom(q.output_input_ratio(p), "output / input"),
            size=THIRD,
        ),
    ]


def sessions_and_activity(p: Profile) -> list:
    return [
        timeseries_panel(
            "Active sessions over time",
            "Distinct session_id values with an export in each interval." + NO_SESSION_ID,
            "none",
            prom(q.active_sessions_over_time(p), "sessions"),
            size=THIRD,
            # Each point is a pass over every session's series in the range; hourly
            # points over a week are plenty for a count, and a third of the cost.
            max_data_points=SESSION_POINTS,
        ),
        pie_panel(
            "Sessions by terminal type",
            "Sessions active in the range by terminal_type (IDE, terminal emulator).",
            "none",
            prom(q.sessions_by_terminal(p), "{{terminal_type}}", instant=True),
        ),
        timeseries_panel(
            "Active time by type",
            "Active seconds per interval: user = keyboard interaction, cli = tool and model time.",
            "s",
            prom(q.active_time_over_time(p), "{{type}}"),
            size=THIRD,
            stacked=True,
        ),
        timeseries_panel(
            "Lines of code added vs removed",
            "Lines added and removed by Claude Code's edits per interval.",
            "short",
            prom(q.lines_over_time(p), "{{type}}"),
            size=THIRD,
            bars=True,
        ),
        stat_panel(
            "Commits and pull requests",
            "Commits and pull requests Claude Code itself created in the range (e.g. via git "
            "and gh); ones made by hand are not counted.",
            "none",
            prom(q.commits_total(p), "commits", instant=True),
            prom(q.pull_requests_total(p), "pull requests", instant=True),
            size=THIRD,
        ),
        table_panel(
            "Edit decisions by tool",
            "Accepted and rejected edit proposals in the range by tool, and the accept rate "
            "accept / (accept + reject).",
            "none",
            prom(q.edit_decisions(p, "accept"), instant=True, table_format=True, ref_id="accept"),
            prom(q.edit_decisions(p, "reject"), instant=True, table_format=True, ref_id="reject"),
            prom(q.edit_accept_rate(p), instant=True, table_format=True, ref_id="accept_rate"),
            size=THIRD,
            transformations=[
                transformation("joinByField", {"byField": "tool_name", "mode": "outer"}),
                transformation(
                    "organize",
                    {
                        "excludeByName": {"Time 1": True, "Time 2": True, "Time 3": True},
                        "renameByName": {
                            "tool_name": "Tool",
                            value_field("accept"): "Accepted",
                            value_field("reject"): "Rejected",
                            value_field("accept_rate"): "Accept rate",
                        },
                    },
                ),
            ],
            sort_by="Accepted",
            column_units={"Accept rate": "percentunit"},
        ),
    ]


def llm_requests(p: Profile) -> list:
    return [
        timeseries_panel(
            "LLM request latency (p50 / p95 / p99)",
            f"Quantiles of {SPAN_LLM_REQUEST} span duration from the span-metrics latency "
            "histogram (interpolated within buckets).",
            "s",
            prom(spans.llm_latency(p, 0.5), "p50"),
            prom(spans.llm_latency(p, 0.95), "p95"),
            prom(spans.llm_latency(p, 0.99), "p99"),
        ),
        timeseries_panel(
            "LLM p95 latency by model",
            f"95th percentile of {SPAN_LLM_REQUEST} duration by model.",
            "s",
            prom(spans.llm_p95_by_model(p), "{{model}}"),
        ),
        heatmap_panel(
            "LLM latency heatmap",
            f"Count of {SPAN_LLM_REQUEST} spans per latency bucket and interval.",
            "s",
            prom(spans.llm_latency_heatmap(p), "{{le}}", heatmap_format=True),
        ),
        timeseries_panel(
            "LLM requests per minute",
            f"{SPAN_LLM_REQUEST} spans per minute by model.",
            "reqpm",
            prom(spans.llm_requests_per_minute(p), "{{model}}"),
        ),
        timeseries_panel(
            "LLM error rate",
            f"Share of {SPAN_LLM_REQUEST} spans with status ERROR: error calls / all calls.",
            "percentunit",
            prom(spans.llm_error_rate(p), "error rate"),
            size=FULL,
        ),
    ]


def tools(p: Profile) -> list:
    return [
        bar_gauge_panel(
            "Tool calls by tool",
            "claude_code.tool spans in the range by tool_name.",
            "short",
            prom(spans.tool_calls(p), "{{tool_name}}", instant=True),
        ),
        bar_gauge_panel(
            "Tool p95 duration by tool",
            "95th percentile of claude_code.tool span duration over the range by tool_name "
            "(includes time blocked on approval).",
            "s",
            prom(spans.tool_p95(p), "{{tool_name}}", instant=True),
        ),
        stat_panel(
            "Time blocked on user approval (p95)",
            f"95th percentile over the range of {SPAN_BLOCKED_ON_USER} spans: how long tools "
            "wait for a person to approve them.",
            "s",
            prom(spans.blocked_on_user_p95(p), instant=True),
            size=THIRD,
            decimals=1,
        ),
    ]


def trace_panels() -> list:
    return [
        table_panel(
            "Slowest interactions",
            f"Claude Code interactions (one trace per prompt) that took longer than "
            f"{traces.SLOW_INTERACTION}, from Tempo, longest first; click a trace id to open "
            f"it. Tempo returns at most {SLOW_TRACES} matching traces, the most recent: a full "
            "table may miss older slow ones, so narrow the time range to see them all.",
            "none",
            traceql(traces.slowest_interactions(), limit=SLOW_TRACES),
            size=(24, 10),
            sort_by="Duration",
            datasource=TEMPO,
        ),
    ]
