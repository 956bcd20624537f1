"""What every check needs: the client, the profile, the evaluation window, and query helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.claude_code.telemetry import Profile
from ccdash.check.interpolate import format_duration, regex_escape
from ccdash.check.promapi import PrometheusClient, QueryResult
from ccdash.errors import PrometheusError

DAY = 86400.0


@dataclass
class Context:
    """The doctor's view of one Prometheus.

    `built` is the profile the dashboard was built for; `profile` is the one
    the data matches (the same unless the naming differs), so checks after a
    naming mismatch still look at the metrics that are there.
    """

    client: PrometheusClient
    built: Profile
    model: Mapping[str, Any]  # the compiled dashboard: what its panels read
    time: float
    range_s: float
    tempo_metrics: bool = False
    # ccdash's recording rule groups, when the dashboard reads them.
    rule_groups: list[dict] = field(default_factory=list)
    profile: Profile = field(init=False)
    names: set[str] = field(default_factory=set)
    # Where the newest Claude Code data is; checks of series shape look at
    # the day before it, so a stale pipeline still gets diagnosed.
    last_data: float | None = None

    def __post_init__(self) -> None:
        self.profile = self.built

    @property
    def window(self) -> str:
        return duration(self.range_s)

    def claude(self, matchers: str = "") -> str:
        """A selector of every Claude Code counter of the matched profile, with extra matchers."""
        return self.profile.any_counter(matchers)

    def shape_window(self) -> tuple[float, float]:
        """(end, length) of the window series-shape checks read: at most a day of raw samples."""
        end = self.time if self.last_data is None else min(self.time, self.last_data + 60)
        return end, min(self.range_s, DAY)

    def series(self, expr: str, at: float | None = None) -> list[dict]:
        """An instant query's series; a query Prometheus rejects is an error, not 'no data'."""
        return _accepted(self.client.query(expr, self.time if at is None else at), expr)

    def number(self, expr: str, at: float | None = None) -> float:
        """A single-valued query's value, 0 when it has no result."""
        found = self.series(expr, at)
        return float(found[0]["value"][1]) if found else 0.0

    def matrix(self, expr: str, start: float, end: float, step: float) -> list[dict]:
        """A range query's series, for checks that need a timeline (when data stopped)."""
        return _accepted(self.client.query_range(expr, start, end, step), expr)


def _accepted(result: QueryResult, expr: str) -> list[dict]:
    """The series of an answer; a rejected doctor query is a bug or an incompatible
    server, and reporting it as "no data" would turn it into a false finding."""
    if result.error:
        raise PrometheusError(f"Prometheus rejected a doctor query ({result.error}): {expr}")
    return result.series


def duration(seconds: float) -> str:
    """A PromQL duration for a number of seconds (at least 1 s: `[0s]` is invalid)."""
    return format_duration(max(round(seconds), 1))


def regex_values(values: list[str]) -> str:
    """An RE2 alternation matching exactly these values, for a double-quoted PromQL string."""
    return "|".join(regex_escape(value) for value in values)


def ago(seconds: float) -> str:
    """A human duration: 45 s, 12 min, 3.5 h, 2.1 d."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * DAY:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / DAY:.1f} d"
