"""Claude Code: where the spend comes from. Cost and tokens by what drove them.

The flagship says how much; this says which subagent, skill, plugin, MCP
server and tool, effort and speed. Same filters and time range (the links
between the two keep them), same recorded series.
"""

from __future__ import annotations

from agents import claude_code
from agents.claude_code.telemetry import ABSENT_MEANS, REDACTED_CUSTOM, REDACTED_THIRD_PARTY
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
    HALF,
    THIRD,
    bar_gauge_panel,
    notional,
    pie_panel,
    prom,
    table_panel,
    transformation,
    value_field,
)
from queries import attribution as q
from queries.claude_code import TOP_SESSIONS

UID = ATTRIBUTION_UID
PACK = claude_code.PACK
TITLE = "Claude Code: where the spend comes from"
__all__ = ["PACK", "UID", "build", "recording_rules"]
NOTIONAL = notional("the Claude Code client from token counts")
REDACTED = (
    f" `{REDACTED_CUSTOM}` is a user-defined one and `{REDACTED_THIRD_PARTY}` one from a "
    "plugin outside the official marketplace: Claude Code redacts their names."
)
# What each breakdown is, and what its absent value means.
LABELS: dict[str, tuple[str, str]] = {
    "agent_name": ("agent", f"{ABSENT_MEANS['agent_name']}: requests of no subagent."),
    "skill_name": ("skill", f"{ABSENT_MEANS['skill_name']}: requests outside any skill."),
    "plugin_name": (
        "plugin",
        f"{ABSENT_MEANS['plugin_name']}: requests no plugin's skill, agent or MCP server drove.",
    ),
    "mcp_server_name": (
        "MCP server",
        f"{ABSENT_MEANS['mcp_server_name']}: requests that used no MCP server's tool.",
    ),
    "effort": (
        "effort",
        f"{ABSENT_MEANS['effort']}: models without effort levels (Haiku), or Claude Code "
        "versions that do not report it.",
    ),
    "speed": ("speed", f"{ABSENT_MEANS['speed']}: Claude Code versions that do not report it."),
}
# The low-cache table's queries, by the refIds its transformations name.
SUBAGENT_RATIO, SUBAGENT_COST = "ratio", "subagent_cost"


def build(ctx: BuildContext) -> dashboard.Dashboard:
    return claude_code_dashboard(
        ctx,
        TITLE,
        UID,
        "Which subagents, skills, plugins, MCP servers and tools, effort and speed drove "
        "Claude Code's notional cost and tokens.",
        ("Claude Code overview", FLAGSHIP_UID),
        rows(ctx.profile),
    )


def rows(p) -> list[tuple[str, list]]:
    return [
        ("Subagents", subagents(p)),
        ("Skills and plugins", [*breakdown(p, "skill_name"), *breakdown(p, "plugin_name")]),
        ("MCP servers and tools", mcp(p)),
        ("Effort and speed", [*breakdown(p, "effort"), *breakdown(p, "speed")]),
        ("Sessions", [sessions_by_start_type(p)]),
    ]


def _meaning(label: str) -> str:
    return f" {LABELS[label][1]}" + (REDACTED if label.endswith("_name") else "")


def breakdown(p, label: str, size=HALF) -> list:
    """Notional cost and tokens in the range by one attribution label."""
    name = LABELS[label][0]
    legend = f"{{{{{label}}}}}"
    return [
        bar_gauge_panel(
            f"Notional cost by {name}",
            f"Notional cost in the range by {label}.{_meaning(label)}{NOTIONAL}",
            "currencyUSD",
            prom(q.cost_by(p, label), legend, instant=True),
            size=size,
        ),
        bar_gauge_panel(
            f"Tokens by {name}",
            f"All tokens in the range (input, output, cache read, cache creation) by "
            f"{label}.{_meaning(label)}",
            "short",
            prom(q.tokens_by(p, label), legend, instant=True),
            size=size,
        ),
    ]


def cache_by(p, label: str) -> object:
    name = LABELS[label][0]
    return bar_gauge_panel(
        f"Cache hit ratio by {name}",
        f"cacheRead / (input + cacheRead + cacheCreation) tokens in the range by {label}: "
        "a low one pays full price for a prompt prefix it could have read from cache. Red "
        f"below 50%, green from 80%.{_meaning(label)}",
        "percentunit",
        prom(q.cache_hit_ratio_by(p, label), f"{{{{{label}}}}}", instant=True),
        size=THIRD,
        steps=CACHE_THRESHOLDS,
    )


def subagents(p) -> list:
    return [
        *breakdown(p, "agent_name", size=THIRD),
        cache_by(p, "agent_name"),
        table_panel(
            "Costliest subagents by session",
            f"The {TOP_SESSIONS} costliest (session, subagent type) pairs in the range: which "
            f"subagent burned the money, in which session.{_meaning('agent_name')}{NOTIONAL}",
            "none",
            prom(q.top_subagent_runs(p), instant=True, table_format=True),
            transformations=[
                transformation(
                    "organize",
                    {
                        "excludeByName": {"Time": True},
                        "indexByName": {"session_id": 0, "user_id": 1, "agent_name": 2},
                        "renameByName": {
                            "session_id": "Session",
                            "user_id": "User",
                            "agent_name": "Subagent",
                            "Value": "Notional cost",
                        },
                    },
                )
            ],
            sort_by="Notional cost",
            column_units={"Notional cost": "currencyUSD"},
        ),
        table_panel(
            "Sessions whose subagents read least from cache",
            f"The {TOP_SESSIONS} sessions whose subagents' requests had the lowest cache hit "
            f"ratio in the range, among those whose subagents sent at least "
            f"{q.SUBAGENT_MIN_PROMPT:,} prompt tokens, with the subagents' notional cost: "
            "a subagent that starts each call on a new prompt prefix pays for it every time."
            + NOTIONAL,
            "none",
            prom(
                q.subagent_cache_sessions(p), instant=True, table_format=True, ref_id=SUBAGENT_RATIO
            ),
            prom(
                q.subagent_cost_of_sessions(p),
                instant=True,
                table_format=True,
                ref_id=SUBAGENT_COST,
            ),
            transformations=[
                transformation("joinByField", {"byField": "session_id", "mode": "outer"}),
                transformation(
                    "organize",
                    {
                        "excludeByName": {"Time 1": True, "Time 2": True},
                        "indexByName": {
                            "session_id": 0,
                            "user_id": 1,
                            value_field(SUBAGENT_RATIO): 2,
                            value_field(SUBAGENT_COST): 3,
                        },
                        "renameByName": {
                            "session_id": "Session",
                            "user_id": "User",
                            value_field(SUBAGENT_RATIO): "Subagent cache hit ratio",
                            value_field(SUBAGENT_COST): "Subagent notional cost",
                        },
                    },
                ),
            ],
            sort_by="Subagent cache hit ratio",
            descending=False,
            column_units={
                "Subagent cache hit ratio": "percentunit",
                "Subagent notional cost": "currencyUSD",
            },
        ),
    ]


def mcp(p) -> list:
    tool_legend = "{{mcp_server_name}} / {{mcp_tool_name}}"
    only_tools = " Only requests that used an MCP tool; a tool is named with its server." + REDACTED
    return [
        *breakdown(p, "mcp_server_name", size=THIRD),
        cache_by(p, "mcp_server_name"),
        bar_gauge_panel(
            "Notional cost by MCP tool",
            "Notional cost in the range by mcp_server_name and mcp_tool_name."
            + only_tools
            + NOTIONAL,
            "currencyUSD",
            prom(q.cost_by_mcp_tool(p), tool_legend, instant=True),
            size=HALF,
        ),
        bar_gauge_panel(
            "Tokens by MCP tool",
            "All tokens in the range by mcp_server_name and mcp_tool_name." + only_tools,
            "short",
            prom(q.tokens_by_mcp_tool(p), tool_legend, instant=True),
            size=HALF,
        ),
    ]


def sessions_by_start_type(p) -> object:
    return pie_panel(
        "Sessions by start type",
        "Sessions with a process started in the range, by start_type: fresh (a new "
        "conversation), resume (--resume), continue (--continue). A session resumed in the "
        "range after starting in it counts under both. Needs the session_id label "
        "(OTEL_METRICS_INCLUDE_SESSION_ID not false); the model filter does not apply "
        "(session.count has no model).",
        "none",
        prom(q.sessions_by_start_type(p), "{{start_type}}", instant=True),
        size=HALF,
    )
