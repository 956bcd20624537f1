"""Claude Code's telemetry, and the names it reaches Prometheus under.

One catalogue for everything that must agree on a metric or label name: the
queries, the simulator and the doctor all read it, so supporting a new
pipeline means adding one naming here rather than editing every query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccdash.pack import require_choice, require_label_name

# Logical metric keys -> the OTel metric name Claude Code emits.
OTEL_NAMES: dict[str, str] = {
    "session": "claude_code.session.count",
    "lines": "claude_code.lines_of_code.count",
    "pull_requests": "claude_code.pull_request.count",
    "commits": "claude_code.commit.count",
    "cost": "claude_code.cost.usage",
    "tokens": "claude_code.token.usage",
    "edit_decisions": "claude_code.code_edit_tool.decision",
    "active_time": "claude_code.active_time.total",
}

# Prometheus names per metric-naming pipeline (the OTel Collector's prometheus exporter
# and Prometheus' OTLP translation: https://opentelemetry.io/docs/specs/otel/compatibility/prometheus_and_openmetrics/):
# the OTel->Prometheus translation appends unit and `_total` suffixes unless
# the pipeline turns them off (Mimir) or drops units (Claude Code's exporter).
NAMINGS: dict[str, dict[str, str]] = {
    "collector": {
        "session": "claude_code_session_count_total",
        "lines": "claude_code_lines_of_code_count_total",
        "pull_requests": "claude_code_pull_request_count_total",
        "commits": "claude_code_commit_count_total",
        "cost": "claude_code_cost_usage_USD_total",
        "tokens": "claude_code_token_usage_tokens_total",
        "edit_decisions": "claude_code_code_edit_tool_decision_total",
        "active_time": "claude_code_active_time_seconds_total",
    },
    "mimir": {
        "session": "claude_code_session_count",
        "lines": "claude_code_lines_of_code_count",
        "pull_requests": "claude_code_pull_request_count",
        "commits": "claude_code_commit_count",
        "cost": "claude_code_cost_usage",
        "tokens": "claude_code_token_usage",
        "edit_decisions": "claude_code_code_edit_tool_decision",
        "active_time": "claude_code_active_time_total",
    },
    "claude-code-exporter": {
        "session": "claude_code_session_count_total",
        "lines": "claude_code_lines_of_code_count_total",
        "pull_requests": "claude_code_pull_request_count_total",
        "commits": "claude_code_commit_count_total",
        "cost": "claude_code_cost_usage_total",
        "tokens": "claude_code_token_usage_total",
        "edit_decisions": "claude_code_code_edit_tool_decision_total",
        "active_time": "claude_code_active_time_total",
    },
}

# Labels every Claude Code metric carries (dots already turned into
# underscores by the translation). `user_email` is absent for API-key users.
STANDARD_LABELS = frozenset(
    {"session_id", "user_id", "organization_id", "user_account_uuid", "terminal_type"}
)

# Labels specific to each metric, beyond the standard ones. The dashboard's
# filters consult this so a filter never touches a metric lacking its label.
#
# What drove a request's cost and tokens (`agent.name`, `skill.name`, ...),
# each absent when nothing of its kind was involved. Names that are not
# Claude Code's own or an official marketplace's arrive redacted.
ATTRIBUTION_LABELS = (
    "agent_name",
    "skill_name",
    "plugin_name",
    "mcp_server_name",
    "mcp_tool_name",
    "effort",
    "speed",
)
# The redacted values: a user-defined agent, skill or MCP server is `custom`;
# a plugin (or its MCP server) from another marketplace is `third-party`.
REDACTED_CUSTOM = "custom"
REDACTED_THIRD_PARTY = "third-party"
START_TYPES = ("fresh", "resume", "continue")
# What an absent attribution label means, as the dashboard shows it.
ABSENT_MEANS = {
    "agent_name": "(main conversation)",
    "skill_name": "(no skill)",
    "plugin_name": "(no plugin)",
    "mcp_server_name": "(no MCP tool)",
    "mcp_tool_name": "(no MCP tool)",
    "effort": "(no effort level)",
    "speed": "(not reported)",
}

METRIC_LABELS: dict[str, frozenset[str]] = {
    "session": frozenset({"start_type"}),
    "lines": frozenset({"type", "model"}),
    "pull_requests": frozenset(),
    "commits": frozenset(),
    "cost": frozenset({"model", "query_source", *ATTRIBUTION_LABELS}),
    "tokens": frozenset({"model", "query_source", "type", *ATTRIBUTION_LABELS}),
    "edit_decisions": frozenset({"tool_name", "decision", "source", "language"}),
    "active_time": frozenset({"type"}),
}

TOKEN_TYPES = ("input", "output", "cacheRead", "cacheCreation")

# The token-type label as Claude Code sends it, and as pipelines that
# normalise it (an OTTL transform renaming `type` -> `token_type`) rewrite it.
TOKEN_LABEL_SCHEMAS: dict[str, tuple[str, dict[str, str]]] = {
    "type": ("type", {t: t for t in TOKEN_TYPES}),
    "token_type": (
        "token_type",
        {
            "input": "input",
            "output": "output",
            "cacheRead": "cache_read",
            "cacheCreation": "cache_create",
        },
    ),
}


SPAN_KIND = "SPAN_KIND_INTERNAL"
STATUS_OK = "STATUS_CODE_UNSET"
STATUS_ERROR = "STATUS_CODE_ERROR"


@dataclass(frozen=True)
class SpanMetrics:
    """One flavour of span-derived RED metrics.

    Tempo's metrics-generator and the collector's `spanmetrics` connector emit
    the same information under different names, label names and time units.
    """

    name: str
    calls: str
    latency_bucket: str
    latency_sum: str
    latency_count: str
    service_label: str
    error_status: str
    # Multiply a bucket boundary or a quantile by this to get seconds.
    to_seconds: float


SPAN_METRICS: dict[str, SpanMetrics] = {
    "tempo": SpanMetrics(
        name="tempo",
        calls="traces_spanmetrics_calls_total",
        latency_bucket="traces_spanmetrics_latency_bucket",
        latency_sum="traces_spanmetrics_latency_sum",
        latency_count="traces_spanmetrics_latency_count",
        service_label="service",
        error_status=STATUS_ERROR,
        to_seconds=1.0,
    ),
    "collector": SpanMetrics(
        name="collector",
        calls="traces_span_metrics_calls_total",
        latency_bucket="traces_span_metrics_duration_milliseconds_bucket",
        latency_sum="traces_span_metrics_duration_milliseconds_sum",
        latency_count="traces_span_metrics_duration_milliseconds_count",
        service_label="service_name",
        error_status=STATUS_ERROR,
        to_seconds=0.001,
    ),
}

# Span names Claude Code's enhanced telemetry emits.
SPAN_INTERACTION = "claude_code.interaction"
SPAN_LLM_REQUEST = "claude_code.llm_request"
SPAN_TOOL = "claude_code.tool"
SPAN_BLOCKED_ON_USER = "claude_code.tool.blocked_on_user"
# service.name is claude-code, or claude-code-desktop for the desktop app.
SERVICE_REGEX = "claude-code.*"


@dataclass(frozen=True)
class Profile:
    """How Claude Code's telemetry is named in one user's Prometheus, and how to read it.

    Three independent naming choices, because real pipelines mix them: the
    metric naming, the token-type label schema and the span-metrics flavour.
    The attribution label is the `OTEL_RESOURCE_ATTRIBUTES` key teams filter
    by; `recording_rules` says whether ccdash's rules are installed.
    """

    naming: str = "collector"
    token_label_schema: str = "type"
    span_metrics: str = "tempo"
    attribution_label: str = "team"
    # Read per-minute deltas recorded by ccdash's recording rules (exact and
    # cheap) rather than raw counters (for Prometheus setups without the rules).
    recording_rules: bool = True
    # Queries run by Grafana, with the dashboard's variables and the source switch;
    # False for rules Prometheus evaluates (alerts): no variables, recorded growth
    # alone when the rules are on (the alerts ship with them).
    in_grafana: bool = True
    names: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        require_choice(self.naming, NAMINGS, "metric naming profile")
        require_choice(self.token_label_schema, TOKEN_LABEL_SCHEMAS, "token label schema")
        require_choice(self.span_metrics, SPAN_METRICS, "span-metrics flavour")
        require_label_name(self.attribution_label, "attribution label")
        object.__setattr__(self, "names", NAMINGS[self.naming])

    def metric(self, key: str) -> str:
        """The Prometheus metric name of a logical metric key."""
        return self.names[key]

    def any_counter(self, matchers: str = "") -> str:
        """A selector of every Claude Code counter of this naming, with extra matchers."""
        extra = f", {matchers}" if matchers else ""
        return f'{{__name__=~"{"|".join(sorted(self.names.values()))}"{extra}}}'

    @property
    def token_label(self) -> str:
        return TOKEN_LABEL_SCHEMAS[self.token_label_schema][0]

    def token_type(self, canonical: str) -> str:
        """The label value for a canonical token type such as `cacheRead`."""
        return TOKEN_LABEL_SCHEMAS[self.token_label_schema][1][canonical]

    @property
    def spans(self) -> SpanMetrics:
        return SPAN_METRICS[self.span_metrics]

    def labels_of(self, key: str) -> frozenset[str]:
        """Labels a metric carries in this profile (token type label renamed)."""
        labels = STANDARD_LABELS | METRIC_LABELS[key] | {self.attribution_label}
        if key == "tokens":
            labels = (labels - {"type"}) | {self.token_label}
        return labels


# Latency histogram boundaries (seconds) for span metrics. Tempo's default
# buckets stop near 16 s; Claude Code's model calls and approvals take
# minutes, so the pipeline configures these, and the simulator uses them.
SPAN_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320)
