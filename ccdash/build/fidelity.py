"""What Grafana actually reads from a dashboard, where it differs from what is easy to write.

Grafana skips what it does not understand without a word: an unknown
reducer leaves a table column empty, a unit on a heatmap's bucket counts
makes its tooltips read counts as seconds. These checks turn such silent
misreadings into build errors that name the panel, and drop what the
foundation SDK writes by default but newer Grafana no longer reads.

Sources: `packages/grafana-data/src/transformations/fieldReducer.ts`
(ReducerID), the heatmap panel's `rowsToCellsHeatmap` (the y-axis unit comes
from `options.yAxis.unit`; the field unit applies to the cell values), and
the table panel's TableNG, which takes footers from the field config.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from ccdash.errors import DashboardError

# fieldReducer.ts, ReducerID (Grafana 10 to 13); percentiles are p1..p99.
REDUCERS = frozenset(
    {
        "sum",
        "max",
        "min",
        "logmin",
        "mean",
        "variance",
        "stdDev",
        "last",
        "first",
        "count",
        "range",
        "diff",
        "diffperc",
        "delta",
        "step",
        "firstNotNull",
        "lastNotNull",
        "changeCount",
        "distinctCount",
        "allIsNull",
        "allIsZero",
        "allValues",
        "uniqueValues",
        "median",
    }
    | {f"p{n}" for n in range(1, 100)}
)


def check(model: dict[str, Any], where: str) -> None:
    """Raise on what Grafana would silently misread; `where` names the module."""
    for panel in panels(model):
        title = panel.get("title") or f"panel {panel.get('id')}"
        for reducer in reducers(panel):
            if reducer not in REDUCERS:
                close = difflib.get_close_matches(reducer, sorted(REDUCERS), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise DashboardError(
                    f"{where}: panel {title!r} uses the reducer {reducer!r}, which Grafana does "
                    f"not have (it would skip it and leave the values empty){hint}"
                )
        if panel.get("type") == "heatmap" and not (panel.get("options") or {}).get("calculate"):
            unit = ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit")
            if unit not in (None, "", "none", "short"):
                raise DashboardError(
                    f"{where}: heatmap {title!r} has the field unit {unit!r}: on a pre-bucketed "
                    "heatmap it applies to the bucket counts; put it on options.yAxis.unit"
                )


def settle(model: dict[str, Any]) -> None:
    """Drop a disabled table footer: TableNG (Grafana 12.2+) reads footers from the field
    config, older versions default to none, so the SDK's `show: false` is noise for both."""
    for panel in panels(model):
        options = panel.get("options") or {}
        footer = options.get("footer")
        if panel.get("type") == "table" and isinstance(footer, dict) and not footer.get("show"):
            del options["footer"]


def panels(model: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in model.get("panels") or []:
        yield panel
        yield from panel.get("panels") or []


def reducers(panel: dict[str, Any]) -> Iterator[str]:
    options = panel.get("options") or {}
    yield from (options.get("reduceOptions") or {}).get("calcs") or []
    yield from (options.get("footer") or {}).get("reducer") or []
    for transformation in panel.get("transformations") or []:
        opts = transformation.get("options") or {}
        kind = transformation.get("id")
        if kind == "groupBy":
            for field in (opts.get("fields") or {}).values():
                yield from field.get("aggregations") or []
        elif kind == "reduce":
            yield from opts.get("reducers") or []
        elif kind == "calculateField":
            reducer = (opts.get("reduce") or {}).get("reducer")
            if reducer:
                yield reducer
