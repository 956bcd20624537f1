"""How the peer dashboards compute the same figures, kept for comparison in reports and benchmarks.

Not used by ccdash's own panels: `increase()` over the range misses every
series' first export, and max_over_time over the range counts sessions the
collector merely still exposes.
"""

from __future__ import annotations

from agents.claude_code.telemetry import SPAN_LLM_REQUEST, Profile
from queries.common import RANGE, selector


def cost_total(p: Profile) -> str:
    return f"sum(increase({selector(p, 'cost', raw=True)}[{RANGE}]))"


def tokens_total(p: Profile) -> str:
    return f"sum(increase({selector(p, 'tokens', raw=True)}[{RANGE}]))"


def sessions(p: Profile) -> str:
    sessions = selector(p, "session", raw=True)
    return f"count(count by (session_id) (max_over_time({sessions}[{RANGE}])))"


def llm_p95(p: Profile) -> str:
    bucket = f'{p.spans.latency_bucket}{{span_name="{SPAN_LLM_REQUEST}"}}'
    return f"histogram_quantile(0.95, sum by (le) (increase({bucket}[{RANGE}])))"
