"""Which panels of the Claude Code dashboards show which of the simulator's true figures.

The truth tests, the accuracy report and the benchmark read the dashboard's
own panels by these titles, so what they check is what Grafana shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.claude_code.telemetry import ABSENT_MEANS
from ccdash.check.evaluate import TargetEval, instant_by
from dashboards.claude_code import TOP_CACHE, TOP_COST, TOP_TOKENS
from devtools.accuracy import Figure, PanelFigures, panel_target

PANEL_FIGURES: PanelFigures = [
    ("notional_cost_usd", "Notional cost (USD)", None),
    ("total_tokens", "Total tokens", None),
    ("sessions", "Sessions", None),
    ("active_users", "Active users", None),
    ("cache_hit_ratio", "Cache hit ratio", None),
    ("cost_by_model", "Notional cost by model", "model"),
    ("cost_by_query_source", "Notional cost by query source", "query_source"),
]
TOP_SESSIONS = "Top sessions by notional cost"


def top_session_figures(evals: list[TargetEval], truth: Mapping[str, Any]) -> list[Figure]:
    """Per-session cost, tokens and cache hit ratio of the table's rows, against the truth."""
    cost = instant_by(panel_target(evals, TOP_SESSIONS, TOP_COST).result, "session_id")
    tokens = instant_by(panel_target(evals, TOP_SESSIONS, TOP_TOKENS).result, "session_id")
    ratio = instant_by(panel_target(evals, TOP_SESSIONS, TOP_CACHE).result, "session_id")
    per_session = truth["per_session"]
    figures = []
    for sid in sorted(cost, key=lambda s: -cost[s]):
        true = per_session.get(sid, {})
        figures += [
            Figure(f"top_session[{sid}].cost", true.get("notional_cost_usd"), cost[sid]),
            Figure(f"top_session[{sid}].tokens", true.get("tokens"), tokens.get(sid)),
            Figure(
                f"top_session[{sid}].cache_hit_ratio", true.get("cache_hit_ratio"), ratio.get(sid)
            ),
        ]
    return figures


def true_top_sessions(truth: Mapping[str, Any], n: int = 20) -> list[str]:
    sessions = truth["per_session"]
    return sorted(sessions, key=lambda s: -sessions[s]["notional_cost_usd"])[:n]


# The attribution dashboard's breakdowns: (truth figure, panel title, label).
ATTRIBUTION_FIGURES: PanelFigures = [
    *(
        (f"{key}_by_{label}", f"{title} by {name}", label)
        for label, name in (
            ("agent_name", "agent"),
            ("skill_name", "skill"),
            ("plugin_name", "plugin"),
            ("mcp_server_name", "MCP server"),
            ("effort", "effort"),
            ("speed", "speed"),
        )
        for key, title in (("cost", "Notional cost"), ("tokens", "Tokens"))
    ),
    ("cache_hit_ratio_by_agent_name", "Cache hit ratio by agent", "agent_name"),
    ("cache_hit_ratio_by_mcp_server_name", "Cache hit ratio by MCP server", "mcp_server_name"),
    ("sessions_by_start_type", "Sessions by start type", "start_type"),
    # The tool panels show only requests that used a tool.
    ("cost_by_mcp_tool_name", "Notional cost by MCP tool", "mcp_tool_name"),
    ("tokens_by_mcp_tool_name", "Tokens by MCP tool", "mcp_tool_name"),
]
COSTLIEST_SUBAGENTS = "Costliest subagents by session"
SUBAGENT_CACHE = "Sessions whose subagents read least from cache"


def attribution_truth(truth: Mapping[str, Any]) -> dict[str, Any]:
    """The truth as the attribution panels show it: the tool panels leave out requests
    without a tool."""
    shown = dict(truth)
    for key in ("cost_by_mcp_tool_name", "tokens_by_mcp_tool_name"):
        shown[key] = {k: v for k, v in truth[key].items() if k != ABSENT_MEANS["mcp_tool_name"]}
    return shown


def costliest_subagent_figures(evals: list[TargetEval], truth: Mapping[str, Any]) -> list[Figure]:
    """The table's (session, subagent) costs against the truth."""
    result = panel_target(evals, COSTLIEST_SUBAGENTS).result
    figures = []
    for series in result.series:
        sid, agent = series["metric"]["session_id"], series["metric"]["agent_name"]
        true = truth["per_session"].get(sid, {}).get("agent_cost_usd", {}).get(agent)
        figures.append(Figure(f"subagent[{sid}/{agent}]", true, float(series["value"][1])))
    return figures


def true_costliest_subagents(truth: Mapping[str, Any], n: int = 20) -> list[str]:
    pairs = {
        f"{sid}/{agent}": cost
        for sid, s in truth["per_session"].items()
        for agent, cost in s["agent_cost_usd"].items()
    }
    return sorted(pairs, key=lambda k: -pairs[k])[:n]


def subagent_cache_figures(
    evals: list[TargetEval], truth: Mapping[str, Any], ref_id: str, cost_ref_id: str
) -> list[Figure]:
    """The low-cache table's subagent ratio and cost per session, against the truth."""
    ratio = instant_by(panel_target(evals, SUBAGENT_CACHE, ref_id).result, "session_id")
    cost = instant_by(panel_target(evals, SUBAGENT_CACHE, cost_ref_id).result, "session_id")
    figures = []
    for sid in sorted(ratio):
        true = truth["per_session"].get(sid, {})
        figures += [
            Figure(
                f"subagent_cache[{sid}].ratio", true.get("subagent_cache_hit_ratio"), ratio[sid]
            ),
            Figure(f"subagent_cache[{sid}].cost", true.get("subagent_cost_usd"), cost.get(sid)),
        ]
    return figures


def true_subagent_cache_sessions(truth: Mapping[str, Any], min_prompt: float, n: int = 20):
    eligible = {
        sid: s["subagent_cache_hit_ratio"]
        for sid, s in truth["per_session"].items()
        if s["subagent_prompt_tokens"] >= min_prompt
    }
    return sorted(eligible, key=lambda s: eligible[s])[:n]
