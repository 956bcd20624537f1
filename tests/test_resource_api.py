"""Grafana 12+'s resource API (`/apis/dashboard.grafana.app`): the emulator's contract and
`ccdash push/pull/diff/status` over it, with the guarantees the classic API has."""

from __future__ import annotations

import json

import pytest
import requests
from click.testing import CliRunner

from ccdash.build.config import load
from ccdash.build.project import compile_project
from ccdash.cli import cli
from ccdash.sync.normalize import normalise
from devtools.grafana_emulator import Fault, GrafanaEmulator
from devtools.workspace import edit
from tests.conftest import ROOT

TOKEN = "glsa_resource_secret"
GROUP = "/apis/dashboard.grafana.app"
V1 = f"{GROUP}/v1beta1/namespaces/default/dashboards"
V2 = f"{GROUP}/v2beta1/namespaces/default/dashboards"


@pytest.fixture
def grafana():
    with GrafanaEmulator(TOKEN, resource_api=True) as emulator:
        yield emulator


def call(grafana, method, path, body=None, token=TOKEN):
    r = requests.request(
        method,
        grafana.url + path,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    return r.status_code, r.json()


def resource(name, spec, version="v1beta1", **metadata):
    return {
        "apiVersion": f"dashboard.grafana.app/{version}",
        "kind": "Dashboard",
        "metadata": {"name": name, **metadata},
        "spec": spec,
    }


def ccdash(grafana, *args, project=ROOT):
    env = {"GRAFANA_URL": grafana.url, "GRAFANA_TOKEN": TOKEN}
    return CliRunner().invoke(cli, ["--project", str(project), *args], env=env)


def paths(grafana) -> set[str]:
    return {path for _, path in grafana.state.requests}


# --- the emulator's contract -------------------------------------------------------


def test_discovery_lists_the_served_versions(grafana):
    status, group = call(grafana, "GET", GROUP)
    assert status == 200 and group["kind"] == "APIGroup"
    assert {v["version"] for v in group["versions"]} == {"v1beta1", "v2beta1"}
    with GrafanaEmulator(TOKEN) as old:
        assert call(old, "GET", GROUP)[0] == 404


def test_create_read_and_stale_update(grafana):
    status, created = call(grafana, "POST", V1, resource("a", {"title": "A"}))
    assert status == 201 and created["metadata"]["generation"] == 1
    rv = created["metadata"]["resourceVersion"]
    status, body = call(grafana, "POST", V1, resource("a", {"title": "A"}))
    assert (status, body["reason"]) == (409, "AlreadyExists")
    status, updated = call(
        grafana, "PUT", f"{V1}/a", resource("a", {"title": "B"}, resourceVersion=rv)
    )
    assert status == 200 and updated["metadata"]["generation"] == 2
    status, body = call(
        grafana, "PUT", f"{V1}/a", resource("a", {"title": "C"}, resourceVersion=rv)
    )
    assert (status, body["kind"], body["reason"]) == (409, "Status", "Conflict")
    assert call(grafana, "GET", f"{V1}/a")[1]["spec"]["title"] == "B"
    # The classic API sees the same row.
    assert call(grafana, "GET", "/api/dashboards/uid/a")[1]["meta"]["version"] == 2


def test_what_the_resource_api_rejects(grafana):
    assert call(grafana, "GET", f"{V1}/missing")[1]["reason"] == "NotFound"
    wrong_ns = f"{GROUP}/v1beta1/namespaces/stacks-1/dashboards/a"
    assert call(grafana, "GET", wrong_ns)[0] == 404
    assert call(grafana, "POST", V1, resource("a", {"title": " "}))[0] == 422
    v2_spec = {"title": "A", "elements": {}, "layout": {}}
    assert call(grafana, "POST", V1, resource("a", v2_spec))[0] == 400
    assert call(grafana, "POST", V2, resource("a", {"title": "A"}, "v2beta1"))[0] == 400
    folder = {"annotations": {"grafana.app/folder": "nope"}}
    assert call(grafana, "POST", V1, resource("a", {"title": "A"}, **folder))[0] == 400
    status, body = call(grafana, "POST", V1, resource("a", {"title": "A"}), token="viewer-token")
    assert (status, body["reason"]) == (403, "Forbidden")
    grafana.state.provision({"uid": "p", "title": "P"})
    live = call(grafana, "GET", f"{V1}/p")[1]
    assert live["metadata"]["annotations"]["grafana.app/managedBy"] == "classic-file-provisioning"
    rv = live["metadata"]["resourceVersion"]
    assert (
        call(grafana, "PUT", f"{V1}/p", resource("p", {"title": "P"}, resourceVersion=rv))[0] == 403
    )


def test_a_v2_dashboard_is_not_readable_as_classic_or_v1(grafana):
    call(grafana, "POST", V1, resource("a", {"title": "A"}))
    grafana.state.ui_save_as_v2("a", {"title": "A", "elements": {}, "layout": {}})
    assert call(grafana, "GET", "/api/dashboards/uid/a")[0] == 406
    conversion = call(grafana, "GET", f"{V1}/a")[1]["status"]["conversion"]
    assert conversion["failed"] and conversion["storedVersion"] == "v2beta1"
    assert "elements" in call(grafana, "GET", f"{V2}/a")[1]["spec"]
    v2_body = {"dashboard": {"uid": "b", "title": "B", "elements": {}, "layout": {}}}
    assert call(grafana, "POST", "/api/dashboards/db", v2_body)[0] == 400


# --- ccdash over the resource API ---------------------------------------------------


def test_push_discovers_the_resource_api_and_never_churns(grafana):
    result = ccdash(grafana, "push")
    assert result.exit_code == 0, result.output
    assert f"{V1}/claude-code" in paths(grafana)
    assert not any(p.startswith("/api/dashboards/") for p in paths(grafana))
    stored = grafana.state.dashboards["claude-code"]
    assert stored.annotations["grafana.app/managerId"] == "ccdash"
    assert stored.annotations["grafana.app/managedBy"] == "kubectl"
    assert stored.folder_uid == "ccdash-claude-code"
    assert "ccdash" not in stored.dashboard  # ownership is metadata, not spec
    writes, version = grafana.state.writes(), stored.version
    again = ccdash(grafana, "push")
    assert again.exit_code == 0 and "unchanged" in again.output
    assert grafana.state.writes() == writes and stored.version == version
    diff = ccdash(grafana, "diff")
    assert diff.exit_code == 0 and "claude-code: in sync" in diff.output, diff.output


def test_ui_edit_is_kept_until_force(grafana, project):
    assert ccdash(grafana, "push").exit_code == 0
    grafana.state.ui_edit("claude-code", lambda d: d.update(description="edited by hand"))
    edit(project / "panels/__init__.py", '.refresh("5m")', '.refresh("1m")')
    result = ccdash(grafana, "push", project=project)
    assert result.exit_code == 1, result.output
    assert "changed in Grafana since ccdash pushed it" in result.output
    assert grafana.state.dashboards["claude-code"].dashboard["description"] == "edited by hand"
    forced = ccdash(grafana, "push", "--force", project=project)
    assert forced.exit_code == 0, forced.output
    assert grafana.state.dashboards["claude-code"].dashboard["refresh"] == "1m"


def test_save_between_read_and_write_is_a_conflict_not_retried(grafana):
    assert ccdash(grafana, "push").exit_code == 0
    grafana.state.ui_edit("claude-code", lambda d: d.update(description="hand edit"))
    grafana.state.faults.append(Fault("PUT", f"{V1}/claude-code", "edit"))
    result = ccdash(grafana, "push", "--force")
    assert result.exit_code == 1, result.output
    assert "HTTP 409" in result.output and "not retried" in result.output
    assert grafana.state.dashboards["claude-code"].dashboard["title"].endswith("(edited)")


def test_resources_managed_elsewhere_are_refused(grafana):
    built = compile_project(load(ROOT)).dashboard("claude-code").model
    grafana.state.install_plugin_dashboard(built, "grafana-claude-app")
    result = ccdash(grafana, "push", "--adopt", "--force")
    assert result.exit_code == 1, result.output
    assert "managed in Grafana by plugin grafana-claude-app" in result.output
    assert grafana.state.dashboards["claude-code"].version == 1


def test_hand_made_dashboard_needs_adopt(grafana):
    call(grafana, "POST", V1, resource("claude-code", {"title": "Mine"}))
    result = ccdash(grafana, "push")
    assert result.exit_code == 1 and "not managed by ccdash" in result.output
    adopted = ccdash(grafana, "push", "--adopt")
    assert adopted.exit_code == 0, adopted.output
    assert grafana.state.dashboards["claude-code"].annotations["grafana.app/managerId"] == "ccdash"


@pytest.mark.parametrize("api", ["auto", "classic"])
def test_a_dashboard_saved_as_v2_is_never_overwritten_nor_clean(grafana, api):
    assert ccdash(grafana, "push").exit_code == 0
    v2 = {"title": "Claude Code", "elements": {"panel-1": {}}, "layout": {"kind": "GridLayout"}}
    grafana.state.ui_save_as_v2("claude-code", v2)
    writes = grafana.state.writes()
    for args in (("push", "--api", api), ("push", "--api", api, "--force", "--adopt")):
        result = ccdash(grafana, *args)
        assert result.exit_code == 1, result.output
        assert "saved as v2 in the UI" in result.output and "leaves it alone" in result.output
    assert grafana.state.writes() == writes
    assert grafana.state.dashboards["claude-code"].dashboard["elements"] == {"panel-1": {}}
    diff = ccdash(grafana, "diff", "--api", api)
    assert diff.exit_code == 1 and "claude-code: in sync" not in diff.output.splitlines()
    status = ccdash(grafana, "status", "--api", api)
    assert "saved as v2 in the UI" in status.output


def test_forcing_an_api(grafana):
    classic = ccdash(grafana, "push", "--api", "classic")
    assert classic.exit_code == 0, classic.output
    assert "/api/dashboards/db" in paths(grafana) and f"{V1}/claude-code" not in paths(grafana)
    with GrafanaEmulator(TOKEN) as old:
        result = ccdash(old, "push", "--api", "resource")
        assert result.exit_code == 3
        assert "does not serve /apis/dashboard.grafana.app/v1 or" in result.output
        assert ccdash(old, "push").exit_code == 0  # auto falls back to the classic API


def test_namespace_comes_from_the_server():
    with GrafanaEmulator(TOKEN, resource_api=True, namespace="stacks-4711") as cloud:
        result = ccdash(cloud, "push")
        assert result.exit_code == 0, result.output
        assert any("/namespaces/stacks-4711/dashboards" in p for p in paths(cloud))


def test_faults_are_survived(grafana):
    grafana.state.faults.append(Fault("GET", f"{V1}/claude-code", "status", status=503))
    result = ccdash(grafana, "push")
    assert result.exit_code == 0, result.output  # the read is retried
    grafana.state.faults.append(Fault("POST", V1, "status", status=500))
    grafana.state.dashboards.pop("gemini-cli")
    result = ccdash(grafana, "push")
    assert result.exit_code == 3 and "failed" in result.output
    assert "gemini-cli" not in grafana.state.dashboards  # a POST is not retried blindly


def test_pull_over_the_resource_api_is_lossless(grafana, project):
    assert ccdash(grafana, "push", project=project).exit_code == 0
    result = ccdash(grafana, "pull", project=project)
    assert result.exit_code == 0, result.output
    pulled = json.loads((project / "out/pulled/claude-code.json").read_text())
    built = compile_project(load(project)).dashboard("claude-code").model
    assert pulled == normalise(built)
