"""The compiled classic dashboard as a Grafana 13 `dashboard.grafana.app/v2` resource.

Content is written once, in the classic model every Grafana since 9 reads;
v2 (dynamic dashboards) is derived from the compiled model with the
foundation SDK's `dashboardv2` builders, so there is no second copy of the
panels to keep in step. The mapping follows Grafana's own v1 -> v2
conversion (`ResponseTransformers.ensureV2Response`): elements named
`panel-<id>`, a rows layout when the dashboard has rows (panels before the
first row go into a row with a hidden header), item positions relative to
their row, queries typed by their datasource.

What the conversion cannot carry is an error naming the panel and the key,
never a silent loss: a v2 dashboard that quietly drops an override reads a
wrong number as surely as a broken query.
"""

from __future__ import annotations

import json
from typing import Any

from ccdash.build.sdk import JSONEncoder, dashboardv2, dashboardv2_models
from ccdash.errors import DashboardError

# Grafana's marker for a query variable whose classic query was a bare string.
LEGACY_STRING = "__legacyStringValue"
GRID_ROW_HEIGHT = 1

HIDE = {0: "dontHide", 1: "hideLabel", 2: "hideVariable"}
REFRESH = {0: "never", 1: "onDashboardLoad", 2: "onTimeRangeChanged"}
SORT = {
    0: "disabled",
    1: "alphabeticalAsc",
    2: "alphabeticalDesc",
    3: "numericalAsc",
    4: "numericalDesc",
    5: "alphabeticalCaseInsensitiveAsc",
    6: "alphabeticalCaseInsensitiveDesc",
    7: "naturalAsc",
    8: "naturalDesc",
}
CURSOR_SYNC = {0: "Off", 1: "Crosshair", 2: "Tooltip"}

# Classic keys each level carries over; anything else is refused (see module doc).
DASHBOARD_KEYS = {
    "annotations", "description", "editable", "fiscalYearStartMonth", "graphTooltip", "id",
    "links", "liveNow", "panels", "preload", "refresh", "revision", "schemaVersion", "tags",
    "templating", "time", "timepicker", "timezone", "title", "uid", "version", "weekStart",
}  # fmt: skip
PANEL_KEYS = {
    "cacheTimeout", "collapsed", "datasource", "description", "fieldConfig", "gridPos",
    "hideTimeOverride", "id", "interval", "libraryPanel", "links", "maxDataPoints",
    "maxPerRow", "options", "panels", "pluginVersion", "queryCachingTTL", "repeat",
    "repeatDirection", "targets", "timeFrom", "timeShift", "title", "transformations",
    "transparent", "type",
}  # fmt: skip
QUERY_OPTIONS = {
    "cacheTimeout": "cache_timeout",
    "hideTimeOverride": "hide_time_override",
    "interval": "interval",
    "maxDataPoints": "max_data_points",
    "queryCachingTTL": "query_caching_ttl",
    "timeFrom": "time_from",
    "timeShift": "time_shift",
}


class _Built:
    """A ready model where a builder is expected (the SDK has no generic DataQuery builder)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def build(self) -> Any:
        return self.model


def manifest(model: dict[str, Any], where: str) -> dict[str, Any]:
    """The v2 resource for file provisioning and `out/`."""
    return resource(model["uid"], spec(model, where))


def resource(name: str, spec_json: dict[str, Any]) -> dict[str, Any]:
    """A v2 spec as a resource: name = uid, no folder annotation (file provisioning
    refuses one that differs from its provider's folder). `pull` writes the same."""
    built = dashboardv2.manifest(name, _Built(spec_json)).build()
    return json.loads(json.dumps(built, cls=JSONEncoder))


def spec(model: dict[str, Any], where: str) -> dict[str, Any]:
    """The v2 spec alone, as the resource API stores it."""
    return json.loads(json.dumps(_dashboard(model, where).build(), cls=JSONEncoder))


def _dashboard(model: dict[str, Any], where: str) -> dashboardv2.Dashboard:
    _refuse_unknown(model, DASHBOARD_KEYS, where)
    elements, layout = _elements(model.get("panels") or [], where)
    board = (
        dashboardv2.Dashboard(model["title"])
        .tags(list(model.get("tags") or []))
        .cursor_sync(
            dashboardv2_models.DashboardCursorSync(CURSOR_SYNC[model.get("graphTooltip") or 0])
        )
        .preload(bool(model.get("preload")))
        .time_settings(_time_settings(model))
        .links([_link(link) for link in model.get("links") or []])
        .annotations([_annotation(a) for a in (model.get("annotations") or {}).get("list") or []])
        .variables([_variable(v, where) for v in (model.get("templating") or {}).get("list") or []])
        .elements(elements)
        .layout(layout)
    )
    optional = {
        "description": board.description,
        "editable": board.editable,
        "liveNow": board.live_now,
        "revision": board.revision,
    }
    for key, setter in optional.items():
        if model.get(key) is not None:
            setter(model[key])
    return board


def _time_settings(model: dict[str, Any]) -> dashboardv2.TimeSettings:
    time, picker = model.get("time") or {}, model.get("timepicker") or {}
    settings = (
        dashboardv2.TimeSettings()
        .from_val(time.get("from") or "now-6h")
        .to(time.get("to") or "now")
        .timezone(model.get("timezone") or "browser")
        .auto_refresh(model.get("refresh") or "")
        .hide_timepicker(bool(picker.get("hidden")))
        .fiscal_year_start_month(int(model.get("fiscalYearStartMonth") or 0))
    )
    if picker.get("refresh_intervals"):
        settings.auto_refresh_intervals(list(picker["refresh_intervals"]))
    if picker.get("nowDelay"):
        settings.now_delay(picker["nowDelay"])
    if model.get("weekStart") in ("saturday", "monday", "sunday"):
        settings.week_start(model["weekStart"])
    return settings


def _elements(
    panels: list[dict[str, Any]], where: str
) -> tuple[dict[str, Any], dashboardv2.Grid | dashboardv2.Rows]:
    elements: dict[str, Any] = {}
    if not any(p.get("type") == "row" for p in panels):
        grid = dashboardv2.grid()
        for panel in panels:
            grid.item(_item(panel, elements, 0, where))
        return elements, grid
    rows = dashboardv2.rows()
    current: tuple[dashboardv2.Row, dashboardv2.Grid, int] | None = None
    for panel in panels:
        if panel.get("type") == "row":
            if current:
                rows.row(current[0].layout(current[1]))
            _refuse_unknown(panel, PANEL_KEYS, f"{where}: row {panel.get('title')!r}")
            row = dashboardv2.row(panel.get("title") or "").collapse(bool(panel.get("collapsed")))
            if panel.get("repeat"):
                row.repeat(dashboardv2.RowRepeatOptions().value(panel["repeat"]))
            current = (row, dashboardv2.grid(), int(panel["gridPos"]["y"]))
            for inner in panel.get("panels") or []:  # a collapsed row holds its panels
                current[1].item(_item(inner, elements, current[2] + GRID_ROW_HEIGHT, where))
            continue
        if current is None:  # panels above the first row: a row without a header
            current = (dashboardv2.row("").hide_header(True), dashboardv2.grid(), -GRID_ROW_HEIGHT)
        current[1].item(_item(panel, elements, current[2] + GRID_ROW_HEIGHT, where))
    if current:
        rows.row(current[0].layout(current[1]))
    return elements, rows


def _item(
    panel: dict[str, Any], elements: dict[str, Any], top: int, where: str
) -> dashboardv2.GridItem:
    name = f"panel-{panel['id']}"
    elements[name] = _panel(panel, f"{where}: panel {panel.get('title')!r}")
    pos = panel["gridPos"]
    item = (
        dashboardv2.grid_item(name).x(pos["x"]).y(pos["y"] - top).width(pos["w"]).height(pos["h"])
    )
    if panel.get("repeat"):
        repeat = dashboardv2.RepeatOptions().value(panel["repeat"])
        if panel.get("repeatDirection") in ("h", "v"):
            repeat.direction(panel["repeatDirection"])
        if panel.get("maxPerRow"):
            repeat.max_per_row(int(panel["maxPerRow"]))
        item.repeat(repeat)
    return item


def _panel(panel: dict[str, Any], where: str) -> Any:
    _refuse_unknown(panel, PANEL_KEYS, where)
    if library := panel.get("libraryPanel"):
        return (
            dashboardv2.LibraryPanel()
            .id(panel["id"])
            .title(panel.get("title") or "")
            .library_panel(
                dashboardv2.LibraryPanelRef().uid(library["uid"]).name(library.get("name", ""))
            )
        )
    ds = panel.get("datasource") or {}
    data = dashboardv2.QueryGroup().targets(
        [_target(t, ds, f"{where}, query {t.get('refId')}") for t in panel.get("targets") or []]
    )
    data.transformations([_transformation(t) for t in panel.get("transformations") or []])
    options = dashboardv2.QueryOptionsSpec()
    for key, setter in QUERY_OPTIONS.items():
        if panel.get(key) is not None:
            getattr(options, setter)(panel[key])
    data.query_options(options)
    viz = (
        dashboardv2.VizConfigKind()
        .group(panel["type"])
        .version(panel.get("pluginVersion") or "")
        .spec(
            dashboardv2_models.VizConfigSpec(
                options=panel.get("options") or {},
                field_config=panel.get("fieldConfig") or {"defaults": {}, "overrides": []},
            )
        )
    )
    built = (
        dashboardv2.Panel()
        .id(panel["id"])
        .title(panel.get("title") or "")
        .description(panel.get("description") or "")
        .links([_data_link(link) for link in panel.get("links") or []])
        .data(data)
        .visualization(viz)
    )
    if panel.get("transparent") is not None:
        built.transparent(bool(panel["transparent"]))
    return built


def _target(target: dict[str, Any], panel_ds: dict[str, Any], where: str) -> dashboardv2.Target:
    ds = target.get("datasource") or panel_ds
    if not ds.get("type"):
        raise DashboardError(
            f"{where}: has no datasource type; a v2 query is typed by its datasource "
            "(set the panel's datasource, e.g. the ${datasource} variable)"
        )
    query = {k: v for k, v in target.items() if k not in ("refId", "hide", "datasource")}
    return (
        dashboardv2.Target()
        .ref_id(target.get("refId") or "")
        .hidden(bool(target.get("hide")))
        .query(_Built(_data_query(ds, query)))
    )


def _data_query(ds: dict[str, Any], spec: dict[str, Any]) -> Any:
    datasource = (
        dashboardv2_models.Dashboardv2DataQueryKindDatasource(name=ds["uid"])
        if ds.get("uid")
        else None
    )
    return dashboardv2_models.DataQueryKind(
        group=ds.get("type") or "", version="v0", datasource=datasource, spec=spec
    )


def _transformation(t: dict[str, Any]) -> dashboardv2.Transformation:
    built = dashboardv2.Transformation().group(t["id"]).options(t.get("options") or {})
    if t.get("disabled") is not None:
        built.disabled(bool(t["disabled"]))
    if t.get("filter"):
        built.filter(t["filter"])
    if t.get("topic"):
        built.topic(t["topic"])
    return built


def _data_link(link: dict[str, Any]) -> dashboardv2.DataLink:
    built = dashboardv2.DataLink().title(link.get("title") or "").url(link.get("url") or "")
    if link.get("targetBlank") is not None:
        built.target_blank(bool(link["targetBlank"]))
    return built


def _link(link: dict[str, Any]) -> dashboardv2.DashboardLink:
    return (
        dashboardv2.DashboardLink()
        .title(link.get("title") or "")
        .type(dashboardv2_models.DashboardLinkType(link.get("type") or "link"))
        .icon(link.get("icon") or "external link")
        .tooltip(link.get("tooltip") or "")
        .url(link.get("url") or "")
        .tags(list(link.get("tags") or []))
        .as_dropdown(bool(link.get("asDropdown")))
        .target_blank(bool(link.get("targetBlank")))
        .include_vars(bool(link.get("includeVars")))
        .keep_time(bool(link.get("keepTime")))
    )


def _annotation(a: dict[str, Any]) -> dashboardv2.AnnotationQuery:
    ds = a.get("datasource") or {"type": "grafana", "uid": "-- Grafana --"}
    built = (
        dashboardv2.AnnotationQuery()
        .name(a.get("name") or "")
        .enable(bool(a.get("enable", True)))
        .hide(bool(a.get("hide")))
        .icon_color(a.get("iconColor") or "")
        .built_in(bool(a.get("builtIn")))
        .query(_Built(_data_query(ds, dict(a.get("target") or {}))))
    )
    if a.get("filter"):
        built.filter(_Built(dashboardv2_models.AnnotationPanelFilter.from_json(a["filter"])))
    return built


def _option(raw: dict[str, Any] | None) -> Any:
    raw = raw or {}
    return dashboardv2_models.VariableOption(
        text=raw.get("text", ""), value=raw.get("value", ""), selected=raw.get("selected")
    )


def _variable(v: dict[str, Any], where: str) -> Any:
    kind, name = v.get("type"), v["name"]
    builders = {
        "query": dashboardv2.QueryVariable,
        "custom": dashboardv2.CustomVariable,
        "datasource": dashboardv2.DatasourceVariable,
        "interval": dashboardv2.IntervalVariable,
        "constant": dashboardv2.ConstantVariable,
        "textbox": dashboardv2.TextVariable,
    }
    if kind not in builders:
        raise DashboardError(
            f"{where}: variable {name!r} is of type {kind!r}, which ccdash does not convert to v2"
        )
    built = builders[kind](name).hide(dashboardv2_models.VariableHide(HIDE[v.get("hide") or 0]))
    built.skip_url_sync(bool(v.get("skipUrlSync")))
    if v.get("label") is not None:
        built.label(v["label"])
    if v.get("description"):
        built.description(v["description"])
    if kind in ("constant", "textbox"):
        text = v.get("query") or ""
        return built.query(text).current(_option({"text": text, "value": text}))
    built.current(_option(v.get("current")))
    if kind == "interval":
        built.query(v.get("query") or "").options([_option(o) for o in v.get("options") or []])
        return (
            built.auto(bool(v.get("auto")))
            .auto_min(v.get("auto_min") or "10s")
            .auto_count(int(v.get("auto_count") or 30))
        )
    built.multi(bool(v.get("multi"))).include_all(bool(v.get("includeAll")))
    built.allow_custom_value(bool(v.get("allowCustomValue", True)))
    if v.get("allValue"):
        built.all_value(v["allValue"])
    built.options([_option(o) for o in v.get("options") or []])
    if kind == "custom":
        return built.query(v.get("query") or "")
    built.refresh(dashboardv2_models.VariableRefresh(REFRESH[v.get("refresh") or 0]))
    built.regex(v.get("regex") or "")
    if kind == "datasource":
        return built.plugin_id(v.get("query") or "")
    query = v.get("query")
    spec = query if isinstance(query, dict) else {LEGACY_STRING: query or ""}
    built.query(_Built(_data_query(v.get("datasource") or {}, spec)))
    built.sort(dashboardv2_models.VariableSort(SORT[v.get("sort") or 0]))
    if v.get("definition"):
        built.definition(v["definition"])
    return built


def _refuse_unknown(obj: dict[str, Any], known: set[str], where: str) -> None:
    if extra := sorted(set(obj) - known):
        raise DashboardError(
            f"{where}: {', '.join(extra)} cannot be carried into the v2 schema by ccdash; "
            "drop it or build the classic schema"
        )
