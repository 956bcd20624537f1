"""Dashboard figures read from a real Prometheus, compared with a simulator's truth.

Headline figures are read from the compiled dashboard's own panels, found by
the titles a pack's figure map names (`agents/<pack>/simulate/figures.py`),
so what is checked is exactly what Grafana would show; `query` evaluates the
other checks (tokens by type, the peer formulations).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ccdash.check.evaluate import TargetEval, instant_by, instant_value, query_values
from ccdash.check.interpolate import Interpolator, Interval, variables_of
from ccdash.check.promapi import PrometheusClient

# (figure name in the truth file, panel title, label to break the value down by)
PanelFigures = list[tuple[str, str, str | None]]


@dataclass(frozen=True)
class Figure:
    name: str
    truth: float | None
    measured: float | None

    @property
    def error_pct(self) -> float | None:
        if self.truth is not None and self.truth == self.measured:
            return 0.0
        if self.truth in (None, 0) or self.measured is None:
            return None
        return (self.measured - self.truth) / self.truth * 100


def panel_target(evals: list[TargetEval], title: str, ref_id: str | None = None) -> TargetEval:
    """A panel's target by refId, or its first one."""
    for e in evals:
        if e.panel_title == title and ref_id in (None, e.ref_id):
            return e
    raise KeyError(f"no panel titled {title!r} with target {ref_id or '(any)'}")


def panel_figures(
    evals: list[TargetEval], truth: Mapping[str, Any], panels: PanelFigures
) -> list[Figure]:
    figures = []
    for name, title, label in panels:
        result = panel_target(evals, title).result
        if label is None:
            figures.append(Figure(name, truth[name], instant_value(result)))
            continue
        measured = instant_by(result, label)
        for key in sorted(set(truth[name]) | set(measured)):
            # A slice absent from the truth is worth 0 (a raw query may show it as 0).
            figures.append(Figure(f"{name}[{key}]", truth[name].get(key, 0.0), measured.get(key)))
    return figures


def query(
    client: PrometheusClient,
    model: Mapping,
    expr: str,
    time: float,
    range_s: float,
    label: str | None = None,
) -> float | dict[str, float] | None:
    """An ad-hoc instant query with the dashboard's variables at All and its macros filled."""
    interpolate = Interpolator(variables_of(model), query_values(model, client, time, range_s))
    result = client.query(interpolate(expr, Interval.for_panel(range_s)), time)
    if result.error:
        raise ValueError(f"{result.error}: {expr}")
    return instant_value(result) if label is None else instant_by(result, label)


TOLERANCE_PCT = 1.0


def within(figure: Figure, tolerance: float = TOLERANCE_PCT) -> bool:
    return figure.error_pct is not None and abs(figure.error_pct) <= tolerance


def unexcused(
    measured: list[Figure], visible: list[Figure], tolerance: float = TOLERANCE_PCT
) -> list[str]:
    """Figures off the truth by more than the tolerance, unless invisible resets explain it.

    `visible` are the same figures against the truth minus what invisible
    counter resets hide from every PromQL query; a figure is excused only
    when it is within tolerance of that and that differs from the truth (a
    resume really hid something).
    """
    bad = []
    for f, v in zip(measured, visible, strict=True):
        assert f.name == v.name
        if within(f, tolerance):
            continue
        if v.truth != f.truth and within(v, tolerance):
            continue
        bad.append(f"{f.name}: truth {f.truth} measured {f.measured} ({f.error_pct}%)")
    return bad
