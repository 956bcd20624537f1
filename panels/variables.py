"""House template variables: datasources, filters whose "All" is no filter, the source switch."""

from __future__ import annotations

from ccdash.build import counters
from ccdash.build.sdk import dashboard, dashboard_models
from panels import PROMETHEUS


def datasource_variable(name: str, label: str, kind: str, default: str):
    variable = dashboard.DatasourceVariable(name).label(label).type(kind)
    if default:
        variable = variable.current(dashboard_models.VariableOption(text=default, value=default))
    return variable


def filter_variable(name: str, title: str, query: str):
    """A multi-value filter; `.*` as "All" also matches series without the label (sessions
    without a team), so "All" really means no filter."""
    return (
        dashboard.QueryVariable(name)
        .label(title)
        .datasource(PROMETHEUS)
        .query(query)
        .definition(query)
        .refresh(dashboard_models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dashboard_models.VariableSort.ALPHABETICAL_CASE_INSENSITIVE_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(dashboard_models.VariableOption(text="All", value="$__all", selected=True))
    )


def source_variables(groups: list[str]) -> list:
    """Hidden variables choosing recorded or raw series for the range (ccdash.build.counters)."""
    result = []
    for source in (counters.SOURCE_RULES, counters.SOURCE_RAW):
        query = counters.source_query(groups, source)
        result.append(
            dashboard.QueryVariable(source)
            .datasource(PROMETHEUS)
            .query(query)
            .definition(query)
            .regex(counters.SOURCE_REGEX)
            .refresh(dashboard_models.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .hide(dashboard_models.VariableHide.HIDE_VARIABLE)
        )
    return result
