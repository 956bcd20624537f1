"""Who the series say they are: user identity labels, team attribution and service names.

API-key, Bedrock and Vertex users have no `user_email`; the dashboard counts
and ranks users by `user_id`, so that is information, not a fault. A missing
`user_id` or attribution label is. Desktop sessions say
`service.name=claude-code-desktop`: a dashboard filter that only accepts
`claude-code` would drop them, which the doctor checks against the filters
the built dashboard actually has.
"""

from __future__ import annotations

import re
from collections import defaultdict

from agents.claude_code.doctor.context import Context
from agents.claude_code.doctor.panels import TargetUse, rule_uses, target_uses
from agents.claude_code.doctor.presence import CLAUDE_KEYS
from ccdash.check.doctor.findings import ERROR, INFO, SPANS, WARNING, Breaks, Finding

# Labels that can carry service.name: `job` when scraped with honor_labels,
# `exported_job` without it, `service`/`service_name` on span metrics.
SERVICE_LABELS = ("job", "exported_job", "service", "service_name")


def identity(ctx: Context) -> list[Finding]:
    """Series without user_id (error), users without user_email or the attribution label (info)."""
    attr = ctx.built.attribution_label
    found = ctx.series(
        f"count by (user_id, user_email, {attr}) (last_over_time({ctx.claude()}[{ctx.window}]))"
    )
    if not found:
        return []
    emails: dict[str, bool] = defaultdict(bool)
    teams: dict[str, bool] = defaultdict(bool)
    anonymous = 0.0
    for s in found:
        labels = s["metric"]
        if not labels.get("user_id"):
            anonymous += float(s["value"][1])
            continue
        emails[labels["user_id"]] |= bool(labels.get("user_email"))
        teams[labels["user_id"]] |= bool(labels.get(attr))
    findings = []
    if anonymous:
        findings.append(
            Finding(
                "no-user-id",
                ERROR,
                "series without user_id: users cannot be counted",
                [f"{anonymous:.0f} series have no user_id"],
                "keep user.id: do not drop it in the collector (attributes/transform "
                "processors) and keep resource_to_telemetry_conversion on",
                Breaks(CLAUDE_KEYS, frozenset({"user_id"})),
            )
        )
    users = len(emails)
    no_email = sum(not v for v in emails.values())
    if no_email:
        findings.append(
            Finding(
                "no-user-email",
                INFO,
                "some users have no user_email (API key, Bedrock or Vertex sign-in)",
                [f"{no_email} of {users} users have no user_email"],
                "nothing to fix for the dashboard, which identifies users by user_id; to put "
                "names on them, add e.g. OTEL_RESOURCE_ATTRIBUTES=developer=<name> per user",
                Breaks(CLAUDE_KEYS, frozenset({"user_email"})),
            )
        )
    no_team = sum(not v for v in teams.values())
    if no_team:
        findings.append(
            Finding(
                "no-attribution",
                WARNING if no_team == users else INFO,
                f"{'no' if no_team == users else 'some'} users carry the `{attr}` label the "
                "dashboard's team filter uses",
                [f"{no_team} of {users} users have no {attr}"],
                f"set OTEL_RESOURCE_ATTRIBUTES={attr}=<team> for them (and keep "
                "OTEL_METRICS_INCLUDE_RESOURCE_ATTRIBUTES on); at All they are counted, under "
                "a chosen team they are not",
                Breaks(CLAUDE_KEYS | {SPANS}, frozenset({attr})),
            )
        )
    return findings


def services(ctx: Context) -> list[Finding]:
    """Claude Code service names present, and whether the dashboard's filters keep them all."""
    uses = target_uses(ctx.model, ctx.built) + rule_uses(ctx.rule_groups, ctx.built)
    families = {
        "metrics": (ctx.claude(), lambda u: bool(u.metrics & CLAUDE_KEYS)),
        "spans": (ctx.built.spans.calls, lambda u: SPANS in u.metrics),
    }
    seen: dict[str, set[str]] = defaultdict(set)
    dropped: list[str] = []
    for family, (selector, reads) in families.items():
        by = ", ".join(SERVICE_LABELS)
        found = ctx.series(f"count by ({by}) (last_over_time({selector}[{ctx.window}]))")
        for s in found:
            for label in SERVICE_LABELS:
                value = s["metric"].get(label, "")
                if "claude" not in value:
                    continue
                seen[value].add(f"{family} ({label})")
                for use in uses:
                    if reads(use) and not accepts(use, label, value):
                        dropped.append(f'{use.panel} filters out {label}="{value}"')
    if dropped:
        return [
            Finding(
                "service-filtered",
                WARNING,
                "the dashboard filters out some of Claude Code's service names",
                sorted(set(dropped))[:10],
                "filter on service.name with a regex that accepts every variant, e.g. "
                '=~"claude-code.*" (agents.claude_code.telemetry.SERVICE_REGEX), and rebuild',
                Breaks(CLAUDE_KEYS | {SPANS}, frozenset(SERVICE_LABELS)),
            )
        ]
    if len(seen) > 1:
        return [
            Finding(
                "service-names",
                INFO,
                "several Claude Code service names; the dashboard keeps them all",
                [f"{name}: in {', '.join(sorted(where))}" for name, where in sorted(seen.items())],
                "nothing to fix",
            )
        ]
    return []


def accepts(use: TargetUse, label: str, value: str) -> bool:
    """Whether a target's matchers on `label` keep series with this value."""
    for name, op, pattern in use.matchers:
        if name != label:
            continue
        pattern = pattern.replace("\\\\", "\\")
        if op == "=" and value != pattern:
            return False
        if op == "!=" and value == pattern:
            return False
        if op == "=~" and not re.fullmatch(pattern, value):
            return False
        if op == "!~" and re.fullmatch(pattern, value):
            return False
    return True
