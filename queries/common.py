"""PromQL building blocks shared by every Claude Code query.

Two facts about Claude Code's counters shape these helpers:
- a series' first export has no earlier sample, so `increase()` alone misses
  it; for a one-shot `claude -p` session that is the whole session;
- the collector re-exposes a finished session's last value until
  `metric_expiration`, so "present in the range" is not "active in the range".
"""

from __future__ import annotations

from dataclasses import dataclass

from ccdash.telemetry import Profile

RANGE = "$__range"
INTERVAL = "$__interval"
RATE_INTERVAL = "$__rate_interval"


@dataclass(frozen=True)
class Filter:
    """A dashboard filter: a template variable matched against one label."""

    label: str
    variable: str
    title: str


def filters(p: Profile) -> list[Filter]:
    """The dashboard's filters, in display order."""
    return [
        Filter("user_id", "user", "User"),
        Filter("model", "model", "Model"),
        Filter(
            p.attribution_label, p.attribution_label, p.attribution_label.replace("_", " ").title()
        ),
    ]


def matcher(f: Filter) -> str:
    return f'{f.label}=~"${{{f.variable}}}"'


def model_matcher(p: Profile) -> str:
    """The model filter, for span metrics that carry a `model` dimension."""
    return next(matcher(f) for f in filters(p) if f.label == "model")


def selector(p: Profile, key: str, **matchers: str) -> str:
    """`metric{filters..., matchers...}` for a Claude Code metric.

    A filter is applied only when the metric carries its label, so picking a
    model never empties a panel built on `session.count`, which has none.
    Extra matchers are written as given (`type='="input"'`).
    """
    labels = p.labels_of(key)
    parts = [matcher(f) for f in filters(p) if f.label in labels]
    parts += [f"{label}{matcher}" for label, matcher in matchers.items()]
    return f"{p.metric(key)}{{{', '.join(parts)}}}"


def by(*labels: str) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def window_total(sel: str, labels: tuple[str, ...] = (), window: str = RANGE) -> str:
    """The amount a counter grew inside the window, summed by `labels`.

    `increase()` covers growth after a series' first sample, resets included;
    a series born inside the window (absent `window` ago) adds its first
    value, which is what the process accumulated before its first export.
    """
    born = f"(min_over_time({sel}[{window}]) unless {sel} offset {window})"
    grown = f"increase({sel}[{window}])"
    return f"sum{by(*labels)} ({grown} + {born} or {grown})"


def interval_total(sel: str, labels: tuple[str, ...] = ()) -> str:
    """Growth per `$__interval` step: non-overlapping windows, so the bars add up to the range."""
    return window_total(sel, labels, INTERVAL)


def active_series(sel: str, window: str = RANGE) -> str:
    """Series with an export inside the window: the value changed, or the series is new.

    A finished session still re-exposed by the collector neither changes nor
    is new, so it is not counted.
    """
    return (
        f"(changes({sel}[{window}]) > 0"
        f" or (last_over_time({sel}[{window}]) unless {sel} offset {window}))"
    )
