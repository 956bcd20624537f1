"""PromQL for Claude Code's own metrics, one function per figure the dashboard shows.

Each function takes the Profile and returns PromQL text with Grafana's
macros and the dashboard's filter variables in it; the same function serves
the panel, the verification harness and the benchmark.
"""

from __future__ import annotations

from agents.claude_code.telemetry import TOKEN_TYPES, Profile
from queries.common import (
    ATTRIBUTION_LEVELS,
    INTERVAL,
    INTERVAL_MINUTES,
    RANGE,
    SESSION,
    SESSION_AGENT,
    USER,
    activity,
    interval_total,
    level_for,
    level_growth_rule,
    number,
    window_total,
)

# Sessions below this many prompt tokens are too small for their cache hit ratio to matter.
LOW_CACHE_MIN_TOKENS = 50_000
TOP_SESSIONS = 20
TOP_USERS = 10


def token_matchers(p: Profile, *types: str) -> dict[str, str]:
    """A matcher restricting the token counter to canonical token types (none: all)."""
    if not types:
        return {}
    return {p.token_label: f'=~"{"|".join(p.token_type(t) for t in types)}"'}


PROMPT_TYPES = ("input", "cacheRead", "cacheCreation")
# Token selections recorded as series of their own, so that a query reads one
# series per group rather than one per token type: the session tables read
# thousands of sessions, and prompt tokens divide every ratio. The user level
# also keeps the token type, for any other selection; every other level has
# only its views. Cache creation per session is what the cache-busting alert reads.
ALL = {"": TOKEN_TYPES}
CACHE = {"cache_read": ("cacheRead",), "prompt": PROMPT_TYPES}
TOKEN_VIEWS: dict[str, dict[str, tuple[str, ...]]] = {
    USER: {"prompt": PROMPT_TYPES},
    SESSION: {**ALL, **CACHE, "cache_creation": ("cacheCreation",)},
    **{level: ALL for level in ATTRIBUTION_LEVELS},
    # The dashboard's cache hit ratios by agent and by MCP server.
    "agent": {**ALL, **CACHE},
    "mcp": {**ALL, **CACHE},
    SESSION_AGENT: CACHE,
}


def tokens(
    p: Profile, labels: tuple[str, ...] = (), window: str = RANGE, *types: str, **matchers: str
) -> str:
    if p.recording_rules:
        level = level_for(p, "tokens", [*labels, *matchers])
        wanted = set(types or TOKEN_TYPES)
        views = TOKEN_VIEWS.get(level, {}).items()
        view = next((v for v, chosen in views if set(chosen) == wanted), None)
        if view is not None:
            raw = token_matchers(p, *types)
            return window_total(p, "tokens", labels, window, view, raw_matchers=raw, **matchers)
        if level != USER:
            raise ValueError(f"no {level} token view records {sorted(wanted)}: add one")
    return window_total(p, "tokens", labels, window, **token_matchers(p, *types), **matchers)


def token_view_rules(p: Profile) -> list[dict[str, str]]:
    """The recording rules behind the token views."""
    return [
        level_growth_rule(p, "tokens", level, view, **(token_matchers(p, *types) if view else {}))
        for level, views in TOKEN_VIEWS.items()
        for view, types in views.items()
    ]


def cache_ratio(
    p: Profile,
    labels: tuple[str, ...] = (),
    window: str = RANGE,
    min_prompt: int = 0,
    **matchers: str,
) -> str:
    """Cache reads over prompt tokens; `min_prompt` drops groups with a smaller prompt."""
    read = tokens(p, labels, window, "cacheRead", **matchers)
    prompt = tokens(p, labels, window, *PROMPT_TYPES, **matchers)
    if min_prompt:  # a filter on the divisor, so the prompt is summed once
        prompt = f"({prompt} >= {number(min_prompt)})"
    return f"{read} / {prompt}"


# --- Overview -------------------------------------------------------------


def cost_total(p: Profile, labels: tuple[str, ...] = ()) -> str:
    return window_total(p, "cost", labels)


def tokens_total(p: Profile, labels: tuple[str, ...] = ()) -> str:
    return tokens(p, labels)


def sessions(p: Profile, window: str = RANGE) -> str:
    """Distinct session ids with an export inside the window (never increase() of session.count)."""
    return f"count(count by (session_id) ({activity(p, window)}))"


def active_users(p: Profile) -> str:
    return f"count(count by (user_id) ({activity(p, RANGE)}))"


def cache_hit_ratio(p: Profile) -> str:
    return cache_ratio(p)


def cost_per_session(p: Profile) -> str:
    return f"{cost_total(p)} / {sessions(p)}"


def active_time_hours(p: Profile) -> str:
    return f"{window_total(p, 'active_time', ('type',))} / 3600"


def lines_changed(p: Profile) -> str:
    return window_total(p, "lines", ("type",))


# --- Cost -----------------------------------------------------------------


def cost_over_time_by_model(p: Profile) -> str:
    return interval_total(p, "cost", ("model",))


def cost_by(p: Profile, label: str) -> str:
    return cost_total(p, (label,))


def cost_by_user_top(p: Profile) -> str:
    return f"topk({TOP_USERS}, {cost_total(p, ('user_id',))})"


def _top_session_ids(p: Profile) -> str:
    return f"topk({TOP_SESSIONS}, {cost_total(p, ('session_id',))})"


def top_sessions_cost(p: Profile) -> str:
    """Cost per session, user and model for the costliest sessions (the table groups models)."""
    return (
        f"{cost_total(p, ('session_id', 'user_id', 'model'))}"
        f" and on (session_id) {_top_session_ids(p)}"
    )


def top_sessions_tokens(p: Profile) -> str:
    return f"{tokens_total(p, ('session_id',))} and on (session_id) {_top_session_ids(p)}"


def top_sessions_cache_ratio(p: Profile) -> str:
    return f"({cache_ratio(p, ('session_id',))}) and on (session_id) {_top_session_ids(p)}"


# --- Tokens and cache -----------------------------------------------------


def token_rate_by_type(p: Profile) -> str:
    """Tokens per minute by type, from exact per-interval growth."""
    return f"{interval_total(p, 'tokens', (p.token_label,))} / {INTERVAL_MINUTES}"


def tokens_by_model(p: Profile) -> str:
    return tokens_total(p, ("model",))


def cache_hit_ratio_over_time(p: Profile) -> str:
    return cache_ratio(p, window=INTERVAL)


def lowest_cache_sessions(p: Profile) -> str:
    ratio = cache_ratio(p, ("session_id",), min_prompt=LOW_CACHE_MIN_TOKENS)
    return f"bottomk({TOP_SESSIONS}, {ratio})"


def cache_creation_vs_read(p: Profile) -> str:
    types = token_matchers(p, "cacheRead", "cacheCreation")
    return interval_total(p, "tokens", (p.token_label,), **types)


def output_input_ratio(p: Profile) -> str:
    output = tokens(p, (), INTERVAL, "output")
    prompt = tokens(p, (), INTERVAL, *PROMPT_TYPES)
    return f"{output} / {prompt}"


# --- Sessions and activity -------------------------------------------------


def active_sessions_over_time(p: Profile) -> str:
    return sessions(p, INTERVAL)


def sessions_by_terminal(p: Profile) -> str:
    return f"count by (terminal_type) (count by (session_id, terminal_type) ({activity(p, RANGE)}))"


def active_time_over_time(p: Profile) -> str:
    return interval_total(p, "active_time", ("type",))


def lines_over_time(p: Profile) -> str:
    return interval_total(p, "lines", ("type",))


def commits_total(p: Profile) -> str:
    return window_total(p, "commits")


def pull_requests_total(p: Profile) -> str:
    return window_total(p, "pull_requests")


def edit_decisions(p: Profile, decision: str) -> str:
    return window_total(p, "edit_decisions", ("tool_name",), decision=f'="{decision}"')


def edit_accept_rate(p: Profile) -> str:
    return f"{edit_decisions(p, 'accept')} / {window_total(p, 'edit_decisions', ('tool_name',))}"
