"""PromQL building blocks shared by every Claude Code query, and the recording rules behind them.

Two facts about Claude Code's counters shape these helpers:
- a series' first export has no earlier sample, so `increase()` alone misses
  it; for a one-shot `claude -p` session that is the whole session;
- the collector re-exposes a finished session's last value until
  `metric_expiration`, so "present in the range" is not "active in the range".

Every figure has two sources, and the dashboard reads one of them per time
range (`ccdash.build.counters` explains how, and why it survives failed scrapes,
restarts and other evaluation intervals): ccdash's recording rules, which
record each counter's growth summed per user or per session (a range total
is a cheap `sum_over_time` over sparse samples), when they ran over the
whole range; the raw counters otherwise, with the same meaning (the last
value in the window minus the last before it, the whole value of a series
born inside it), so a Prometheus without the rules, or a range reaching back
before they were loaded, shows the same figures, only slower.
"""

from __future__ import annotations

from decimal import Decimal

from agents.claude_code.telemetry import Profile
from ccdash.build.counters import (
    SOURCE_RAW,
    SOURCE_RULES,
    by,
    fresh_growth,
    gate,
    level_rule,
    raw_changed,
    window_growth,
)
from queries.filters import filters, matcher

RANGE = "$__range"
INTERVAL = "$__interval"
RATE_INTERVAL = "$__rate_interval"
# Minutes in one $__interval: per-interval totals divided by it read "per minute".
INTERVAL_MINUTES = "($__interval_ms / 60000)"
# How often the rule groups run; the figures do not depend on it (ccdash.build.counters).
RULE_INTERVAL = "15s"


# The aggregation levels the recording rules keep. Session-level series count
# sessions and rank them; totals and charts read user-level series, which
# drop the per-session labels: at fleet scale a panel's cost is the number of
# series it touches, and a 7-day range holds thousands of sessions.
SESSION, SESSION_MODEL, USER = "session", "session_model", "user"
# Session starts by how the process began, and each session's subagents.
SESSION_START, SESSION_AGENT = "session_start", "session_agent"
# The attribution dashboard's breakdowns, each level keeping labels whose
# product stays small (a plugin comes with its skill or MCP server, a tool
# with its server; effort and speed are session settings) and the model,
# never all of them at once: four levels rather than seven keep the tokens
# group within Mimir's default of 20 rules a group.
ATTRIBUTION_LEVELS: dict[str, tuple[str, ...]] = {
    "agent": ("agent_name", "model"),
    "extension": ("skill_name", "plugin_name", "model"),
    "mcp": ("mcp_server_name", "mcp_tool_name", "model"),
    "effort_speed": ("effort", "speed", "model"),
}


# What panels break each metric down by, per level, besides the user and
# team filters: a level keeps exactly these (effort, speed, language... would
# multiply the series). Per user: every chart's breakdown, and the model
# filter. Per session: what the session tables list; tokens per session are
# the whole session's, across models, which halves the series they read.
BREAKDOWNS: dict[str, dict[str, tuple[str, ...]]] = {
    USER: {
        "lines": ("type", "model"),
        "pull_requests": (),
        "commits": (),
        "cost": ("model", "query_source"),
        "tokens": ("model",),  # and the profile's token-type label
        "edit_decisions": ("tool_name", "decision"),
        "active_time": ("type",),
    },
    SESSION: {
        "session": ("session_id", "terminal_type"),
        "cost": ("session_id",),
        "tokens": ("session_id",),
    },
    **{level: {"cost": labels, "tokens": labels} for level, labels in ATTRIBUTION_LEVELS.items()},
    SESSION_START: {"session": ("session_id", "start_type")},
    SESSION_AGENT: {"cost": ("session_id", "agent_name"), "tokens": ("session_id", "agent_name")},
    # The models of each session, for the table that lists them.
    SESSION_MODEL: {"cost": ("session_id", "model")},
}


def rule_labels(p: Profile, key: str, level: str, view: str = "") -> tuple[str, ...]:
    """The labels a recorded level keeps: the user and team filters, plus its BREAKDOWNS.

    The model filter applies where a level keeps `model`. A view (a
    selection of token types) is summed across its types.
    """
    if key not in BREAKDOWNS.get(level, {}):
        raise ValueError(f"{key} is not recorded per {level}: add it to BREAKDOWNS")
    labels = p.labels_of(key)
    kept = {f.label for f in filters(p) if f.label in labels and f.label != "model"}
    kept |= set(BREAKDOWNS[level][key])
    if level == USER and key == "tokens" and not view:
        kept.add(p.token_label)
    return tuple(sorted(kept))


def rule_name(p: Profile, key: str, level: str, view: str = "") -> str:
    """A metric's recorded growth summed to one level (`level:metric:operation`).

    A view is a recorded subset of the metric (say, cache-read tokens), its
    selection made by the rule so that readers touch one series, not several.
    """
    operation = f"{view}_growth" if view else "growth"
    return f"ccdash:{p.metric(key)}:{operation}_by_{level}"


def gated(name: str, parts: list[str], source: str, switched: bool) -> str:
    """`name{parts}`, or when `switched` (a dashboard with rules)
    `{<name matched through the source variable>, parts}`.

    (Prometheus refuses a name set twice, so the gated name is the matcher.)
    """
    if switched:
        return f"{{{', '.join([gate(name, source), *parts])}}}"
    # As Prometheus prints a selector, so that mimirtool lint leaves rules alone.
    return f"{name}{{{','.join(sorted(parts))}}}" if parts else name


def number(x: float) -> str:
    """A number as Prometheus prints it (Go's shortest %g): 500000, 5e+06, 1.5."""
    sign, digits, exp = Decimal(repr(float(x))).normalize().as_tuple()
    exponent = len(digits) + exp - 1
    if -4 <= exponent < 6:
        return format(Decimal(repr(float(x))).normalize(), "f")
    shown = "".join(map(str, digits))
    mantissa = shown[0] + (f".{shown[1:]}" if len(shown) > 1 else "")
    return f"{'-' if sign else ''}{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"


def _switched(p: Profile) -> bool:
    """Whether selectors go through the dashboard's source variables."""
    return p.recording_rules and p.in_grafana


def selector(
    p: Profile, key: str, *, level: str = USER, view: str = "", raw: bool = False, **matchers: str
) -> str:
    """`name{filters..., matchers...}` for a Claude Code metric, or its recorded growth.

    A filter is applied only when the metric carries its label, so picking a
    model never empties a panel built on `session.count`, which has none.
    Extra matchers are written as given (`type='="input"'`).
    """
    labels = p.labels_of(key) if raw else rule_labels(p, key, level, view)
    parts = [matcher(f) for f in filters(p) if f.label in labels and p.in_grafana]
    parts += [f"{label}{m}" for label, m in matchers.items()]
    if raw:
        return gated(p.metric(key), parts, SOURCE_RAW, _switched(p))
    _require_kept(p, key, level, view, matchers)
    return gated(rule_name(p, key, level, view), parts, SOURCE_RULES, _switched(p))


def _require_kept(p: Profile, key: str, level: str, view: str, labels) -> None:
    """A query may only read labels its recorded level kept (else it would silently see none)."""
    missing = set(labels) - set(rule_labels(p, key, level, view))
    if missing:
        raise ValueError(
            f"{key} recorded by {level} has no label {', '.join(sorted(missing))}: "
            f"add it to rule_labels() or read another level"
        )


def level_for(p: Profile, key: str, labels) -> str:
    """The cheapest recorded level of a metric that keeps these labels (BREAKDOWNS'
    order: per user first, per session and model last)."""
    for level, kept in BREAKDOWNS.items():
        if key in kept and set(labels) <= set(rule_labels(p, key, level)):
            return level
    raise ValueError(f"no recorded level of {key} keeps {sorted(labels)}: add one to BREAKDOWNS")


def window_total(
    p: Profile,
    key: str,
    labels: tuple[str, ...] = (),
    window: str = RANGE,
    view: str = "",
    raw_matchers: dict[str, str] | None = None,
    **matchers: str,
) -> str:
    """How much a counter grew inside the window, summed by `labels`.

    Recorded growth when the rules covered the range, else the raw counters
    (`raw_matchers` select a view's token types there).
    """
    raw_sel = selector(p, key, raw=True, **(raw_matchers or {}), **matchers)
    recorded = None
    if p.recording_rules:
        level = level_for(p, key, [*labels, *matchers])
        _require_kept(p, key, level, view, labels)
        recorded = selector(p, key, level=level, view=view, **matchers)
        if not p.in_grafana:
            return f"sum{by(*labels)} (sum_over_time({recorded}[{window}]))"
    return window_growth(raw_sel, recorded, labels, window)


def interval_total(p: Profile, key: str, labels: tuple[str, ...] = (), **matchers: str) -> str:
    """Growth per `$__interval` step: non-overlapping windows, so the bars add up to the range."""
    return window_total(p, key, labels, INTERVAL, **matchers)


def activity_name(p: Profile) -> str:
    """The recorded activity of each session: 1 at every evaluation where it exported growth."""
    return f"ccdash:{p.metric('session')}:active_by_session"


# A session is at work when it starts (session.count) or adds active time.
ACTIVITY_KEYS = ("session", "active_time")


def activity(p: Profile, window: str = RANGE) -> str:
    """Per session, its exports inside the window that carried growth or a new series.

    A finished session still re-exposed by the collector neither changes nor
    is new, so it is not counted. Neither metric has a `model` label, so the
    model filter cannot empty the session and user counts.
    """
    changed = " or ".join(raw_changed(selector(p, key, raw=True), window) for key in ACTIVITY_KEYS)
    if not p.recording_rules:
        return changed
    kept = rule_labels(p, "session", SESSION)
    parts = [matcher(f) for f in filters(p) if f.label in kept]
    recorded = gated(activity_name(p), parts, SOURCE_RULES, _switched(p))
    return f"(count_over_time({recorded}[{window}]) or {changed})"


def level_growth_rule(
    p: Profile, key: str, level: str, view: str = "", **matchers: str
) -> dict[str, str]:
    """The recording rule behind `rule_name(p, key, level, view)`; `matchers` select the view."""
    chosen = ", ".join(f"{label}{m}" for label, m in matchers.items())
    return level_rule(
        rule_name(p, key, level, view), p.metric(key), rule_labels(p, key, level, view), chosen
    )


def activity_rule(p: Profile) -> dict[str, str]:
    """The rule behind `activity()`: one series per session, present when it grew."""
    grew = " or ".join(fresh_growth(p.metric(k)) for k in ACTIVITY_KEYS)
    labels = ", ".join(rule_labels(p, "session", SESSION))
    return {"record": activity_name(p), "expr": f"group by ({labels}) ({grew})"}
