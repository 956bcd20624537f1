"""PromQL for the spend-attribution dashboard: what drove Claude Code's cost and tokens.

Cost and tokens carry the subagent, skill, plugin, MCP server and tool,
effort and speed of each request. A label is absent when nothing of its kind
was involved (a request of the main conversation has no `agent_name`), so
every breakdown names the absent value (`ABSENT_MEANS`) instead of showing an
empty legend; redacted names (`custom`, `third-party`) are kept as they arrive.
"""

from __future__ import annotations

from agents.claude_code.telemetry import ABSENT_MEANS, Profile
from queries.claude_code import TOP_SESSIONS, cache_ratio, cost_total, tokens
from queries.common import window_total

# Sessions whose subagents read fewer prompt tokens than this are too small to matter.
SUBAGENT_MIN_PROMPT = 20_000
SUBAGENT = {"agent_name": '!=""'}


def shown(expr: str, label: str) -> str:
    """`expr` with an absent `label` named by what its absence means."""
    return f'label_replace({expr}, "{label}", "{ABSENT_MEANS[label]}", "{label}", "")'


def cost_by(p: Profile, label: str) -> str:
    return shown(cost_total(p, (label,)), label)


def tokens_by(p: Profile, label: str) -> str:
    return shown(tokens(p, (label,)), label)


def cache_hit_ratio_by(p: Profile, label: str) -> str:
    return shown(cache_ratio(p, (label,)), label)


MCP_TOOL = ("mcp_server_name", "mcp_tool_name")
HAS_MCP_TOOL = {"mcp_tool_name": '!=""'}


def cost_by_mcp_tool(p: Profile) -> str:
    """Requests that used an MCP tool, by server and tool (a tool's name is its server's)."""
    return window_total(p, "cost", MCP_TOOL, **HAS_MCP_TOOL)


def tokens_by_mcp_tool(p: Profile) -> str:
    return tokens(p, MCP_TOOL, **HAS_MCP_TOOL)


def sessions_by_start_type(p: Profile) -> str:
    """Sessions with a process started in the range, by how it started (a resumed session
    counts once as fresh and once as resume when both starts are in the range)."""
    started = window_total(p, "session", ("session_id", "start_type"))
    return f"count by (start_type) ({started} > 0)"


def top_subagent_runs(p: Profile) -> str:
    """The costliest subagent types per session: which subagent burned the money, where."""
    labels = ("session_id", "user_id", "agent_name")
    return f"topk({TOP_SESSIONS}, {window_total(p, 'cost', labels, **SUBAGENT)})"


def subagent_cache_sessions(p: Profile) -> str:
    """Per session, the cache hit ratio of its subagents' requests: the lowest ones."""
    ratio = cache_ratio(p, ("session_id",), min_prompt=SUBAGENT_MIN_PROMPT, **SUBAGENT)
    return f"bottomk({TOP_SESSIONS}, {ratio})"


def subagent_cost_of_sessions(p: Profile) -> str:
    """The subagents' notional cost of the sessions `subagent_cache_sessions` lists."""
    cost = window_total(p, "cost", ("session_id", "user_id"), **SUBAGENT)
    return f"{cost} and on (session_id) {subagent_cache_sessions(p)}"
