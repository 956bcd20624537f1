"""Grafana 13's v2 (dynamic dashboards) schema: `ccdash build --schema v2` derives a
`dashboard.grafana.app/v2` resource from the same compiled dashboards, and `push`
stores it through the resource API with the classic guarantees.

The v2 output is checked against the classic build it comes from, by meaning:
every panel's title, queries, options and field config, every row, every
position, every variable, so a panel added to the content needs no test edit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ccdash.build import v2
from ccdash.build.compile import compile_dashboard
from ccdash.build.config import load
from ccdash.build.project import compile_project
from ccdash.cli import cli
from ccdash.errors import DashboardError
from devtools.grafana_emulator import GrafanaEmulator
from devtools.grafana_resources import v2_problems
from devtools.workspace import edit
from tests.conftest import ROOT

TOKEN = "glsa_v2_secret"
V2 = "/apis/dashboard.grafana.app/v2/namespaces/default/dashboards"


def ccdash(*args, project=ROOT, grafana=None):
    env = {"GRAFANA_URL": grafana.url, "GRAFANA_TOKEN": TOKEN} if grafana else {}
    return CliRunner().invoke(cli, ["--project", str(project), *args], env=env)


@pytest.fixture(scope="module")
def classic() -> dict[str, dict]:
    return {d.uid: d.model for d in compile_project(load(ROOT)).dashboards}


@pytest.fixture
def grafana13():
    with GrafanaEmulator(TOKEN, version="13.0.1", resource_api=True) as emulator:
        yield emulator


def rows(panels: list[dict]) -> list[tuple[str, list[dict]]]:
    """The classic dashboard as (row title, its panels) in order."""
    out: list[tuple[str, list[dict]]] = []
    for panel in panels:
        if panel["type"] == "row":
            out.append((panel["title"], list(panel.get("panels") or [])))
        elif out:
            out[-1][1].append(panel)
        else:
            out.append(("", [panel]))
    return out


# --- the conversion --------------------------------------------------------------


@pytest.mark.parametrize("uid", ["claude-code", "gemini-cli"])
def test_every_panel_arrives_with_its_queries_options_and_place(classic, uid):
    model = classic[uid]
    resource = v2.manifest(model, uid)
    assert resource["apiVersion"] == "dashboard.grafana.app/v2"
    assert resource["kind"] == "Dashboard" and resource["metadata"] == {"name": uid}
    spec = resource["spec"]
    assert v2_problems(spec) == []
    assert spec["title"] == model["title"] and spec["tags"] == model["tags"]
    assert spec["timeSettings"]["from"] == model["time"]["from"]
    assert spec["timeSettings"]["autoRefresh"] == model["refresh"]
    layout_rows = spec["layout"]["spec"]["rows"]
    assert [r["spec"]["title"] for r in layout_rows] == [t for t, _ in rows(model["panels"])]
    for row, (title, panels) in zip(layout_rows, rows(model["panels"]), strict=True):
        items = row["spec"]["layout"]["spec"]["items"]
        assert len(items) == len(panels), title
        row_y = min(p["gridPos"]["y"] for p in panels)
        for item, panel in zip(items, panels, strict=True):
            element = spec["elements"][item["spec"]["element"]["name"]]["spec"]
            assert element["title"] == panel["title"]
            pos = panel["gridPos"]
            place = item["spec"]
            assert (place["x"], place["width"], place["height"]) == (pos["x"], pos["w"], pos["h"])
            assert place["y"] == pos["y"] - row_y  # relative to its row
            viz = element["vizConfig"]
            assert viz["group"] == panel["type"]
            assert viz["spec"]["options"] == panel["options"]
            assert viz["spec"]["fieldConfig"] == panel["fieldConfig"]
            queries = {
                q["spec"]["refId"]: q["spec"]["query"] for q in element["data"]["spec"]["queries"]
            }
            for target in panel["targets"]:
                query = queries[target["refId"]]
                ds = target.get("datasource") or panel["datasource"]
                assert (query["group"], query["datasource"]["name"]) == (ds["type"], ds["uid"])
                for key in ("expr", "query", "legendFormat", "instant", "range"):
                    assert query["spec"].get(key) == target.get(key), (panel["title"], key)
            transformations = element["data"]["spec"]["transformations"]
            assert [t["group"] for t in transformations] == [
                t["id"] for t in panel.get("transformations") or []
            ]
            assert [t["spec"]["options"] for t in transformations] == [
                t.get("options") for t in panel.get("transformations") or []
            ]
    variables = {v["spec"]["name"]: v for v in spec["variables"]}
    for var in model["templating"]["list"]:
        kind = variables[var["name"]]["kind"]
        assert kind == {"query": "QueryVariable", "datasource": "DatasourceVariable"}[var["type"]]
        if var["type"] == "query":
            query = variables[var["name"]]["spec"]["query"]
            assert query["spec"] == {"__legacyStringValue": var["query"]}
            assert variables[var["name"]]["spec"]["hide"] == v2.HIDE[var.get("hide", 0)]


def compiled(panels: list[dict], **extra) -> dict:
    model = {"uid": "t", "title": "T", "panels": panels, **extra}
    return compile_dashboard(model, Path("dashboards/t.py")).model


PROM = {"type": "prometheus", "uid": "${datasource}"}


def stat(title: str, **extra) -> dict:
    return {
        "type": "stat",
        "title": title,
        "datasource": PROM,
        "targets": [{"expr": "up"}],
        **extra,
    }


def test_layout_follows_grafanas_conversion():
    flat = v2.spec(compiled([stat("a"), stat("b")]), "t")
    assert flat["layout"]["kind"] == "GridLayout"
    assert len(flat["layout"]["spec"]["items"]) == 2
    model = compiled(
        [
            stat("above"),
            {"type": "row", "title": "open"},
            stat("in open", repeat="user", repeatDirection="h", maxPerRow=4),
            {"type": "row", "title": "shut", "collapsed": True, "panels": [stat("folded")]},
        ]
    )
    spec = v2.spec(model, "t")
    first, opened, shut = spec["layout"]["spec"]["rows"]
    assert first["spec"]["hideHeader"] is True and first["spec"]["title"] == ""
    assert shut["spec"]["collapse"] is True
    [folded] = shut["spec"]["layout"]["spec"]["items"]
    assert spec["elements"][folded["spec"]["element"]["name"]]["spec"]["title"] == "folded"
    assert folded["spec"]["y"] == 0
    [repeated] = opened["spec"]["layout"]["spec"]["items"]
    assert repeated["spec"]["repeat"] == {
        "mode": "variable",
        "value": "user",
        "direction": "h",
        "maxPerRow": 4,
    }


@pytest.mark.parametrize(
    ("panels", "extra", "message"),
    [
        ([stat("a", thresholds=[1])], {}, "panel 'a': thresholds cannot be carried"),
        ([{"type": "stat", "title": "a", "targets": [{"expr": "up"}]}], {}, "no datasource type"),
        ([stat("a")], {"templating": {"list": [{"type": "groupby", "name": "g"}]}}, "'groupby'"),
        ([stat("a")], {"weekStartsOn": "monday"}, "weekStartsOn cannot be carried"),
    ],
)
def test_what_cannot_be_carried_is_an_error_not_a_loss(panels, extra, message):
    with pytest.raises(DashboardError, match=message) as caught:
        v2.spec(compiled(panels, **extra), "dashboards/t.py")
    assert "dashboards/t.py" in str(caught.value)


# --- build ------------------------------------------------------------------------


def test_build_schema_v2_writes_resources_and_keeps_configmaps_classic(project):
    result = ccdash("build", "--schema", "v2", project=project)
    assert result.exit_code == 0, result.output
    out = json.loads((project / "out/dashboards/claude-code.json").read_text())
    assert out["apiVersion"] == "dashboard.grafana.app/v2"
    first = (project / "out/dashboards/claude-code.json").read_bytes()
    assert ccdash("build", "--schema", "v2", project=project).exit_code == 0
    assert (project / "out/dashboards/claude-code.json").read_bytes() == first
    cm = yaml.safe_load((project / "k8s/dashboards/grafana-dashboard-claude-code.yaml").read_text())
    assert "panels" in json.loads(cm["data"]["claude-code.json"])  # still classic
    assert ccdash("build", "--check", project=project).exit_code == 0


def test_configmaps_carry_v2_only_when_asked(project):
    edit(project / "ccdash.yaml", "  folder_annotation: grafana_folder\n",
         "  folder_annotation: grafana_folder\n  schema: v2\n")  # fmt: skip
    result = ccdash("build", project=project)
    assert result.exit_code == 0, result.output
    assert "kubernetes.schema v2" in result.output and "#127928" in result.output
    cm = yaml.safe_load((project / "k8s/dashboards/grafana-dashboard-claude-code.yaml").read_text())
    doc = json.loads(cm["data"]["claude-code.json"])
    assert doc["apiVersion"] == "dashboard.grafana.app/v2" and "folder" not in json.dumps(
        doc["metadata"]
    )
    assert "panels" in json.loads((project / "out/dashboards/claude-code.json").read_text())


def test_a_schema_that_does_not_exist_is_named(project):
    edit(project / "ccdash.yaml", "kubernetes:\n", "schema: v3\nkubernetes:\n")
    result = ccdash("build", project=project)
    assert result.exit_code != 0
    assert "'schema' must be one of classic, v2, got 'v3'" in result.output


# --- push, diff, pull -------------------------------------------------------------


def test_push_v2_stores_a_v2_resource_without_churn(grafana13):
    result = ccdash("push", "--schema", "v2", grafana=grafana13)
    assert result.exit_code == 0, result.output
    stored = grafana13.state.dashboards["claude-code"]
    assert stored.stored_version == "v2"
    assert v2_problems({k: v for k, v in stored.dashboard.items() if k != "uid"}) == []
    assert stored.annotations["grafana.app/managerId"] == "ccdash"
    assert any(path == f"{V2}/claude-code" for _, path in grafana13.state.requests)
    writes = grafana13.state.writes()
    again = ccdash("push", "--schema", "v2", grafana=grafana13)
    assert again.exit_code == 0 and "unchanged" in again.output, again.output
    assert grafana13.state.writes() == writes
    diff = ccdash("diff", "--schema", "v2", grafana=grafana13)
    assert diff.exit_code == 0 and "claude-code: in sync" in diff.output, diff.output
    # Read through the classic API, a v2 dashboard is refused (406), never "in sync".
    classic = ccdash("diff", "--api", "classic", grafana=grafana13)
    assert classic.exit_code == 1 and "claude-code: in sync" not in classic.output


def test_ui_edit_of_a_v2_dashboard_is_kept_until_force(grafana13, project):
    assert ccdash("push", "--schema", "v2", project=project, grafana=grafana13).exit_code == 0
    grafana13.state.ui_edit("claude-code", lambda d: d.update(description="edited by hand"))
    edit(project / "panels/__init__.py", '.refresh("5m")', '.refresh("1m")')
    result = ccdash("push", "--schema", "v2", project=project, grafana=grafana13)
    assert result.exit_code == 1 and "changed in Grafana since ccdash pushed it" in result.output
    assert grafana13.state.dashboards["claude-code"].dashboard["description"] == "edited by hand"
    forced = ccdash("push", "--schema", "v2", "--force", project=project, grafana=grafana13)
    assert forced.exit_code == 0, forced.output
    stored = grafana13.state.dashboards["claude-code"].dashboard
    assert stored["timeSettings"]["autoRefresh"] == "1m"


def test_pull_of_a_v2_dashboard_matches_the_v2_build(grafana13, project):
    assert ccdash("push", "--schema", "v2", project=project, grafana=grafana13).exit_code == 0
    assert ccdash("build", "--schema", "v2", project=project).exit_code == 0
    result = ccdash("pull", "--schema", "v2", project=project, grafana=grafana13)
    assert result.exit_code == 0, result.output
    pulled = (project / "out/pulled/claude-code.json").read_text()
    assert pulled == (project / "out/dashboards/claude-code.json").read_text()


def test_instance_schema_and_the_flag_over_it(grafana13, project):
    edit(project / "ccdash.yaml", "kubernetes:\n",
         f"grafana:\n  instances:\n    g13:\n      url: {grafana13.url}\n      schema: v2\n"
         "kubernetes:\n")  # fmt: skip
    result = ccdash("push", "--instance", "g13", project=project, grafana=grafana13)
    assert result.exit_code == 0, result.output
    assert grafana13.state.dashboards["claude-code"].stored_version == "v2"
    classic = ccdash("diff", "--instance", "g13", "--schema", "classic", project=project,
                     grafana=grafana13)  # fmt: skip
    assert "saved as v2 in the UI" in classic.output  # read as v1: refused, not clean


def test_v2_needs_grafana_13_and_the_resource_api():
    with GrafanaEmulator(TOKEN, version="12.3.0", resource_api=True) as g12:
        result = ccdash("push", "--schema", "v2", grafana=g12)
        assert result.exit_code == 3
        assert "v2 dashboards need Grafana 13" in result.output and "v2beta1" in result.output
        forced = ccdash("push", "--schema", "v2", "--api", "classic", grafana=g12)
        assert forced.exit_code == 3 and "only through the resource API" in forced.output
        assert g12.state.writes() == 0


def test_switching_a_classic_dashboard_to_v2_needs_force():
    def converter(classic: dict) -> dict:
        # Grafana's v1 -> v2 conversion fills defaults ccdash does not write.
        return {**v2.spec(classic, classic["uid"]), "liveNow": False}

    with GrafanaEmulator(TOKEN, version="13.0.1", resource_api=True, converter=converter) as g:
        assert ccdash("push", grafana=g).exit_code == 0
        assert g.state.dashboards["claude-code"].stored_version == "v1"
        result = ccdash("push", "--schema", "v2", grafana=g)
        assert result.exit_code == 1 and "stored in Grafana as v1" in result.output
        assert g.state.dashboards["claude-code"].stored_version == "v1"
        forced = ccdash("push", "--schema", "v2", "--force", grafana=g)
        assert forced.exit_code == 0, forced.output
        assert g.state.dashboards["claude-code"].stored_version == "v2"


# --- the emulator's v2 contract ---------------------------------------------------


def test_emulator_rejects_a_v2_spec_grafana_would_not_store(grafana13, classic):
    import requests

    spec = v2.spec(classic["gemini-cli"], "gemini-cli")
    name = next(iter(spec["elements"]))
    del spec["elements"][name]
    body = {
        "apiVersion": "dashboard.grafana.app/v2",
        "kind": "Dashboard",
        "metadata": {"name": "g"},
        "spec": spec,
    }
    r = requests.post(
        grafana13.url + V2, json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    )
    assert (
        r.status_code == 422 and f"element {name!r} is not in spec.elements" in r.json()["message"]
    )
