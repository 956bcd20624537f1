"""The doctor's report as text for people and JSON for machines."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ccdash.check.doctor.findings import Report

MARKS = {"error": "ERROR  ", "warning": "WARNING", "info": "INFO   "}
SHOWN_PANELS = 6


def text(report: Report) -> str:
    """Findings worst first, each with its evidence, fix and the panels it breaks.

    The panel list is cut at SHOWN_PANELS: a fault breaking most of the
    dashboard should not bury the next finding.
    """
    when = datetime.fromtimestamp(report.time, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    counts = {s: sum(f.severity == s for f in report.findings) for s in MARKS}
    lines = [
        f"ccdash doctor: {report.prometheus} at {when}: "
        + ", ".join(f"{n} {s}{'s' if n != 1 and s != 'info' else ''}" for s, n in counts.items())
        + f" (in {report.seconds:.1f} s)"
    ]
    if not report.findings:
        lines.append("  no problems found")
    for f in report.findings:
        lines.append(f"  {MARKS[f.severity]} {f.id}: {f.title}")
        lines += [f"          evidence: {e}" for e in f.evidence]
        lines.append(f"          fix: {f.fix}")
        if f.panels:
            shown = ", ".join(f.panels[:SHOWN_PANELS])
            more = len(f.panels) - SHOWN_PANELS
            lines.append(
                f"          breaks {len(f.panels)} panel{'s' if len(f.panels) != 1 else ''}: "
                f"{shown}{f', and {more} more' if more > 0 else ''}"
            )
        if f.variables:
            lines.append(f"          and the variables: {', '.join(f.variables)}")
    return "\n".join(lines)


def as_json(report: Report) -> str:
    """The report for scripts: deterministic (no wall-clock time), so runs can be diffed."""
    return json.dumps(
        {
            "prometheus": report.prometheus,
            "time": report.time,
            "range_s": report.range_s,
            "worst": report.worst,
            "exit_code": report.exit_code,
            "findings": [f.as_dict() for f in report.findings],
        },
        indent=2,
    )
