"""The recording rules the dashboards read, from the same functions that write their queries.

`ccdash build` writes them to rules/ (and k8s/); a rule name a panel reads is
always one recorded here, because both come from `queries.common.rule_name`
and `queries.spans.span_rule_name`.
"""

from __future__ import annotations

from agents.claude_code.telemetry import Profile
from ccdash.build.counters import counter_group
from queries import spans
from queries.claude_code import token_view_rules
from queries.common import (
    ATTRIBUTION_LEVELS,
    RULE_INTERVAL,
    SESSION,
    SESSION_AGENT,
    SESSION_MODEL,
    SESSION_START,
    USER,
    activity_rule,
    level_growth_rule,
)

# One group per set of counters whose rules read each other (Mimir's ruler
# allows 20 rules a group by default; groups also run in parallel).
GROUPS: dict[str, tuple[str, ...]] = {
    "cost": ("cost",),
    "tokens": ("tokens",),
    "activity": ("session", "active_time"),
    "code": ("lines", "pull_requests", "commits", "edit_decisions"),
}


COST_LEVELS = (USER, SESSION, *ATTRIBUTION_LEVELS, SESSION_AGENT, SESSION_MODEL)


def recording_rules(p: Profile) -> list[dict]:
    """The rule groups Claude Code's dashboards rely on when `p.recording_rules` is on."""
    derived = {
        "cost": [level_growth_rule(p, "cost", level) for level in COST_LEVELS],
        "tokens": [level_growth_rule(p, "tokens", USER), *token_view_rules(p)],
        "activity": [
            level_growth_rule(p, "active_time", USER),
            level_growth_rule(p, "session", SESSION_START),
            activity_rule(p),
        ],
        "code": [level_growth_rule(p, key, USER) for key in GROUPS["code"]],
    }
    groups = [
        counter_group(
            f"ccdash-claude-code-{name}",
            RULE_INTERVAL,
            [(p.metric(key), "") for key in keys],
            derived[name],
        )
        for name, keys in GROUPS.items()
    ]
    return [*groups, *spans.recording_rules(p)]
