"""The emulator rejects what Grafana rejects: the sync's tests are only as good as this."""

from __future__ import annotations

import pytest
import requests

from devtools.grafana_emulator import GrafanaEmulator

TOKEN = "emulator-token"


@pytest.fixture
def api():
    with GrafanaEmulator(TOKEN) as grafana:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"

        def call(method, path, body=None, token=None, **params):
            headers = {"Authorization": f"Bearer {token}"} if token else None
            r = session.request(
                method, grafana.url + path, json=body, params=params, headers=headers, timeout=5
            )
            return r.status_code, r.json()

        call.state = grafana.state
        yield call


def save(api, dashboard, **extra):
    return api("POST", "/api/dashboards/db", {"dashboard": dashboard, **extra})


def test_auth(api):
    assert api("GET", "/api/health")[0] == 200  # no login needed
    assert api("GET", "/api/search", token="wrong")[0] == 401
    status, body = api(
        "POST",
        "/api/dashboards/db",
        {"dashboard": {"uid": "a", "title": "A"}},
        token="viewer-token",
    )
    # Grafana's RBAC refusal names the permission and carries an id for its log.
    assert status == 403 and body["title"] == "Access denied"
    assert body["accessErrorId"].startswith("ACE")
    assert "Permissions needed: dashboards:write" in body["message"]


def test_validation(api):
    assert save(api, {"uid": "a", "title": "  "})[1]["status"] == "empty-name"
    status, body = save(api, {"uid": "has space", "title": "A"})
    assert status == 400 and "status" not in body  # Grafana's bad-uid answer has none
    assert save(api, {"uid": "x" * 41, "title": "A"})[0] == 400
    assert save(api, {"uid": "a", "title": "A"}, folderUid="nope")[0] == 400
    assert save(api, {"uid": "a", "title": "A"}, message="m" * 501)[0] == 400


def test_versions_412_and_overwrite(api):
    status, body = save(api, {"uid": "a", "title": " A "})
    assert (status, body["version"]) == (200, 1)
    assert api("GET", "/api/dashboards/uid/a")[1]["dashboard"]["title"] == "A"  # trimmed
    assert save(api, {"uid": "a", "title": "A", "version": 1})[1]["version"] == 2
    status, body = save(api, {"uid": "a", "title": "A", "version": 1})
    assert (status, body["status"]) == (412, "version-mismatch")
    assert save(api, {"uid": "a", "title": "A", "version": 1}, overwrite=True)[1]["version"] == 3
    # Every save adds a version, even without changes.
    assert save(api, {"uid": "a", "title": "A", "version": 3})[1]["version"] == 4


def test_provisioned_dashboards_refuse_saves_and_deletes(api):
    api.state.provision({"uid": "p", "title": "P"})
    status, body = save(api, {"uid": "p", "title": "P", "version": 1})
    assert (status, body["message"]) == (400, "Cannot save provisioned dashboard")
    assert api("DELETE", "/api/dashboards/uid/p")[0] == 400
    assert api("GET", "/api/dashboards/uid/p")[1]["meta"]["provisioned"] is True


def test_folders(api):
    assert api("POST", "/api/folders", {"uid": "f", "title": "F"})[0] == 200
    assert api("POST", "/api/folders", {"uid": "f", "title": "Other"})[0] == 409
    # Since 11.3 titles repeat: a second "F" beside the first is allowed.
    assert api("POST", "/api/folders", {"uid": "g", "title": "F"})[0] == 200
    status, body = api("POST", "/api/folders", {"uid": "c", "title": "C", "parentUid": "nope"})
    assert (status, body["status"]) == (404, "not-found")
    assert api("POST", "/api/folders", {"uid": "c", "title": "C", "parentUid": "f"})[0] == 200
    assert api("GET", "/api/folders/c")[1]["parentUid"] == "f"
    assert api("GET", "/api/folders/zzz")[0] == 404
    assert [f["uid"] for f in api("GET", "/api/folders")[1]] == ["f", "g"]  # the root's
    assert [f["uid"] for f in api("GET", "/api/folders", parentUid="f")[1]] == ["c"]


def test_before_11_3_titles_are_unique_per_folder():
    with GrafanaEmulator(TOKEN, version="11.2.0") as grafana:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"

        def post(path, body):
            r = session.post(grafana.url + path, json=body, timeout=5)
            return r.status_code, r.json()

        assert post("/api/folders", {"uid": "f", "title": "F"})[0] == 200
        assert post("/api/folders", {"uid": "g", "title": "F"})[0] == 409
        assert post("/api/dashboards/db", {"dashboard": {"uid": "a", "title": "A"}})[0] == 200
        status, body = post("/api/dashboards/db", {"dashboard": {"uid": "b", "title": "A"}})
        assert (status, body["status"]) == (412, "name-exists")


def test_unified_storage_answers_a_stale_save_with_409():
    with GrafanaEmulator(TOKEN, unified_storage=True) as grafana:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        url = grafana.url + "/api/dashboards/db"
        assert session.post(url, json={"dashboard": {"uid": "a", "title": "A"}}).status_code == 200
        stale = session.post(url, json={"dashboard": {"uid": "a", "title": "A", "version": 7}})
        assert stale.status_code == 409 and "has been modified" in stale.json()["message"]


def test_plugin_dashboards_refuse_saves_without_overwrite(api):
    api.state.install_plugin_dashboard({"uid": "p", "title": "P"}, "grafana-x-app")
    status, body = save(api, {"uid": "p", "title": "P", "version": 1})
    assert (status, body["status"]) == (412, "plugin-dashboard")


def test_search_pages_and_tags(api):
    for i in range(5):
        save(api, {"uid": f"d{i}", "title": f"D{i}", "tags": ["ccdash"] if i % 2 else []})
    assert [h["uid"] for h in api("GET", "/api/search", tag="ccdash")[1]] == ["d1", "d3"]
    pages = [api("GET", "/api/search", limit=2, page=p)[1] for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert api("GET", "/api/dashboards/uid/missing")[0] == 404
    assert api("GET", "/api/search", limit=5001)[0] == 422
