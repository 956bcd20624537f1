"""Which of the flagship's panels show which of the simulator's true figures.

The truth tests, the accuracy report and the benchmark read the dashboard's
own panels by these titles, so what they check is what Grafana shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ccdash.check.evaluate import TargetEval, instant_by
from dashboards.claude_code import TOP_CACHE, TOP_COST, TOP_TOKENS
from devtools.accuracy import Figure, PanelFigures, panel_target

PANEL_FIGURES: PanelFigures = [
    ("notional_cost_usd", "Notional cost (USD)", None),
    ("total_tokens", "Total tokens", None),
    ("sessions", "Sessions", None),
    ("active_users", "Active users", None),
    ("cache_hit_ratio", "Cache hit ratio", None),
    ("cost_by_model", "Notional cost by model", "model"),
    ("cost_by_query_source", "Notional cost by query source", "query_source"),
]
TOP_SESSIONS = "Top sessions by notional cost"


def top_session_figures(evals: list[TargetEval], truth: Mapping[str, Any]) -> list[Figure]:
    """Per-session cost, tokens and cache hit ratio of the table's rows, against the truth."""
    cost = instant_by(panel_target(evals, TOP_SESSIONS, TOP_COST).result, "session_id")
    tokens = instant_by(panel_target(evals, TOP_SESSIONS, TOP_TOKENS).result, "session_id")
    ratio = instant_by(panel_target(evals, TOP_SESSIONS, TOP_CACHE).result, "session_id")
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
