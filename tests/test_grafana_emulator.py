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
    assert (status, body["message"]) == (403, "Access denied to save dashboard")


def test_validation(api):
    assert save(api, {"uid": "a", "title": "  "})[1]["status"] == "empty-name"
    assert save(api, {"uid": "has space", "title": "A"})[0] == 400
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
    assert api("POST", "/api/folders", {"uid": "g", "title": "F"})[0] == 409
    assert api("POST", "/api/folders", {"uid": "c", "title": "C", "parentUid": "nope"})[0] == 400
    assert api("POST", "/api/folders", {"uid": "c", "title": "C", "parentUid": "f"})[0] == 200
    assert api("GET", "/api/folders/c")[1]["parentUid"] == "f"
    assert api("GET", "/api/folders/zzz")[0] == 404


def test_search_pages_and_tags(api):
    for i in range(5):
        save(api, {"uid": f"d{i}", "title": f"D{i}", "tags": ["ccdash"] if i % 2 else []})
    assert [h["uid"] for h in api("GET", "/api/search", tag="ccdash")[1]] == ["d1", "d3"]
    pages = [api("GET", "/api/search", limit=2, page=p)[1] for p in (1, 2, 3)]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert api("GET", "/api/dashboards/uid/missing")[0] == 404
