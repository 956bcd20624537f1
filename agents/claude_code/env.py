"""The environment Claude Code needs to feed ccdash's pipeline, as shell or settings.json.

Every variable name here is one Claude Code documents (see the telemetry
reference). The block is printed rather than documented because each value
matters for the dashboard: cumulative temporality (Prometheus cannot use
delta), session ids (without them totals inflate), and the attribution key,
which must become exactly the profile's attribution label after the
collector's translation, or the Team filter finds nothing.
"""

from __future__ import annotations

import json
import shlex
from urllib.parse import quote, urlsplit

from agents.claude_code.telemetry import Profile
from ccdash.errors import ConfigError

# The variables Claude Code's monitoring documentation names
# (https://docs.claude.com/en/docs/claude-code/monitoring-usage), and the OTel
# SDK's standard exporter variables it relies on: a name outside this set (a
# typo such as OTEL_METRIC_EXPORTER) would be silently ignored by the client.
DOCUMENTED = frozenset(
    {
        "CLAUDE_CODE_ENABLE_TELEMETRY",
        "CLAUDE_CODE_ENHANCED_TELEMETRY_BETA",
        "OTEL_METRICS_EXPORTER",
        "OTEL_LOGS_EXPORTER",
        "OTEL_TRACES_EXPORTER",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
        "OTEL_METRIC_EXPORT_INTERVAL",
        "OTEL_METRICS_INCLUDE_SESSION_ID",
        "OTEL_METRICS_INCLUDE_VERSION",
        "OTEL_METRICS_INCLUDE_RESOURCE_ATTRIBUTES",
        "OTEL_RESOURCE_ATTRIBUTES",
    }
)
DEFAULT_ENDPOINT = "http://localhost:4317"
PROTOCOLS = ("grpc", "http/protobuf")
_STANDARD_PORTS = {4317: "grpc", 4318: "http/protobuf"}
# The resource attribute for the cost centre (Claude Code's monitoring documentation's example).
COST_CENTRE_ATTRIBUTE = "cost_center"


def resource_attributes(attributes: dict[str, str]) -> str:
    """`key=value,...` for OTEL_RESOURCE_ATTRIBUTES, values percent-encoded.

    The OTel specification has values percent-encoded (a `,` or `=` in a team
    name would otherwise split the list); the SDK decodes them, so the label
    holds the original text. The keys are ccdash's own (the profile's
    attribution label, which Profile validates as a label name, and
    `cost_center`), so they need no encoding.
    """
    return ",".join(
        f"{key}={quote(value, safe='-_.~')}" for key, value in sorted(attributes.items())
    )


def environment(
    profile: Profile,
    endpoint: str = DEFAULT_ENDPOINT,
    protocol: str = "grpc",
    team: str | None = None,
    cost_centre: str | None = None,
    traces: bool = True,
) -> dict[str, str]:
    """The variables, by name. Logs are left off: the pipeline has no log store."""
    parsed = urlsplit(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"endpoint {endpoint!r} must be an http:// or https:// URL")
    if protocol not in PROTOCOLS:
        raise ConfigError(f"protocol {protocol!r}: choose one of {', '.join(PROTOCOLS)}")
    try:
        port = parsed.port
    except ValueError:  # not a number, or beyond 65535
        raise ConfigError(f"endpoint {endpoint!r} has an invalid port") from None
    # The standard ports each serve one protocol; a mismatch fails on every export,
    # and Claude Code only says so in its debug log.
    expected = _STANDARD_PORTS.get(port or 0)
    if expected and expected != protocol:
        raise ConfigError(
            f"endpoint port {port} is OTLP {expected}, not {protocol}: "
            f"use --protocol {expected} or the other port"
        )
    env = {
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        # Claude Code defaults to delta; Prometheus needs cumulative. The
        # collector converts delta too, but pinning it here needs no state there.
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "cumulative",
        # On by default today; pinned because every count on the dashboard
        # depends on it (without it processes share series and totals inflate).
        "OTEL_METRICS_INCLUDE_SESSION_ID": "true",
    }
    if traces:
        # Traces are beta: both variables are needed for the latency rows.
        env["CLAUDE_CODE_ENHANCED_TELEMETRY_BETA"] = "1"
        env["OTEL_TRACES_EXPORTER"] = "otlp"
    attributes = {}
    if team is not None:
        attributes[profile.attribution_label] = team
    if cost_centre is not None:
        attributes[COST_CENTRE_ATTRIBUTE] = cost_centre
    if attributes:
        env["OTEL_RESOURCE_ATTRIBUTES"] = resource_attributes(attributes)
    return dict(sorted(env.items()))


def render_shell(env: dict[str, str]) -> str:
    """`export NAME=value` lines, each value quoted for POSIX shells."""
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())


def render_settings(env: dict[str, str]) -> str:
    """The `~/.claude/settings.json` form: {"env": {...}}, keys sorted, stable bytes."""
    return json.dumps({"env": env}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
