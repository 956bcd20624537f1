"""PromQL over span metrics (Tempo's metrics-generator or the collector's connector).

Span-metric series are long-lived per service and span name, so plain
`rate()`/`increase()` are accurate on raw series; the first-export correction
that Claude Code's per-session counters need does not apply. With recording
rules, one rule per span metric records each minute's growth summed to the
dimensions the dashboard reads (span name, model, tool, status, bucket),
which drops the per-service and per-instance series and three samples in
four: the panels then add up those minutes, as for the Claude Code counters.
"""

from __future__ import annotations

from ccdash.telemetry import (
    SERVICE_REGEX,
    SPAN_BLOCKED_ON_USER,
    SPAN_LLM_REQUEST,
    SPAN_TOOL,
    Profile,
)
from queries.common import (
    INTERVAL,
    INTERVAL_MINUTES,
    RANGE,
    RATE_INTERVAL,
    by,
    growth,
    model_matcher,
)

SPAN_RULE_INTERVAL = "1m"
SPAN_RULE_LABELS = ("span_name", "model", "tool_name", "status_code")


def span_rule_name(metric: str) -> str:
    return f"ccdash:{metric}:delta{SPAN_RULE_INTERVAL}_by_span"


def _claude_code_services(p: Profile) -> str:
    """Claude Code's spans among every service's: what the raw queries and the span rules keep."""
    return f'{p.spans.service_label}=~"{SERVICE_REGEX}"'


def _span_selector(p: Profile, metric: str, span: str, **matchers: str) -> str:
    parts = [f'span_name="{span}"']
    if span == SPAN_LLM_REQUEST:  # only LLM spans carry the model dimension
        parts.append(model_matcher(p))
    parts += [f"{label}{m}" for label, m in matchers.items()]
    if p.recording_rules:  # the rule keeps Claude Code's services only
        return f"{span_rule_name(metric)}{{{', '.join(parts)}}}"
    return f"{metric}{{{_claude_code_services(p)}, {', '.join(parts)}}}"


def _count(p: Profile, sel: str, window: str) -> str:
    """Spans (or bucket counts) inside the window: recorded minutes summed, or increase()."""
    if p.recording_rules:
        return f"sum_over_time({sel}[{INTERVAL if window == RATE_INTERVAL else window}])"
    func = "rate" if window == RATE_INTERVAL else "increase"
    return f"{func}({sel}[{window}])"


def _seconds(p: Profile, expr: str) -> str:
    factor = p.spans.to_seconds
    return expr if factor == 1 else f"({expr}) * {factor:g}"


def latency_quantile(
    p: Profile, q: float, span: str, labels: tuple[str, ...] = (), window: str = RATE_INTERVAL
) -> str:
    sel = _span_selector(p, p.spans.latency_bucket, span)
    inner = f"sum{by('le', *labels)} ({_count(p, sel, window)})"
    return _seconds(p, f"histogram_quantile({q:g}, {inner})")


def llm_latency(p: Profile, q: float) -> str:
    return latency_quantile(p, q, SPAN_LLM_REQUEST)


def llm_p95_by_model(p: Profile) -> str:
    return latency_quantile(p, 0.95, SPAN_LLM_REQUEST, ("model",))


def llm_latency_heatmap(p: Profile) -> str:
    sel = _span_selector(p, p.spans.latency_bucket, SPAN_LLM_REQUEST)
    return f"sum by (le) ({_count(p, sel, INTERVAL)})"


def llm_requests_per_minute(p: Profile) -> str:
    sel = _span_selector(p, p.spans.calls, SPAN_LLM_REQUEST)
    if p.recording_rules:
        return f"sum by (model) ({_count(p, sel, INTERVAL)}) / {INTERVAL_MINUTES}"
    return f"sum by (model) ({_count(p, sel, RATE_INTERVAL)}) * 60"


def llm_error_rate(p: Profile, window: str = RATE_INTERVAL) -> str:
    errors = _span_selector(
        p, p.spans.calls, SPAN_LLM_REQUEST, status_code=f'="{p.spans.error_status}"'
    )
    calls = _span_selector(p, p.spans.calls, SPAN_LLM_REQUEST)
    # `or vector(0)` keeps a healthy fleet at 0% instead of "No data".
    return f"(sum({_count(p, errors, window)}) or vector(0)) / sum({_count(p, calls, window)})"


def tool_calls(p: Profile) -> str:
    sel = _span_selector(p, p.spans.calls, SPAN_TOOL)
    return f"sort_desc(sum by (tool_name) ({_count(p, sel, RANGE)}))"


def tool_p95(p: Profile) -> str:
    return latency_quantile(p, 0.95, SPAN_TOOL, ("tool_name",), RANGE)


def blocked_on_user_p95(p: Profile) -> str:
    return latency_quantile(p, 0.95, SPAN_BLOCKED_ON_USER, (), RANGE)


def recording_rules(p: Profile) -> list[dict]:
    """One rule per span metric the panels read: its growth per minute, Claude Code only."""
    rules = []
    for metric, labels in (
        (p.spans.calls, SPAN_RULE_LABELS),
        (p.spans.latency_bucket, ("le", *SPAN_RULE_LABELS)),
    ):
        x = f"{metric}{{{_claude_code_services(p)}}}"
        rules.append(
            {
                "record": span_rule_name(metric),
                "expr": f"sum by ({', '.join(sorted(labels))}) ({growth(x, SPAN_RULE_INTERVAL)})",
            }
        )
    return [{"name": "ccdash-claude-code-spans", "interval": SPAN_RULE_INTERVAL, "rules": rules}]
