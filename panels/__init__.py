"""House panel builders: the defaults every ccdash panel shares.

Every builder takes the title, the description and the unit first, because a
panel without them is a panel nobody can trust. Datasources are always the
dashboard's variables, never a uid, so a dashboard works in any Grafana and
through the sidecar.
"""

from __future__ import annotations

from ccdash.build.sdk import (
    bargauge,
    common,
    common_models,
    dashboard,
    dashboard_models,
    heatmap,
    heatmap_models,
    piechart,
    piechart_models,
    prometheus,
    prometheus_models,
    stat,
    table,
    tempo,
    timeseries,
)

PROMETHEUS_VAR = "datasource"
TEMPO_VAR = "tempo"
PROMETHEUS = dashboard_models.DataSourceRef(type_val="prometheus", uid=f"${{{PROMETHEUS_VAR}}}")
TEMPO = dashboard_models.DataSourceRef(type_val="tempo", uid=f"${{{TEMPO_VAR}}}")


def notional(computed_by: str) -> str:
    """Said wherever a cost appears: a cost computed from token counts at list prices
    (by the agent, or by the dashboard) is not what anyone is invoiced."""
    return (
        f" Notional: a list-price estimate computed by {computed_by}, not a bill "
        "(subscriptions pay no per-token price; discounts and price changes are ignored)."
    )


# A timeseries panel is about 1000 px wide at most; one point per 2 px.
MAX_DATA_POINTS = 500
# Per-interval sums need several scrapes per window (15 s scrape interval).
MIN_INTERVAL = "1m"

STAT_SIZE = (3, 4)
HALF = (12, 8)
THIRD = (8, 8)
FULL = (24, 8)


def house_dashboard(title: str, uid: str, description: str, tags: list[str]):
    """A dashboard with the house settings: the last 7 days, refreshed every 5 minutes."""
    return (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(tags)
        .time("now-7d", "now")
        .refresh("5m")
        .timezone("browser")
        .editable()
    )


def dashboard_link(title: str, uid: str):
    """A link to another dashboard that keeps the time range and the filters chosen."""
    return (
        dashboard.DashboardLink(title)
        .type(dashboard_models.DashboardLinkType.LINK)
        .url(f"/d/{uid}")
        .icon("dashboard")
        .keep_time(True)
        .include_vars(True)
    )


# --- targets ---------------------------------------------------------------


def prom(
    expr: str,
    legend: str = "",
    *,
    instant: bool = False,
    table_format: bool = False,
    heatmap_format: bool = False,
    ref_id: str = "",
) -> prometheus.Dataquery:
    """A Prometheus target; name it (`ref_id="cost"`) when a transformation refers to it."""
    target = prometheus.Dataquery().expr(expr).datasource(PROMETHEUS)
    if ref_id:
        target = target.ref_id(ref_id)
    if legend:
        target = target.legend_format(legend)
    target = target.instant() if instant else target.range()
    if table_format:
        target = target.format(prometheus_models.PromQueryFormat.TABLE)
    elif heatmap_format:
        target = target.format(prometheus_models.PromQueryFormat.HEATMAP)
    return target


def traceql(query: str, limit: int = 20) -> tempo.Dataquery:
    return (
        tempo.Dataquery()
        .query(query)
        .query_type("traceql")
        .table_type("traces")
        .limit(limit)
        .datasource(TEMPO)
    )


# --- shared settings ---------------------------------------------------------


def thresholds(*steps: tuple[float | None, str]) -> dashboard.ThresholdsConfig:
    """Absolute thresholds; the first step's value is None (-Infinity)."""
    return (
        dashboard.ThresholdsConfig()
        .mode(dashboard_models.ThresholdsMode.ABSOLUTE)
        .steps([dashboard_models.Threshold(value=value, color=color) for value, color in steps])
    )


NEUTRAL = thresholds((None, "blue"))
CACHE_THRESHOLDS = thresholds((None, "red"), (0.5, "orange"), (0.8, "green"))


def _base(
    panel,
    title: str,
    description: str,
    unit: str,
    size: tuple[int, int],
    targets,
    datasource=PROMETHEUS,
):
    panel = (
        panel.title(title)
        .description(description)
        .unit(unit)
        .datasource(datasource)
        .span(size[0])
        .height(size[1])
    )
    for target in targets:
        panel = panel.with_target(target)
    return panel


def _last_value():
    return common.ReduceDataOptions().calcs(["lastNotNull"]).values(False)


# --- panels ------------------------------------------------------------------


def stat_panel(
    title: str,
    description: str,
    unit: str,
    *targets,
    size=STAT_SIZE,
    steps: dashboard.ThresholdsConfig = NEUTRAL,
    decimals: int | None = None,
) -> stat.Panel:
    panel = _base(stat.Panel(), title, description, unit, size, targets)
    panel = (
        panel.reduce_options(_last_value())
        .thresholds(steps)
        .color_mode(common_models.BigValueColorMode.VALUE)
        .graph_mode(common_models.BigValueGraphMode.NONE)
    )
    if decimals is not None:
        panel = panel.decimals(decimals)
    return panel


def timeseries_panel(
    title: str,
    description: str,
    unit: str,
    *targets,
    size=HALF,
    stacked: bool = False,
    bars: bool = False,
    steps: dashboard.ThresholdsConfig | None = None,
    max_data_points: int = MAX_DATA_POINTS,
) -> timeseries.Panel:
    panel = _base(timeseries.Panel(), title, description, unit, size, targets)
    panel = (
        panel.max_data_points(max_data_points)
        .interval(MIN_INTERVAL)
        .fill_opacity(20 if stacked or bars else 10)
        .legend(
            common.VizLegendOptions()
            .show_legend(True)
            .display_mode(common_models.LegendDisplayMode.LIST)
            .placement(common_models.LegendPlacement.BOTTOM)
        )
        .tooltip(
            common.VizTooltipOptions()
            .mode(common_models.TooltipDisplayMode.MULTI)
            .sort(common_models.SortOrder.DESCENDING)
        )
    )
    if stacked:
        panel = panel.stacking(common.StackingConfig().mode(common_models.StackingMode.NORMAL))
    if bars:
        panel = panel.draw_style(common_models.GraphDrawStyle.BARS)
    if steps is not None:
        panel = panel.thresholds(steps).thresholds_style(
            common.GraphThresholdsStyleConfig().mode(common_models.GraphThresholdsStyleMode.DASHED)
        )
    return panel


def pie_panel(title: str, description: str, unit: str, *targets, size=THIRD) -> piechart.Panel:
    panel = _base(piechart.Panel(), title, description, unit, size, targets)
    return (
        panel.reduce_options(_last_value())
        .pie_type(piechart_models.PieChartType.DONUT)
        .legend(
            piechart.PieChartLegendOptions()
            .show_legend(True)
            .display_mode(common_models.LegendDisplayMode.TABLE)
            .placement(common_models.LegendPlacement.RIGHT)
            .values(
                [
                    piechart_models.PieChartLegendValues.VALUE,
                    piechart_models.PieChartLegendValues.PERCENT,
                ]
            )
        )
    )


def bar_gauge_panel(
    title: str,
    description: str,
    unit: str,
    *targets,
    size=THIRD,
    steps: dashboard.ThresholdsConfig = NEUTRAL,
) -> bargauge.Panel:
    panel = _base(bargauge.Panel(), title, description, unit, size, targets)
    return (
        panel.reduce_options(_last_value())
        .thresholds(steps)
        .orientation(common_models.VizOrientation.HORIZONTAL)
        .display_mode(common_models.BarGaugeDisplayMode.GRADIENT)
    )


def heatmap_panel(title: str, description: str, unit: str, *targets, size=HALF) -> heatmap.Panel:
    """`unit` is the buckets' (the y axis); the cells are counts, so the field unit is plain."""
    panel = _base(heatmap.Panel(), title, description, "short", size, targets)
    return (
        panel.max_data_points(MAX_DATA_POINTS // 5)
        .interval(MIN_INTERVAL)
        .calculate(False)
        .y_axis(heatmap.YAxisConfig().unit(unit))
        .color(
            heatmap.HeatmapColorOptions()
            .scheme("Oranges")
            .steps(64)
            .mode(heatmap_models.HeatmapColorMode.SCHEME)
        )
    )


def table_panel(
    title: str,
    description: str,
    unit: str,
    *targets,
    size=HALF,
    transformations=(),
    sort_by: str = "",
    descending: bool = True,
    column_units: dict[str, str] | None = None,
    datasource=PROMETHEUS,
) -> table.Panel:
    panel = _base(table.Panel(), title, description, unit, size, targets, datasource)
    for column, column_unit in (column_units or {}).items():
        panel = panel.override_by_name(
            column, [dashboard_models.DynamicConfigValue(id_val="unit", value=column_unit)]
        )
    for transformation in transformations:
        panel = panel.with_transformation(transformation)
    if sort_by:
        panel = panel.sort_by(
            [common.TableSortByFieldState().display_name(sort_by).desc(descending)]
        )
    return panel


def value_field(ref_id: str, reducer: str = "") -> str:
    """The name Grafana gives a table query's value column (and a reducer's result)."""
    return f"Value #{ref_id}" + (f" ({reducer})" if reducer else "")


def transformation(id_: str, options: dict) -> dashboard_models.DataTransformerConfig:
    return dashboard_models.DataTransformerConfig(id_val=id_, options=options)
