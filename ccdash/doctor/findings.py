"""What the doctor reports: findings with severity, evidence, the fix, and the panels they break.

A finding names what it breaks as metrics and labels (`Breaks`), never as
panel titles: the titles are read from the compiled dashboard by matching
its queries (`panels.affected`), so a new or renamed panel is mapped
without touching the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

INFO, WARNING, ERROR = "info", "warning", "error"
SEVERITIES = (INFO, WARNING, ERROR)
# The exit code of a report is that of its worst finding; 3 (Prometheus
# unreachable or answering nonsense) comes from ccdash.errors.PrometheusError.
EXIT_CODES = {None: 0, INFO: 0, WARNING: 1, ERROR: 2}

# Logical keys of Claude Code's counters (ccdash.telemetry.NAMINGS) and the
# pseudo-key of span metrics, as used in `Breaks.metrics`.
SPANS = "spans"


@dataclass(frozen=True)
class Breaks:
    """What a finding makes wrong: queries reading any of `metrics`, restricted to
    those also using one of `labels` when labels are given (and to queries of
    recorded series when `recorded`)."""

    metrics: frozenset[str]
    labels: frozenset[str] = frozenset()
    # Only queries reading ccdash's recording rules (`ccdash:*`), not raw counters.
    recorded: bool = False


@dataclass
class Finding:
    id: str
    severity: str
    title: str
    evidence: list[str]
    fix: str
    breaks: Breaks | None = None
    panels: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "severity": self.severity,
            "title": self.title,
            "evidence": self.evidence,
            "fix": self.fix,
            "panels": self.panels,
            "variables": self.variables,
        }


@dataclass
class Report:
    prometheus: str
    time: float
    range_s: float
    findings: list[Finding]
    seconds: float = 0.0

    @property
    def worst(self) -> str | None:
        ranked = [f.severity for f in self.findings]
        return max(ranked, key=SEVERITIES.index) if ranked else None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.worst]

    def ids(self, *severities: str) -> set[str]:
        """Ids of the findings of the given severities (all when none given)."""
        return {f.id for f in self.findings if not severities or f.severity in severities}
