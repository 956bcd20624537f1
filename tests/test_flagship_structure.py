"""The flagship dashboard's shape, as the foundation issue specifies it."""

from __future__ import annotations

import json
import re

import pytest

from ccdash.check.interpolate import prometheus_targets

ROWS = [
    "Overview",
    "Cost (notional)",
    "Tokens and cache",
    "Sessions and activity",
    "LLM requests (span metrics)",
    "Tools (span metrics)",
    "Traces",
]
# Titles other tools find panels by, with their 1-based position in the dashboard.
EXACT_TITLES = {
    1: "Notional cost (USD)",
    2: "Sessions",
    3: "Active users",
    4: "Total tokens",
    5: "Cache hit ratio",
    6: "Notional cost per session",
    9: "Notional cost over time by model",
    11: "Notional cost by query source",
    13: "Top sessions by notional cost",
    16: "Cache hit ratio over time",
    17: "Sessions with the lowest cache hit ratio",
    20: "Active sessions over time",
    26: "LLM request latency (p50 / p95 / p99)",
    30: "LLM error rate",
    33: "Time blocked on user approval (p95)",
    34: "Slowest interactions",
}
ROW_SIZES = [8, 5, 6, 6, 5, 3, 1]


def visual(model: dict) -> list[dict]:
    return [p for p in model["panels"] if p["type"] != "row"]


def test_34_panels_in_7_rows_in_order(flagship):
    panels = flagship["panels"]
    assert [p["title"] for p in panels if p["type"] == "row"] == ROWS
    sizes, current = [], None
    for panel in panels:
        if panel["type"] == "row":
            sizes.append(0)
        else:
            assert sizes, f"panel {panel['title']!r} comes before the first row"
            sizes[-1] += 1
        current = panel
    assert current is not None
    assert sizes == ROW_SIZES
    assert len(visual(flagship)) == 34


@pytest.mark.parametrize(("position", "title"), sorted(EXACT_TITLES.items()))
def test_exact_titles(flagship, position, title):
    assert visual(flagship)[position - 1]["title"] == title


def test_panel_kinds(flagship):
    panels = visual(flagship)
    for position in range(1, 9):
        assert panels[position - 1]["type"] == "stat"
    assert panels[12]["type"] == "table"
    assert panels[16]["type"] == "table"
    assert panels[27]["type"] == "heatmap"
    assert panels[33]["type"] == "table"
    assert panels[33]["targets"][0]["queryType"] == "traceql"


def test_ids_unique_and_in_order(flagship):
    ids = [p["id"] for p in flagship["panels"]]
    assert ids == list(range(1, len(ids) + 1))


def test_no_overlapping_panels(flagship):
    cells: dict[tuple[int, int], str] = {}
    for panel in flagship["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["x"] + pos["w"] <= 24, panel["title"]
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_every_panel_has_description_unit_and_targets(flagship):
    for panel in visual(flagship):
        assert len(panel.get("description", "")) > 20, panel["title"]
        assert panel["fieldConfig"]["defaults"].get("unit"), panel["title"]
        assert panel.get("targets"), panel["title"]
        refs = [t["refId"] for t in panel["targets"]]
        assert refs == [chr(ord("A") + i) for i in range(len(refs))], panel["title"]


def test_cost_is_called_notional_wherever_it_appears(flagship):
    for panel in visual(flagship):
        text = (panel["title"] + " " + panel["description"]).lower()
        if "cost" in panel["title"].lower():
            assert "notional" in panel["title"].lower(), panel["title"]
            assert "not a bill" in text, panel["title"]


def test_datasources_only_through_variables(flagship):
    allowed = {("prometheus", "${datasource}"), ("tempo", "${tempo}")}
    for panel in visual(flagship):
        refs = [panel.get("datasource")] + [t.get("datasource") for t in panel["targets"]]
        for ref in refs:
            assert ref is not None, panel["title"]
            assert (ref["type"], ref["uid"]) in allowed, panel["title"]
    assert "${DS_" not in json.dumps(flagship)


def test_variables(flagship):
    variables = {v["name"]: v for v in flagship["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["tempo"]["query"] == "tempo"
    for name in ("user", "model", "team"):
        var = variables[name]
        assert var["type"] == "query" and var["multi"] and var["includeAll"]
        assert var["allValue"] == ".*"
    assert "user_id" in variables["user"]["query"]  # not e-mail: API-key users have none


def test_time_range_uid_tags_schema(flagship):
    assert flagship["time"] == {"from": "now-7d", "to": "now"}
    assert flagship["uid"] == "claude-code"
    assert {"claude-code", "ccdash"} <= set(flagship["tags"])
    assert flagship["schemaVersion"] == 42


def _targets_by_title(model: dict) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for panel, target in prometheus_targets(model):
        result.setdefault(panel["title"], []).append(target["expr"])
    return result


def test_model_filter_never_touches_metrics_without_model(flagship):
    exprs = _targets_by_title(flagship)
    for title in ("Sessions", "Active users", "Active sessions over time", "Active time"):
        for expr in exprs[title]:
            assert "${model}" not in expr, title
    for expr in exprs["Notional cost (USD)"]:
        assert 'model=~"${model}"' in expr
    # Every selector with a model matcher is on a metric that has the label.
    for title, texts in exprs.items():
        for expr in texts:
            for metric in re.findall(r"([\w:]+)\{[^}]*model=~", expr):
                assert re.search(r"cost|token|spanmetrics|span_metrics", metric), (title, metric)


def test_sessions_never_increase_of_session_count(flagship):
    for panel, target in prometheus_targets(flagship):
        assert not re.search(r"increase\(\w*session_count", target["expr"]), panel["title"]


def test_stats_tables_and_pies_are_instant(flagship):
    for panel, target in prometheus_targets(flagship):
        instant = panel["type"] in {"stat", "table", "piechart", "bargauge"}
        assert bool(target.get("instant")) is instant, panel["title"]
