"""PromQL building blocks shared by every Claude Code query, and the recording rules behind them.

Two facts about Claude Code's counters shape these helpers:
- a series' first export has no earlier sample, so `increase()` alone misses
  it; for a one-shot `claude -p` session that is the whole session;
- the collector re-exposes a finished session's last value until
  `metric_expiration`, so "present in the range" is not "active in the range".

With recording rules (the default) a rule per metric records, every minute,
each series' growth since the previous minute: the difference when the
counter grew, the value itself when the series is new or was reset (a
resumed session restarts from 0). Zero growth records nothing, so a range
total is a cheap `sum_over_time` over sparse samples, exact to the minute.
Without rules, the same figures come from raw counters: `increase()` plus
the first value of series born in the window, within about half a percent.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccdash.telemetry import OTEL_NAMES, Profile

RANGE = "$__range"
INTERVAL = "$__interval"
RATE_INTERVAL = "$__rate_interval"
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


def rule_name(p: Profile, key: str) -> str:
    """The recorded per-minute growth of a metric (`level:metric:operation`)."""
    return f"ccdash:{p.metric(key)}:delta{RULE_INTERVAL}"


def selector(p: Profile, key: str, *, raw: bool = False, **matchers: str) -> str:
    """`name{filters..., matchers...}` for a Claude Code metric, or its recorded growth.

    A filter is applied only when the metric carries its label, so picking a
    model never empties a panel built on `session.count`, which has none.
    Extra matchers are written as given (`type='="input"'`).
    """
    labels = p.labels_of(key)
    parts = [matcher(f) for f in filters(p) if f.label in labels]
    parts += [f"{label}{m}" for label, m in matchers.items()]
    name = p.metric(key) if raw or not p.recording_rules else rule_name(p, key)
    return f"{name}{{{', '.join(parts)}}}"


def by(*labels: str) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def window_total(
    p: Profile, key: str, labels: tuple[str, ...] = (), window: str = RANGE, **matchers: str
) -> str:
    """How much a counter grew inside the window, summed by `labels`."""
    sel = selector(p, key, **matchers)
    if p.recording_rules:
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


def active_series(p: Profile, key: str, window: str = RANGE) -> str:
    """Series with an export inside the window: the value changed, or the series is new.

    A finished session still re-exposed by the collector neither changes nor
    is new, so it is not counted.
    """
    sel = selector(p, key)
    if p.recording_rules:
        return f"count_over_time({sel}[{window}])"
    return (
        f"(changes({sel}[{window}]) > 0"
        f" or (last_over_time({sel}[{window}]) unless {sel} offset {window}))"
    )


def delta_rule(p: Profile, key: str) -> dict[str, str]:
    """The recording rule behind `rule_name(p, key)`.

    growth when the counter rose; the value itself when the series is new
    or was reset; nothing otherwise (so idle and re-exposed series cost no
    samples).
    """
    x = p.metric(key)
    step = RULE_INTERVAL
    return {
        "record": rule_name(p, key),
        "expr": f"({x} - {x} offset {step} > 0) or ({x} * 1 unless {x} offset {step} <= {x})",
    }


def recording_rules(p: Profile) -> list[dict]:
    """The rule groups the dashboard relies on when `p.recording_rules` is on."""
    return [
        {
            "name": "ccdash-claude-code",
            "interval": RULE_INTERVAL,
            "rules": [delta_rule(p, key) for key in OTEL_NAMES],
        }
    ]
