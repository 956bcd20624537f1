"""Are the metrics the dashboard reads there, under the names and labels it was built for?

The one place that detects "no Claude Code metrics", "another naming
profile", "recording rules not loaded", and span metrics absent, of the
other flavour or without the dimensions the panels group by. `ccdash
verify` reuses these checks to explain empty panels.
"""

from __future__ import annotations

from dataclasses import replace

from agents.claude_code.doctor.context import Context, ago
from agents.claude_code.doctor.panels import target_uses
from agents.claude_code.telemetry import (
    NAMINGS,
    OTEL_NAMES,
    SERVICE_REGEX,
    SPAN_METRICS,
    TOKEN_LABEL_SCHEMAS,
    TOKEN_TYPES,
)
from ccdash.build.rules import rules_file
from ccdash.check.doctor.findings import ERROR, INFO, SPANS, WARNING, Breaks, Finding, Severity

CLAUDE_KEYS = frozenset(OTEL_NAMES)  # logical keys of Claude Code's counters
# Labels every span-metrics series has; any other label a panel uses is a
# configured dimension.
SPAN_DEFAULT_LABELS = frozenset(
    {"service", "service_name", "span_name", "span_kind", "status_code", "le"}
)


def inventory(ctx: Context) -> None:
    """The metric names of Claude Code, ccdash's rules and span metrics present in the range."""
    found = ctx.series(
        'count by (__name__) (last_over_time({__name__=~"claude_code.+|ccdash:.+|traces_.+"}'
        f"[{ctx.window}]))"
    )
    ctx.names = {s["metric"].get("__name__", "") for s in found}


def matching_naming(names: set[str], preferred: str) -> str | None:
    """The naming profile explaining most of the names; the preferred one on a tie
    (names overlap: the collector's and Claude Code's exporter share five of eight)."""
    scores = {n: len(names & set(table.values())) for n, table in NAMINGS.items()}
    best = max(scores, key=lambda n: (scores[n], n == preferred, n == "collector"))
    return best if scores[best] else None


def naming(ctx: Context) -> list[Finding]:
    """No Claude Code metrics, or metrics under another naming than the dashboard's."""
    claude = sorted(n for n in ctx.names if n.startswith("claude_code"))
    everything = Breaks(CLAUDE_KEYS)
    if not claude:
        return [
            Finding(
                "no-metrics",
                ERROR,
                "no Claude Code metrics (claude_code_*) at all in the range",
                [f"0 series named claude_code_* in the {ago(ctx.range_s)} before the evaluation"],
                "set CLAUDE_CODE_ENABLE_TELEMETRY=1, OTEL_METRICS_EXPORTER=otlp and "
                "OTEL_EXPORTER_OTLP_ENDPOINT=http://<collector>:4317 where Claude Code runs "
                "(sessions started before the change keep the old settings), and make sure "
                "Prometheus scrapes the collector's prometheus exporter (e.g. otel-collector:8889)",
                everything,
            )
        ]
    match = matching_naming(set(claude), ctx.built.naming)
    if match is None:
        return [
            Finding(
                "naming-unknown",
                ERROR,
                "Claude Code metrics are present under names no ccdash profile knows",
                [f"present: {', '.join(claude[:5])}"],
                "keep the OTel->Prometheus translation with suffixes and underscores (Prometheus "
                "3: otlp.translation_strategy: UnderscoreEscapingWithSuffixes), or add the "
                "naming to ccdash/telemetry.py NAMINGS",
                everything,
            )
        ]
    if match == ctx.built.naming:
        return []
    ctx.profile = replace(ctx.profile, naming=match)
    expected = sorted(set(ctx.built.names.values()) - ctx.names)
    return [
        Finding(
            "naming-mismatch",
            ERROR,
            f"the dashboard was built for the '{ctx.built.naming}' naming, but this "
            f"Prometheus has the '{match}' naming",
            [
                f"present: {', '.join(sorted(set(claude) & set(NAMINGS[match].values()))[:4])}",
                f"missing: {', '.join(expected[:4])}",
            ],
            f"rebuild with `ccdash build --profile {match}` (or `naming: {match}` under "
            "`profiles: claude_code:` in ccdash.yaml)",
            everything,
        )
    ]


def rules(ctx: Context) -> list[Finding]:
    """ccdash's recording rules are not loaded: the panels read the raw counters instead.

    The figures stay right (the dashboard switches to raw counters for any
    range the rules did not cover), so this is a warning about refresh cost,
    not an error: no panel is listed as broken.
    """
    if not ctx.built.recording_rules or any(n.startswith("ccdash:") for n in ctx.names):
        return []
    return [
        Finding(
            "rules-missing",
            WARNING,
            "ccdash's recording rules are not loaded: panels read the raw counters "
            "(right figures, slower refreshes)",
            ["0 series named ccdash:* in the range"],
            f"load rules/{rules_file(ctx.model['uid'])} into Prometheus (rule_files:) or "
            "Mimir's ruler; ranges reaching back before they were loaded keep reading the "
            "raw counters",
        )
    ]


def token_label(ctx: Context) -> list[Finding]:
    """The token-type label is `type` or `token_type` (values renamed too), as built?"""
    metric = ctx.profile.metric("tokens")
    labels = sorted({label for label, _ in TOKEN_LABEL_SCHEMAS.values()})
    found = ctx.series(f"count by ({', '.join(labels)}) (last_over_time({metric}[{ctx.window}]))")
    if not found:
        return []
    present: dict[str, set[str]] = {label: set() for label in labels}
    for s in found:
        for label in labels:
            if s["metric"].get(label):
                present[label].add(s["metric"][label])
    schema = ctx.built.token_label_schema
    own_label, own_values = TOKEN_LABEL_SCHEMAS[schema]
    if (set(own_values.values()) & present[own_label]) - {"input", "output"}:
        return []
    for other, (label, values) in TOKEN_LABEL_SCHEMAS.items():
        if other != schema and (set(values.values()) & present[label]) - {"input", "output"}:
            return [
                Finding(
                    "token-label-mismatch",
                    ERROR,
                    f"token types are in the `{label}` label, the dashboard reads `{own_label}`",
                    [
                        f"{metric} has {label}={','.join(sorted(present[label]))}; "
                        f"{own_label}={','.join(sorted(present[own_label])) or '(absent)'}"
                    ],
                    f"rebuild with `ccdash build --set token_label={other}` (or `token_label: "
                    f"{other}` in ccdash.yaml), or drop the transform processor that renames it",
                    Breaks(frozenset({"tokens"}), frozenset({own_label})),
                )
            ]
    return [
        Finding(
            "token-label-mismatch",
            ERROR,
            f"token types do not carry the values the dashboard expects in `{own_label}`",
            [
                f"{metric} has {own_label}={','.join(sorted(present[own_label])) or '(absent)'}; "
                f"expected {', '.join(own_values[t] for t in TOKEN_TYPES)}"
            ],
            "check the collector's transform processors on claude_code.token.usage",
            Breaks(frozenset({"tokens"}), frozenset({own_label})),
        )
    ]


def spans(ctx: Context) -> list[Finding]:
    """Span metrics: absent, of the other flavour, or without the dimensions panels use."""
    flavour = ctx.built.spans
    severity = ERROR if ctx.tempo_metrics else WARNING
    broken = Breaks(frozenset({SPANS}))
    if not {flavour.calls, flavour.latency_bucket} & ctx.names:
        other = next(
            (
                f
                for f in SPAN_METRICS.values()
                if f.name != flavour.name and {f.calls, f.latency_bucket} & ctx.names
            ),
            None,
        )
        if other is not None:
            return [
                Finding(
                    "span-metrics-flavour",
                    severity,
                    f"span metrics come from the {_origin(other.name)}, the dashboard reads "
                    f"the {_origin(flavour.name)}'s",
                    [f"present: {other.calls}; absent: {flavour.calls}"],
                    f"rebuild with `ccdash build --set span_metrics={other.name}` (or "
                    f"`span_metrics: {other.name}` in ccdash.yaml)",
                    broken,
                )
            ]
        return [_spans_absent(ctx, [f"0 series named {flavour.calls} in the {ago(ctx.range_s)}"])]
    service = f'{flavour.service_label}=~"{SERVICE_REGEX}"'
    if not ctx.number(f"count(last_over_time({flavour.calls}{{{service}}}[{ctx.window}]))"):
        services = ctx.series(
            f"count by ({flavour.service_label}) (last_over_time({flavour.calls}[{ctx.window}]))"
        )
        seen = sorted(s["metric"].get(flavour.service_label, "") for s in services)
        return [
            _spans_absent(
                ctx, [f"{flavour.calls} exists for {', '.join(seen[:5])}, not for claude-code*"]
            )
        ]
    return _dimensions(ctx, service, severity)


def _dimensions(ctx: Context, service: str, severity: Severity) -> list[Finding]:
    """Dimensions the dashboard's span panels use, per span name, that no series carries."""
    flavour = ctx.built.spans
    wanted: dict[str, set[str]] = {}
    for use in target_uses(ctx.model, ctx.built):
        if SPANS not in use.metrics:
            continue
        names = [v for label, op, v in use.matchers if label == "span_name" and op == "="]
        dims = use.labels - SPAN_DEFAULT_LABELS - {flavour.service_label}
        for name in names:
            wanted.setdefault(name, set()).update(dims)
    missing = []
    for name, dims in sorted(wanted.items()):
        base = f'{service}, span_name="{name}"'
        if not dims or not ctx.number(
            f"count(last_over_time({flavour.calls}{{{base}}}[{ctx.window}]))"
        ):
            continue
        for dim in sorted(dims):
            if not ctx.number(
                f'count(last_over_time({flavour.calls}{{{base}, {dim}!=""}}[{ctx.window}]))'
            ):
                missing.append((name, dim))
    if not missing:
        return []
    dims = sorted({d for _, d in missing})
    return [
        Finding(
            "span-dimensions-missing",
            severity,
            f"span metrics lack the dimension{'s' if len(dims) > 1 else ''} "
            f"{', '.join(dims)} the dashboard groups by",
            [f'{flavour.calls}{{span_name="{n}"}} has no {d} label' for n, d in missing],
            "add them to Tempo's span-metrics dimensions (overrides: defaults: "
            "metrics_generator: processor: span_metrics: dimensions: [model, tool_name, "
            "success]; or the collector connector's `dimensions:`)",
            Breaks(frozenset({SPANS}), frozenset(dims)),
        )
    ]


def _spans_absent(ctx: Context, evidence: list[str]) -> Finding:
    return Finding(
        "span-metrics-absent",
        ERROR if ctx.tempo_metrics else INFO,
        "no Claude Code span metrics: the latency and tool panels stay empty",
        evidence,
        "in Tempo set metricsGenerator.enabled: true AND overrides: defaults: "
        "metrics_generator: processors: [span-metrics] (without the overrides nothing "
        "happens), with remote_write to this Prometheus; Claude Code needs "
        "CLAUDE_CODE_ENHANCED_TELEMETRY_BETA=1 and OTEL_TRACES_EXPORTER=otlp",
        Breaks(frozenset({SPANS})),
    )


def _origin(flavour: str) -> str:
    return "Tempo metrics-generator" if flavour == "tempo" else "collector's spanmetrics connector"
