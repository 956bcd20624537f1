"""PromQL over span metrics (Tempo's metrics-generator or the collector's connector).

Span-metric series are long-lived per service and span name, so plain
`rate()`/`increase()` are accurate here; the first-export correction that
Claude Code's per-session counters need does not apply.
"""

from __future__ import annotations

from ccdash.telemetry import (
    SERVICE_REGEX,
    SPAN_BLOCKED_ON_USER,
    SPAN_LLM_REQUEST,
    SPAN_TOOL,
    Profile,
)
from queries.common import RANGE, RATE_INTERVAL, by, model_matcher


def _span_selector(p: Profile, metric: str, span: str, **matchers: str) -> str:
    parts = [f'{p.spans.service_label}=~"{SERVICE_REGEX}"', f'span_name="{span}"']
    if span == SPAN_LLM_REQUEST:  # only LLM spans carry the model dimension
        parts.append(model_matcher(p))
    parts += [f"{label}{m}" for label, m in matchers.items()]
    return f"{metric}{{{', '.join(parts)}}}"


def _seconds(p: Profile, expr: str) -> str:
    factor = p.spans.to_seconds
    return expr if factor == 1 else f"({expr}) * {factor:g}"


def latency_quantile(
    p: Profile, q: float, span: str, labels: tuple[str, ...] = (), window: str = RATE_INTERVAL
) -> str:
    sel = _span_selector(p, p.spans.latency_bucket, span)
    func = "rate" if window == RATE_INTERVAL else "increase"
    inner = f"sum{by('le', *labels)} ({func}({sel}[{window}]))"
    return _seconds(p, f"histogram_quantile({q:g}, {inner})")


def llm_latency(p: Profile, q: float) -> str:
    return latency_quantile(p, q, SPAN_LLM_REQUEST)


def llm_p95_by_model(p: Profile) -> str:
    return latency_quantile(p, 0.95, SPAN_LLM_REQUEST, ("model",))


def llm_latency_heatmap(p: Profile) -> str:
    sel = _span_selector(p, p.spans.latency_bucket, SPAN_LLM_REQUEST)
    return f"sum by (le) (increase({sel}[$__interval]))"


def llm_requests_per_minute(p: Profile) -> str:
    sel = _span_selector(p, p.spans.calls, SPAN_LLM_REQUEST)
    return f"sum by (model) (rate({sel}[{RATE_INTERVAL}])) * 60"


def llm_error_rate(p: Profile, window: str = RATE_INTERVAL) -> str:
    errors = _span_selector(
        p, p.spans.calls, SPAN_LLM_REQUEST, status_code=f'="{p.spans.error_status}"'
    )
    calls = _span_selector(p, p.spans.calls, SPAN_LLM_REQUEST)
    func = "rate" if window == RATE_INTERVAL else "increase"
    # `or vector(0)` keeps a healthy fleet at 0% instead of "No data".
    return f"(sum({func}({errors}[{window}])) or vector(0)) / sum({func}({calls}[{window}]))"


def tool_calls(p: Profile) -> str:
    sel = _span_selector(p, p.spans.calls, SPAN_TOOL)
    return f"sort_desc(sum by (tool_name) (increase({sel}[{RANGE}])))"


def tool_p95(p: Profile) -> str:
    return latency_quantile(p, 0.95, SPAN_TOOL, ("tool_name",), RANGE)


def blocked_on_user_p95(p: Profile) -> str:
    return latency_quantile(p, 0.95, SPAN_BLOCKED_ON_USER, (), RANGE)
