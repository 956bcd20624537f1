"""Grafana's interpolation of a Prometheus query, reproduced.

A panel's PromQL is not what Prometheus receives: Grafana substitutes its
macros and template variables first. Evaluating a dashboard faithfully
(`verify`, the truth tests, the benchmark, the parse check) needs the same
substitution, so it lives in one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

DEFAULT_SCRAPE_INTERVAL = 15.0

# Grafana's rangeutil.roundInterval: (upper bound ms, rounded interval ms).
_ROUND_STEPS_MS = (
    (15, 10),
    (35, 20),
    (75, 50),
    (150, 100),
    (350, 200),
    (750, 500),
    (1_500, 1_000),
    (3_500, 2_000),
    (7_500, 5_000),
    (12_500, 10_000),
    (17_500, 15_000),
    (25_000, 20_000),
    (45_000, 30_000),
    (90_000, 60_000),
    (210_000, 120_000),
    (450_000, 300_000),
    (750_000, 600_000),
    (1_050_000, 900_000),
    (1_500_000, 1_200_000),
    (2_700_000, 1_800_000),
    (5_400_000, 3_600_000),
    (9_000_000, 7_200_000),
    (16_200_000, 10_800_000),
    (32_400_000, 21_600_000),
    (86_400_000, 43_200_000),
    (604_800_000, 86_400_000),
    (1_814_400_000, 604_800_000),
    (3_628_800_000, 2_592_000_000),
)
_YEAR_MS = 31_536_000_000

_DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# Grafana's prometheusSpecialRegexEscape (classic behaviour): the characters
# it backslash-escapes.
_REGEX_SPECIAL = re.compile(r"[$^*{}\[\]+?.()|]")

ALL = object()
"""A variable value meaning "All" was selected."""


def parse_duration(text: str) -> float:
    """Seconds in a Grafana/Prometheus duration such as `15s`, `1m`, `7d`."""
    match = _DURATION_RE.match(text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def round_interval(seconds: float) -> float:
    ms = seconds * 1000
    for bound, rounded in _ROUND_STEPS_MS:
        if ms < bound:
            return rounded / 1000
    return _YEAR_MS / 1000


def format_duration(seconds: float) -> str:
    """A duration as PromQL accepts it, in the largest unit that divides it exactly."""
    ms = round(seconds * 1000)
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000)):
        if ms % size == 0 and ms >= size:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


@dataclass(frozen=True)
class Variable:
    """A template variable as the dashboard defines it."""

    name: str
    multi: bool = True
    include_all: bool = True
    all_value: str | None = ".*"
    options: tuple[str, ...] = ()
    query: str = ""
    regex: str = ""


@dataclass(frozen=True)
class Interval:
    """The time macros of one panel query."""

    range_s: float
    interval_s: float
    rate_interval_s: float

    @classmethod
    def for_panel(
        cls,
        range_s: float,
        max_data_points: int = 1000,
        min_interval: str | None = None,
        scrape_interval: float = DEFAULT_SCRAPE_INTERVAL,
    ) -> Interval:
        """$__interval and $__rate_interval as Grafana computes them for a panel."""
        floor = parse_duration(min_interval) if min_interval else scrape_interval
        interval = max(round_interval(range_s / max_data_points), floor)
        rate = max(interval + scrape_interval, 4 * scrape_interval)
        return cls(range_s=range_s, interval_s=interval, rate_interval_s=rate)


@dataclass
class Interpolator:
    """Substitutes Grafana's macros and template variables in PromQL text."""

    variables: Mapping[str, Variable] = field(default_factory=dict)
    values: Mapping[str, object] = field(default_factory=dict)

    def __call__(self, expr: str, interval: Interval) -> str:
        macros = {
            "__range_ms": str(int(interval.range_s * 1000)),
            "__range_s": str(int(interval.range_s)),
            "__range": f"{int(interval.range_s)}s",
            "__interval_ms": str(int(interval.interval_s * 1000)),
            "__interval": format_duration(interval.interval_s),
            "__rate_interval_ms": str(int(interval.rate_interval_s * 1000)),
            "__rate_interval": format_duration(interval.rate_interval_s),
        }

        def substitute(match: re.Match) -> str:
            name = match.group("braced") or match.group("plain")
            if name in macros:
                return macros[name]
            if name in self.variables:
                return self._format(self.variables[name], self.values.get(name, ALL))
            return match.group(0)

        return _VARIABLE_RE.sub(substitute, expr)

    def _format(self, var: Variable, value: object) -> str:
        if value is ALL:
            if var.all_value is not None:
                return var.all_value
            value = list(var.options)
        values = [value] if isinstance(value, str) else list(value)  # type: ignore[arg-type]
        if not (var.multi or var.include_all):
            # A single-value variable nobody resolved (see evaluate.query_values) reads empty.
            return _plain_escape(str(values[0])) if values else ""
        escaped = [regex_escape(str(v)) for v in values]
        return escaped[0] if len(escaped) == 1 else f"({'|'.join(escaped)})"


# `${name}`, `${name:format}` is not used by ccdash; `$name` stops at a non-word char.
_VARIABLE_RE = re.compile(r"\$\{(?P<braced>\w+)\}|\$(?P<plain>\w+)")


def regex_escape(value: str) -> str:
    """Grafana's escaping of one value of a multi/All variable in a Prometheus query.

    The result sits inside a double-quoted PromQL string, so each regex
    backslash is doubled: `[1m]` becomes `\\\\[1m\\\\]`, which PromQL reads as
    the regex `\\[1m\\]`.
    """
    return _REGEX_SPECIAL.sub(lambda m: "\\\\" + m.group(0), value.replace("\\", "\\" * 4))


def _plain_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\\\'")


def variables_of(model: Mapping) -> dict[str, Variable]:
    """The query/custom template variables of a compiled dashboard."""
    result = {}
    for var in model.get("templating", {}).get("list", []):
        if var.get("type") in ("query", "custom"):
            result[var["name"]] = Variable(
                name=var["name"],
                multi=bool(var.get("multi")),
                include_all=bool(var.get("includeAll")),
                all_value=var.get("allValue") or None,
                query=_query_text(var.get("query")),
                regex=var.get("regex") or "",
            )
    return result


def _query_text(query: object) -> str:
    return str(query.get("query", "")) if isinstance(query, dict) else str(query or "")


def prometheus_targets(model: Mapping) -> Sequence[tuple[dict, dict]]:
    """(panel, target) pairs of every Prometheus-backed target of a dashboard."""
    pairs = []
    for panel in _panels(model.get("panels", [])):
        panel_ds = (panel.get("datasource") or {}).get("type")
        for target in panel.get("targets") or []:
            ds = (target.get("datasource") or {}).get("type", panel_ds)
            if ds == "prometheus" and "expr" in target:
                pairs.append((panel, target))
    return pairs


def _panels(panels):
    for panel in panels:
        if panel.get("type") != "row":
            yield panel
        yield from _panels(panel.get("panels") or [])
