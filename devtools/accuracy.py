"""Dashboard figures read from a real Prometheus, compared with the simulator's truth.

Headline figures are read from the compiled dashboard's own panels (by their
fixed titles), so what is checked is exactly what Grafana would show;
`query` evaluates the other checks (tokens by type, the peer formulations).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ccdash.check.evaluate import TargetEval, instant_by, instant_value, query_values
from ccdash.check.interpolate import Interpolator, Interval, variables_of
from ccdash.check.promapi import PrometheusClient

# (figure name in the truth file, panel title, label to break the value down by)
PANEL_FIGURES = [
    ("notional_cost_usd", "Notional cost (USD)", None),
    ("total_tokens", "Total tokens", None),
    ("sessions", "Sessions", None),
    ("active_users", "Active users", None),
    ("cache_hit_ratio", "Cache hit ratio", None),
    ("cost_by_model", "Notional cost by model", "model"),
    ("cost_by_query_source", "Notional cost by query source", "query_source"),
]
TOP_SESSIONS = "Top sessions by notional cost"


@dataclass(frozen=True)
class Figure:
    name: str
    truth: float | None
    measured: float | None

    @property
    def error_pct(self) -> float | None:
        if self.truth is not None and self.truth == self.measured:
            return 0.0
        if self.truth in (None, 0) or self.measured is None:
            return None
        return (self.measured - self.truth) / self.truth * 100


def _panel(evals: list[TargetEval], title: str, ref_id: str = "A") -> TargetEval:
    for e in evals:
        if e.panel_title == title and e.ref_id == ref_id:
            return e
    raise KeyError(f"no panel titled {title!r} with target {ref_id}")


def panel_figures(evals: list[TargetEval], truth: Mapping[str, Any]) -> list[Figure]:
    figures = []
    for name, title, label in PANEL_FIGURES:
        result = _panel(evals, title).result
        if label is None:
            figures.append(Figure(name, truth[name], instant_value(result)))
            continue
        measured = instant_by(result, label)
        for key in sorted(set(truth[name]) | set(measured)):
            # A slice absent from the truth is worth 0 (a raw query may show it as 0).
            figures.append(Figure(f"{name}[{key}]", truth[name].get(key, 0.0), measured.get(key)))
    return figures


def top_session_figures(evals: list[TargetEval], truth: Mapping[str, Any]) -> list[Figure]:
    """Per-session cost, tokens and cache hit ratio of the table's rows, against the truth."""
    cost = instant_by(_panel(evals, TOP_SESSIONS, "A").result, "session_id")
    tokens = instant_by(_panel(evals, TOP_SESSIONS, "B").result, "session_id")
    ratio = instant_by(_panel(evals, TOP_SESSIONS, "C").result, "session_id")
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


def query(
    client: PrometheusClient,
    model: Mapping,
    expr: str,
    time: float,
    range_s: float,
    label: str | None = None,
) -> float | dict[str, float] | None:
    """An ad-hoc instant query with the dashboard's variables at All and its macros filled."""
    interpolate = Interpolator(variables_of(model), query_values(model, client, time, range_s))
    result = client.query(interpolate(expr, Interval.for_panel(range_s)), time)
    if result.error:
        raise ValueError(f"{result.error}: {expr}")
    return instant_value(result) if label is None else instant_by(result, label)
