"""The flagship dashboard's shape, as the foundation issue specifies it."""

from __future__ import annotations

import json
import re

from ccdash.check.interpolate import prometheus_targets

# The rows in order, each with the titles the foundation issue asked for in it.
# Other tools find panels by these titles; a row may gain panels without
# editing this test, but none of these may move, vanish or be renamed.
ROWS: dict[str, set[str]] = {
    "Overview": {
        "Notional cost (USD)",
        "Sessions",
        "Active users",
        "Total tokens",
        "Cache hit ratio",
        "Notional cost per session",
        "Active time",
        "Lines of code changed",
    },
    "Cost (notional)": {
        "Notional cost over time by model",
        "Notional cost by model",
        "Notional cost by query source",
        "Notional cost by user",
        "Top sessions by notional cost",
    },
    "Tokens and cache": {
        "Token rate by type",
        "Tokens by model",
        "Cache hit ratio over time",
        "Sessions with the lowest cache hit ratio",
        "Cache creation vs cache read",
        "Output to input token ratio",
    },
    "Sessions and activity": {
        "Active sessions over time",
        "Sessions by terminal type",
        "Active time by type",
        "Lines of code added vs removed",
        "Commits and pull requests",
        "Edit decisions by tool",
    },
    "LLM requests (span metrics)": {
        "LLM request latency (p50 / p95 / p99)",
        "LLM p95 latency by model",
        "LLM latency heatmap",
        "LLM requests per minute",
        "LLM error rate",
    },
    "Tools (span metrics)": {
        "Tool calls by tool",
        "Tool p95 duration by tool",
        "Time blocked on user approval (p95)",
    },
    "Traces": {"Slowest interactions"},
}
# Kinds that carry meaning (a table is read by tools; the heatmap needs buckets).
KINDS = {
    "Top sessions by notional cost": "table",
    "Sessions with the lowest cache hit ratio": "table",
    "Edit decisions by tool": "table",
    "LLM latency heatmap": "heatmap",
    "Slowest interactions": "table",
}


def visual(model: dict) -> list[dict]:
    return [p for p in model["panels"] if p["type"] != "row"]


def rows(model: dict) -> dict[str, list[dict]]:
    """Each row's panels, by the row's title, in dashboard order."""
    result: dict[str, list[dict]] = {}
    current: list[dict] | None = None
    for panel in model["panels"]:
        if panel["type"] == "row":
            current = result.setdefault(panel["title"], [])
        else:
            assert current is not None, f"panel {panel['title']!r} comes before the first row"
            current.append(panel)
    return result


def by_title(model: dict) -> dict[str, dict]:
    return {p["title"]: p for p in visual(model)}


def test_rows_in_order_with_their_panels(flagship):
    found = rows(flagship)
    assert list(found) == list(ROWS)
    for row, titles in ROWS.items():
        missing = titles - {p["title"] for p in found[row]}
        assert not missing, f"row {row!r} lacks {sorted(missing)}"


def test_at_least_the_specified_panels_with_unique_titles(flagship):
    titles = [p["title"] for p in visual(flagship)]
    assert len(titles) == len(set(titles)), "two panels share a title"
    assert len(titles) >= sum(len(t) for t in ROWS.values())


def test_panel_kinds(flagship):
    panels = by_title(flagship)
    for panel in rows(flagship)["Overview"]:
        assert panel["type"] == "stat", panel["title"]
    for title, kind in KINDS.items():
        assert panels[title]["type"] == kind, title
    assert panels["Slowest interactions"]["targets"][0]["queryType"] == "traceql"


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
        assert len(refs) == len(set(refs)), panel["title"]


def test_transformations_name_existing_ref_ids(flagship):
    """A table joins its queries by refId: a renamed query must not orphan a column."""
    for panel in visual(flagship):
        refs = {t["refId"] for t in panel["targets"]}
        text = json.dumps(panel.get("transformations", []))
        named = set(re.findall(r"Value #([\w-]+)", text))
        assert named <= refs, (panel["title"], sorted(named - refs))
        if panel["title"] in {"Top sessions by notional cost", "Edit decisions by tool"}:
            assert named == refs, panel["title"]  # every joined query is a named column


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
