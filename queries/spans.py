"""PromQL over span metrics (Tempo's metrics-generator or the collector's connector).

Span-metric series are long-lived per service and span name, so plain
`rate()`/`increase()` are accurate on raw series; the first-export correction
that Claude Code's per-session counters need does not apply. With recording
rules, each span metric's growth is recorded every minute (the stages of
ccdash.build.counters, which also bridge a remote-write outage) summed to the
dimensions the dashboard reads (span name, model, tool, status, bucket),
which drops the per-service and per-instance series and three samples in
four: the panels then add up those minutes, as for the Claude Code counters.
"""

from __future__ import annotations

from agents.claude_code.telemetry import (
    SERVICE_REGEX,
    SPAN_BLOCKED_ON_USER,
    SPAN_LLM_REQUEST,
    SPAN_TOOL,
    Profile,
)
from ccdash.build.counters import SOURCE_RAW, SOURCE_RULES, by, counter_group, level_rule
from queries.common import (
    INTERVAL,
    INTERVAL_MINUTES,
    RANGE,
    RATE_INTERVAL,
    gated,
)
from queries.filters import model_matcher

SPAN_RULE_INTERVAL = "1m"
SPAN_RULE_LABELS = ("span_name", "model", "tool_name", "status_code")
SPAN_GROUP = "ccdash-claude-code-spans"


def span_rule_name(metric: str) -> str:
    return f"ccdash:{metric}:growth_by_span"


def _claude_code_services(p: Profile) -> str:
    """Claude Code's spans among every service's: what the raw queries and the span rules keep."""
    return f'{p.spans.service_label}=~"{SERVICE_REGEX}"'


def _span_selector(p: Profile, metric: str, span: str, recorded: bool, **matchers: str) -> str:
    parts = [f'span_name="{span}"']
    if span == SPAN_LLM_REQUEST:  # only LLM spans carry the model dimension
        parts.append(model_matcher(p))
    parts += [f"{label}{m}" for label, m in matchers.items()]
    if recorded:  # the rule keeps Claude Code's services only
        return gated(span_rule_name(metric), parts, SOURCE_RULES, p.recording_rules)
    return gated(metric, [_claude_code_services(p), *parts], SOURCE_RAW, p.recording_rules)


def _summed(
    p: Profile, metric: str, span: str, labels: tuple[str, ...], window: str, **matchers: str
) -> str:
    """Spans (or bucket counts) inside the window, summed by labels: recorded minutes, or raw.

    For `$__rate_interval` (ratios and quantiles, where only proportions
    matter) the recorded side counts per `$__interval` and the raw side is
    a `rate()`.
    """
    func = "rate" if window == RATE_INTERVAL else "increase"
    raw = _span_selector(p, metric, span, recorded=False, **matchers)
    from_raw = f"sum{by(*labels)} ({func}({raw}[{window}]))"
    if not p.recording_rules:
        return from_raw
    recorded = _span_selector(p, metric, span, recorded=True, **matchers)
    minutes = INTERVAL if window == RATE_INTERVAL else window
    return f"(sum{by(*labels)} (sum_over_time({recorded}[{minutes}])) or {from_raw})"


def _seconds(p: Profile, expr: str) -> str:
    factor = p.spans.to_seconds
    return expr if factor == 1 else f"({expr}) * {factor:g}"


def latency_quantile(
    p: Profile, q: float, span: str, labels: tuple[str, ...] = (), window: str = RATE_INTERVAL
) -> str:
    inner = _summed(p, p.spans.latency_bucket, span, ("le", *labels), window)
    return _seconds(p, f"histogram_quantile({q:g}, {inner})")


def llm_latency(p: Profile, q: float) -> str:
    return latency_quantile(p, q, SPAN_LLM_REQUEST)


def llm_p95_by_model(p: Profile) -> str:
    return latency_quantile(p, 0.95, SPAN_LLM_REQUEST, ("model",))


def llm_latency_heatmap(p: Profile) -> str:
    return _summed(p, p.spans.latency_bucket, SPAN_LLM_REQUEST, ("le",), INTERVAL)


def llm_requests_per_minute(p: Profile) -> str:
    raw = _span_selector(p, p.spans.calls, SPAN_LLM_REQUEST, recorded=False)
    from_raw = f"sum by (model) (rate({raw}[{RATE_INTERVAL}])) * 60"
    if not p.recording_rules:
        return from_raw
    recorded = _span_selector(p, p.spans.calls, SPAN_LLM_REQUEST, recorded=True)
    per_minute = f"sum by (model) (sum_over_time({recorded}[{INTERVAL}])) / {INTERVAL_MINUTES}"
    return f"({per_minute} or {from_raw})"


def llm_error_rate(p: Profile, window: str = RATE_INTERVAL) -> str:
    status = {"status_code": f'="{p.spans.error_status}"'}
    errors = _summed(p, p.spans.calls, SPAN_LLM_REQUEST, (), window, **status)
    calls = _summed(p, p.spans.calls, SPAN_LLM_REQUEST, (), window)
    # `or vector(0)` keeps a healthy fleet at 0% instead of "No data".
    return f"({errors} or vector(0)) / ({calls})"


def tool_calls(p: Profile) -> str:
    return f"sort_desc({_summed(p, p.spans.calls, SPAN_TOOL, ('tool_name',), RANGE)})"


def tool_p95(p: Profile) -> str:
    return latency_quantile(p, 0.95, SPAN_TOOL, ("tool_name",), RANGE)


def blocked_on_user_p95(p: Profile) -> str:
    return latency_quantile(p, 0.95, SPAN_BLOCKED_ON_USER, (), RANGE)


def recording_rules(p: Profile) -> list[dict]:
    """The span metrics the panels read, through the stages of ccdash.build.counters.

    Claude Code's services only; summed to the dimensions the panels read.
    """
    metrics = (
        (p.spans.calls, SPAN_RULE_LABELS),
        (p.spans.latency_bucket, ("le", *SPAN_RULE_LABELS)),
    )
    levels = [level_rule(span_rule_name(m), m, tuple(sorted(labels))) for m, labels in metrics]
    counters = [(m, _claude_code_services(p)) for m, _ in metrics]
    return [counter_group(SPAN_GROUP, SPAN_RULE_INTERVAL, counters, levels)]
