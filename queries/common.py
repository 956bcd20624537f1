"""PromQL building blocks shared by every Claude Code query, and the recording rules behind them.

Two facts about Claude Code's counters shape these helpers:
- a series' first export has no earlier sample, so `increase()` alone misses
  it; for a one-shot `claude -p` session that is the whole session;
- the collector re-exposes a finished session's last value until
  `metric_expiration`, so "present in the range" is not "active in the range".

With recording rules (the default) rules record, every 15 s, each series'
growth since the previous evaluation, summed per user or per session: the
difference when the counter grew, the value itself when the series is new
or was reset (a resumed session restarts from 0). Zero growth records
nothing, so a range total is a cheap `sum_over_time` over sparse samples,
exact to the scrape.
Without rules, the same figures come from raw counters: `increase()` plus
the first value of series born in the window, within about half a percent.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccdash.telemetry import Profile

RANGE = "$__range"
INTERVAL = "$__interval"
RATE_INTERVAL = "$__rate_interval"
# Minutes in one $__interval: per-interval totals divided by it read "per minute".
INTERVAL_MINUTES = "($__interval_ms / 60000)"
RULE_INTERVAL = "15s"


@dataclass(frozen=True)
class Filter:
    """A dashboard filter: a template variable matched against one label."""

    label: str
    variable: str
    title: str


def filters(p: Profile) -> list[Filter]:
    """The dashboard's filters, in display order."""
    attribution = p.attribution_label
    return [
        Filter("user_id", "user", "User"),
        Filter("model", "model", "Model"),
        Filter(attribution, attribution, attribution.replace("_", " ").title()),
    ]


def matcher(f: Filter) -> str:
    return f'{f.label}=~"${{{f.variable}}}"'


def model_matcher(p: Profile) -> str:
    """The model filter, for span metrics that carry a `model` dimension."""
    return next(matcher(f) for f in filters(p) if f.label == "model")


# The two aggregation levels the recording rules keep. Session-level series
# count sessions and rank them; everything else reads user-level series,
# which drop the per-session labels: at fleet scale a panel's cost is the
# number of series it touches, and a 7-day range holds thousands of sessions.
SESSION, SESSION_MODEL, USER = "session", "session_model", "user"


# What panels break each metric down by, per level, besides the user and
# team filters: a level keeps exactly these (effort, speed, language... would
# multiply the series). Per user: every chart's breakdown, and the model
# filter. Per session: what the session tables list; tokens per session are
# the whole session's, across models, which halves the series they read.
BREAKDOWNS: dict[str, dict[str, tuple[str, ...]]] = {
    USER: {
        "lines": ("type",),
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
    """The recorded 15 s growth of a metric summed to one level (`level:metric:operation`).

    A view is a recorded subset of the metric (say, cache-read tokens), its
    selection made by the rule so that readers touch one series, not several.
    """
    operation = f"{view}_delta{RULE_INTERVAL}" if view else f"delta{RULE_INTERVAL}"
    return f"ccdash:{p.metric(key)}:{operation}_by_{level}"


def selector(
    p: Profile, key: str, *, level: str = USER, view: str = "", raw: bool = False, **matchers: str
) -> str:
    """`name{filters..., matchers...}` for a Claude Code metric, or its recorded growth.

    A filter is applied only when the metric carries its label, so picking a
    model never empties a panel built on `session.count`, which has none.
    Extra matchers are written as given (`type='="input"'`).
    """
    recorded = p.recording_rules and not raw
    labels = rule_labels(p, key, level, view) if recorded else p.labels_of(key)
    parts = [matcher(f) for f in filters(p) if f.label in labels]
    parts += [f"{label}{m}" for label, m in matchers.items()]
    if not recorded:
        return f"{p.metric(key)}{{{', '.join(parts)}}}"
    _require_kept(p, key, level, view, matchers)
    return f"{rule_name(p, key, level, view)}{{{', '.join(parts)}}}"


def _require_kept(p: Profile, key: str, level: str, view: str, labels) -> None:
    """A query may only read labels its recorded level kept (else it would silently see none)."""
    missing = set(labels) - set(rule_labels(p, key, level, view))
    if missing:
        raise ValueError(
            f"{key} recorded by {level} has no label {', '.join(sorted(missing))}: "
            f"add it to rule_labels() or read another level"
        )


def level_for(labels: tuple[str, ...]) -> str:
    """The cheapest recorded level that can group by these labels."""
    if "session_id" not in labels:
        return USER
    return SESSION_MODEL if "model" in labels else SESSION


def by(*labels: str) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def window_total(
    p: Profile,
    key: str,
    labels: tuple[str, ...] = (),
    window: str = RANGE,
    view: str = "",
    **matchers: str,
) -> str:
    """How much a counter grew inside the window, summed by `labels`."""
    level = level_for(labels)
    sel = selector(p, key, level=level, view=view, **matchers)
    if p.recording_rules:
        _require_kept(p, key, level, view, labels)
        return f"sum{by(*labels)} (sum_over_time({sel}[{window}]))"
    # increase() covers growth after a series' first sample, resets included;
    # a series born inside the window (absent `window` ago) adds its first
    # value (min_over_time: exact unless a resumed process restarts lower).
    born = f"(min_over_time({sel}[{window}]) unless {sel} offset {window})"
    grown = f"increase({sel}[{window}])"
    return f"sum{by(*labels)} ({grown} + {born} or {grown})"


def interval_total(p: Profile, key: str, labels: tuple[str, ...] = (), **matchers: str) -> str:
    """Growth per `$__interval` step: non-overlapping windows, so the bars add up to the range."""
    return window_total(p, key, labels, INTERVAL, **matchers)


def activity_name(p: Profile) -> str:
    """The recorded activity of each session: 1 at every 15 s step where it exported growth."""
    return f"ccdash:{p.metric('session')}:active{RULE_INTERVAL}_by_session"


# A session is at work when it starts (session.count) or adds active time.
ACTIVITY_KEYS = ("session", "active_time")


def activity(p: Profile, window: str = RANGE) -> str:
    """Per session, its exports inside the window that carried growth or a new series.

    A finished session still re-exposed by the collector neither changes nor
    is new, so it is not counted. Neither metric has a `model` label, so the
    model filter cannot empty the session and user counts.
    """
    if p.recording_rules:
        kept = rule_labels(p, "session", SESSION)
        parts = [matcher(f) for f in filters(p) if f.label in kept]
        return f"count_over_time({activity_name(p)}{{{', '.join(parts)}}}[{window}])"
    changed = []
    for key in ACTIVITY_KEYS:
        sel = selector(p, key)
        changed.append(
            f"(changes({sel}[{window}]) > 0"
            f" or (last_over_time({sel}[{window}]) unless {sel} offset {window}))"
        )
    return " or ".join(changed)


def delta_rule(p: Profile, key: str, level: str, view: str = "", **matchers: str) -> dict[str, str]:
    """The recording rule behind `rule_name(p, key, level, view)`; `matchers` select the view.

    Per series: growth when the counter rose; the value itself when the
    series is new or was reset; nothing otherwise (so idle and re-exposed
    series cost no samples). Summed to the level in the same expression,
    reading only raw series, so no rule depends on another's output.
    """
    labels = ", ".join(rule_labels(p, key, level, view))
    chosen = ", ".join(f"{label}{m}" for label, m in matchers.items())
    x = f"{p.metric(key)}{{{chosen}}}" if chosen else p.metric(key)
    return {
        "record": rule_name(p, key, level, view),
        "expr": f"sum by ({labels}) ({growth(x, RULE_INTERVAL)})",
    }


def activity_rule(p: Profile) -> dict[str, str]:
    """The rule behind `activity()`: one series per session, present when it grew."""
    grew = " or ".join(growth(p.metric(k), RULE_INTERVAL) for k in ACTIVITY_KEYS)
    labels = ", ".join(rule_labels(p, "session", SESSION))
    return {"record": activity_name(p), "expr": f"group by ({labels}) ({grew})"}


def growth(x: str, step: str) -> str:
    """A counter's growth over the last step: the rise, or the value of a new or reset series."""
    return f"({x} - {x} offset {step} > 0) or ({x} * 1 unless {x} offset {step} <= {x})"
