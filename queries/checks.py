"""Figures the truth harness checks besides the panels: breakdowns and the peer formulations.

Each check is (name, truth key, PromQL, label to break down by). The harness
compares the query's result with the simulator's truth under `truth key`.
"""

from __future__ import annotations

from typing import NamedTuple

from agents.claude_code.telemetry import SPAN_LLM_REQUEST, TOKEN_TYPES, Profile
from queries import claude_code, peers, spans
from queries.common import RANGE


class Check(NamedTuple):
    name: str
    truth_key: str
    expr: str
    label: str | None = None


def checks(p: Profile) -> list[Check]:
    return [
        Check(
            "tokens_by_type",
            "tokens_by_type",
            claude_code.tokens_total(p, (p.token_label,)),
            p.token_label,
        ),
        Check("tokens_by_model", "tokens_by_model", claude_code.tokens_by_model(p), "model"),
        Check("peer.notional_cost_usd", "notional_cost_usd", peers.cost_total(p)),
        Check("peer.total_tokens", "total_tokens", peers.tokens_total(p)),
        Check("peer.sessions", "sessions", peers.sessions(p)),
    ]


def canonical_token_type(p: Profile, value: str) -> str:
    """Map a token-type label value back to Claude Code's name (cache_read -> cacheRead)."""
    return next((t for t in TOKEN_TYPES if p.token_type(t) == value), value)


def llm_latency_over_range(p: Profile, q: float, by_model: bool = False) -> str:
    labels = ("model",) if by_model else ()
    return spans.latency_quantile(p, q, SPAN_LLM_REQUEST, labels, RANGE)


def llm_error_rate_over_range(p: Profile) -> str:
    return spans.llm_error_rate(p, RANGE)
