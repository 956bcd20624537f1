"""Where Grafana reads a dashboard differently from how it is easy to write one.

Each test here failed on the dashboards before the fix it pins: a reducer
Grafana does not have, a unit on a heatmap's counts, a "slowest" table that
listed the newest, a footer TableNG no longer reads, a nested folder the
sidecar flattens.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccdash.build import fidelity
from ccdash.build.compile import compile_dashboard
from ccdash.build.config import load
from ccdash.build.project import compile_project
from ccdash.cli import cli
from ccdash.errors import DashboardError
from devtools.workspace import edit
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def built() -> list[dict]:
    return [d.model for d in compile_project(load(ROOT)).dashboards]


def by_title(models: list[dict], title: str) -> dict:
    return next(p for m in models for p in fidelity.panels(m) if p.get("title") == title)


def test_every_reducer_is_one_grafana_has(built):
    for model in built:
        for panel in fidelity.panels(model):
            assert set(fidelity.reducers(panel)) <= fidelity.REDUCERS, panel["title"]


def test_top_sessions_lists_models_with_a_real_reducer(built):
    table = by_title(built, "Top sessions by notional cost")
    group = next(t for t in table["transformations"] if t["id"] == "groupBy")
    assert group["options"]["fields"]["model"]["aggregations"] == ["uniqueValues"]
    # The organize step renames the column groupBy really produces.
    organize = next(t for t in table["transformations"] if t["id"] == "organize")
    assert organize["options"]["renameByName"]["model (uniqueValues)"] == "Model(s)"


def panel_with(**extra) -> dict:
    panel = {"type": "table", "title": "Broken", "targets": [{"expr": "up"}], **extra}
    return {"title": "T", "uid": "t", "panels": [panel]}


def test_unknown_reducer_fails_the_build_naming_the_panel():
    model = panel_with(
        transformations=[
            {"id": "groupBy", "options": {"fields": {"m": {"aggregations": ["distinct"]}}}}
        ]
    )
    with pytest.raises(DashboardError) as info:
        compile_dashboard(model, Path("dashboards/x.py"))
    message = str(info.value)
    assert "dashboards/x.py" in message and "'Broken'" in message
    assert "'distinct'" in message and "distinctCount" in message


@pytest.mark.parametrize(
    "extra",
    [
        {"options": {"reduceOptions": {"calcs": ["average"]}}},
        {"transformations": [{"id": "reduce", "options": {"reducers": ["total"]}}]},
        {"options": {"footer": {"show": True, "reducer": ["summ"]}}},
    ],
)
def test_unknown_reducer_anywhere_grafana_reads_one(extra):
    with pytest.raises(DashboardError, match="which Grafana does not have"):
        compile_dashboard(panel_with(**extra), Path("x.py"))


def test_heatmap_unit_is_on_the_y_axis_not_the_counts(built):
    heatmap = by_title(built, "LLM latency heatmap")
    assert heatmap["options"]["yAxis"]["unit"] == "s"
    assert heatmap["fieldConfig"]["defaults"]["unit"] in ("short", "none")


def test_heatmap_with_seconds_on_its_counts_is_refused():
    model = panel_with(type="heatmap", fieldConfig={"defaults": {"unit": "s"}})
    model["panels"][0]["options"] = {"calculate": False}
    with pytest.raises(DashboardError, match="bucket counts"):
        compile_dashboard(model, Path("x.py"))


def test_slowest_interactions_are_the_ones_above_a_threshold(built):
    panel = by_title(built, "Slowest interactions")
    (target,) = panel["targets"]
    # TraceQL has no ordering and Tempo's table lists the newest: only a
    # duration threshold makes the table's contents the slow ones.
    threshold = re.search(r"&& duration > (\d+[smh])\}$", target["query"])
    assert threshold, target["query"]
    assert threshold.group(1) in panel["description"]
    assert f"at most {target['limit']} matching traces" in panel["description"]
    assert panel["options"]["sortBy"] == [{"desc": True, "displayName": "Duration"}]


def test_no_disabled_footer_left_for_tableng_to_ignore(built):
    tables = [p for m in built for p in fidelity.panels(m) if p["type"] == "table"]
    assert tables
    assert all("footer" not in p["options"] for p in tables)


def test_an_enabled_footer_is_kept():
    footer = {"show": True, "reducer": ["sum"], "countRows": False}
    compiled = compile_dashboard(panel_with(options={"footer": footer}), Path("x.py"))
    assert compiled.model["panels"][0]["options"]["footer"] == footer


def test_nested_folder_warns_that_the_sidecar_flattens_it(project):
    edit(project / "ccdash.yaml", "# folder: AI agents", "folder: AI agents/Claude")
    result = CliRunner().invoke(cli, ["--project", str(project), "build"])
    assert result.exit_code == 0, result.output
    assert "warning: folder 'AI agents/Claude'" in result.output
    assert "root folder 'Claude'" in result.output
    plain = CliRunner().invoke(cli, ["--project", str(ROOT), "build", "--check"])
    assert "warning" not in plain.output
