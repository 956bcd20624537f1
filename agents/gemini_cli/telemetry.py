"""Gemini CLI's telemetry, and the names it reaches Prometheus under.

From Gemini CLI's telemetry documentation (docs/cli/telemetry.md in
https://github.com/google-gemini/gemini-cli): `gemini_cli.session.count`
(counter, incremented once per CLI startup), `gemini_cli.token.usage`
(counter; `model`, `type` = input, output, thought, cache or tool) and
`gemini_cli.api.request.count` (counter; `model`, `status_code`,
`error_type`). Neither counter declares a unit, so the OTel->Prometheus
translation only appends `_total`. Every metric carries `session.id`,
`installation.id`, `active_approval_mode` and, for Google-account users,
`user.email`. There is no cost metric: the dashboard prices tokens itself
(`agents.gemini_cli.prices`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ccdash.pack import require_choice, require_label_name

OTEL_NAMES: dict[str, str] = {
    "session": "gemini_cli.session.count",
    "tokens": "gemini_cli.token.usage",
    "api_requests": "gemini_cli.api.request.count",
}

# Prometheus names per metric-naming pipeline: the collector's prometheus
# exporter and Prometheus' OTLP receiver add `_total` to counters; Mimir's
# OTLP endpoint with suffixes off keeps the dotted name with underscores.
NAMINGS: dict[str, dict[str, str]] = {
    "collector": {key: otel.replace(".", "_") + "_total" for key, otel in OTEL_NAMES.items()},
    "mimir": {key: otel.replace(".", "_") for key, otel in OTEL_NAMES.items()},
}

STANDARD_LABELS = frozenset({"session_id", "installation_id", "active_approval_mode"})
METRIC_LABELS: dict[str, frozenset[str]] = {
    "session": frozenset(),
    "tokens": frozenset({"model", "type"}),
    "api_requests": frozenset({"model", "status_code", "error_type"}),
}

# `input` is the whole prompt, cached part included (the Gemini API's
# promptTokenCount); `cache` is that cached part; `thought` is billed as output.
TOKEN_TYPES = ("input", "output", "thought", "cache", "tool")


@dataclass(frozen=True)
class Profile:
    """How Gemini CLI's telemetry is named in one Prometheus, and how to read it."""

    naming: str = "collector"
    attribution_label: str = "team"
    recording_rules: bool = True
    names: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        require_choice(self.naming, NAMINGS, "metric naming profile")
        require_label_name(self.attribution_label, "attribution label")
        object.__setattr__(self, "names", NAMINGS[self.naming])

    def metric(self, key: str) -> str:
        return self.names[key]

    def labels_of(self, key: str) -> frozenset[str]:
        return STANDARD_LABELS | METRIC_LABELS[key] | {self.attribution_label}
