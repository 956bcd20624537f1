"""The recording rules the dashboards read, from the same functions that write their queries.

`ccdash build` writes them to rules/ (and k8s/); a rule name a panel reads is
always one recorded here, because both come from `queries.common.rule_name`
and `queries.spans.span_rule_name`.
"""

from __future__ import annotations

from ccdash.telemetry import OTEL_NAMES, Profile
from queries import spans
from queries.claude_code import token_view_rules
from queries.common import RULE_INTERVAL, SESSION, SESSION_MODEL, USER, activity_rule, delta_rule


def recording_rules(p: Profile) -> list[dict]:
    """The rule groups the dashboard relies on when `p.recording_rules` is on."""
    rules = [delta_rule(p, key, USER) for key in OTEL_NAMES if key != "session"]
    rules += [delta_rule(p, "cost", SESSION), delta_rule(p, "cost", SESSION_MODEL)]
    rules += token_view_rules(p)
    rules.append(activity_rule(p))
    return [
        {"name": "ccdash-claude-code", "interval": RULE_INTERVAL, "rules": rules},
        *spans.recording_rules(p),
    ]
