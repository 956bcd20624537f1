"""What the doctor reports: findings with severity, evidence, the fix, and the panels they break.

A finding names what it breaks as metrics and labels (`Breaks`), never as
panel titles: the titles are read from the compiled dashboard by matching
its queries (`panels.affected`), so a new or renamed panel is mapped
without touching the checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["info", "warning", "error"]
INFO: Severity = "info"
WARNING: Severity = "warning"
ERROR: Severity = "error"
SEVERITIES: tuple[Severity, ...] = (INFO, WARNING, ERROR)
# The exit code of a report is that of its worst finding. An error is 4, not
# 2: 2 stays a usage or configuration error and 3 (Prometheus unreachable or
# answering nonsense) comes from ccdash.errors.PrometheusError, so a script
# can tell "the pipeline is broken" from "the doctor could not run".
EXIT_CODES: dict[Severity | None, int] = {None: 0, INFO: 0, WARNING: 1, ERROR: 4}

# Logical metric keys of the dashboard's pack (its catalogue's) and the
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
    """One diagnosed fault: what is wrong, the samples that show it, and the fix.

    The evidence is what Prometheus answered (counts, ages, series), so a
    reader can check the diagnosis instead of trusting it; `panels` and
    `variables` are filled from `breaks` once all checks ran, because only
    the compiled dashboard knows which panels read what.
    """

    id: str
    severity: Severity
    title: str
    evidence: list[str]
    fix: str
    breaks: Breaks | None = None
    panels: list[str] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
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
    """Every finding of one diagnosis, ordered worst first, and what it was run against.

    The exit code is derived from the worst finding, so the command line and
    the JSON agree. `seconds` is wall-clock time, for people only (text
    output): the JSON leaves it out, so two runs on the same data are equal.
    """

    prometheus: str
    time: float
    range_s: float
    findings: list[Finding]
    seconds: float = 0.0

    @property
    def worst(self) -> Severity | None:
        ranked = [f.severity for f in self.findings]
        return max(ranked, key=SEVERITIES.index) if ranked else None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.worst]

    def ids(self, *severities: Severity) -> set[str]:
        """Ids of the findings of the given severities (all when none given)."""
        return {f.id for f in self.findings if not severities or f.severity in severities}
