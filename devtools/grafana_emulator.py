"""A strict emulator of the Grafana HTTP API endpoints ccdash uses, over real HTTP on loopback.

No Grafana server can be installed here, so the sync is tested against this:
it implements the documented contract (https://grafana.com/docs/grafana/latest/
developer-resources/api-reference/http-api/dashboard/ and folder/)
and rejects what Grafana rejects: bad credentials (401), viewers saving
(403 with Grafana's RBAC body), missing or invalid uid/title (400), stale
versions (412 version-mismatch, or 409 where Grafana saves through its
Kubernetes-style storage), unknown folders (400; 404 not-found for a missing
parent folder), duplicate folder uids (409; titles may repeat since 11.3),
saves of provisioned dashboards (400) and of plugin dashboards (412
plugin-dashboard), title clashes before 11.3 (412 name-exists), search
limits above 5000 (422). Faults can be injected per request path.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from devtools import grafana_resources as resources

UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass
class Stored:
    dashboard: dict[str, Any]
    folder_uid: str
    version: int
    id: int
    updated_by: str
    updated: str
    provisioned: bool = False
    versions: list[dict] = field(default_factory=list)
    plugin_id: str = ""  # a dashboard a plugin installed
    # The resource view of the same row (Grafana 12+ serves both APIs on one storage).
    annotations: dict[str, str] = field(default_factory=dict)
    stored_version: str = "v1beta1"  # "v2beta1": saved as a v2 (dynamic) dashboard
    resource_version: int = 1


@dataclass
class Fault:
    """Fail the next `times` requests whose method and path match."""

    method: str
    path: str
    kind: str  # "status", "slow", "reset", "html", "edit"
    status: int = 500
    retry_after: int | None = None
    delay: float = 0.0
    times: int = 1


class GrafanaState:
    def __init__(
        self,
        token: str,
        viewer_token: str = "viewer-token",
        version: str = "12.3.0",
        unified_storage: bool = False,
        resource_api: bool = False,
        namespace: str = "default",
        converter: Callable[[dict], dict] | None = None,
    ) -> None:
        self.token = token
        # What /api/health reports; before 11.3 titles are unique per folder.
        self.version = version
        # Saves go through the Kubernetes-style storage (Grafana 12.x with
        # kubernetesDashboards, 13): a stale version is then a 409.
        self.unified_storage = unified_storage
        # /apis/dashboard.grafana.app (Grafana 12+), in this namespace
        # (`default` for org 1 on-prem, `stacks-<id>` on Grafana Cloud).
        self.resource_api = resource_api
        self.namespace = namespace
        # Grafana converts a classic dashboard read through v2; the emulator
        # converts only with the function a test gives it, else fails the read.
        self.converter = converter
        self.resource_counter = 1
        self.viewer_token = viewer_token
        self.dashboards: dict[str, Stored] = {}
        self.folders: dict[str, dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        self.latency = 0.0
        self.next_id = 1
        self.lock = threading.Lock()

    # --- helpers used by tests -------------------------------------------

    def provision(self, dashboard: dict, folder_uid: str = "") -> None:
        """A dashboard loaded from files (the sidecar): the API refuses to save it."""
        self._store(copy.deepcopy(dashboard), folder_uid, "provisioner", provisioned=True)

    def install_plugin_dashboard(self, dashboard: dict, plugin_id: str) -> None:
        """A dashboard a plugin ships: saves without overwrite get 412 plugin-dashboard."""
        self._store(copy.deepcopy(dashboard), "", "plugin").plugin_id = plugin_id

    def add_folder(self, uid: str, title: str, parent_uid: str | None = None) -> None:
        """A folder made by hand (or provisioned) with a uid ccdash did not choose."""
        self.folders[uid] = {"uid": uid, "title": title, "parentUid": parent_uid, "version": 1}

    def ui_edit(self, uid: str, change) -> None:
        """A person saves the dashboard in the UI (which drops keys it does not know)."""
        with self.lock:
            stored = self.dashboards[uid]
            dashboard = copy.deepcopy(stored.dashboard)
            change(dashboard)
            dashboard.pop("ccdash", None)
            schema = stored.stored_version  # the UI saves in the schema it loaded
            self._save(stored, dashboard, stored.folder_uid, "alice")
            stored.stored_version = schema

    def ui_save_as_v2(self, uid: str, spec: dict) -> None:
        """A person saves the dashboard in the UI as a v2 (dynamic) dashboard."""
        with self.lock:
            stored = self.dashboards[uid]
            self._save(stored, {**copy.deepcopy(spec), "uid": uid}, stored.folder_uid, "alice")
            stored.stored_version = "v2" if "v2" in resources.versions(self) else "v2beta1"

    def writes(self) -> int:
        return sum(1 for method, path in self.requests if method in ("POST", "PUT"))

    # --- storage -----------------------------------------------------------

    def _store(self, dashboard: dict, folder_uid: str, user: str, provisioned=False) -> Stored:
        dashboard["version"] = 1
        dashboard["id"] = self.next_id
        stored = Stored(dashboard, folder_uid, 1, self.next_id, user, _now(), provisioned)
        stored.versions.append({"version": 1, "createdBy": user})
        self.next_id += 1
        self.dashboards[dashboard["uid"]] = stored
        return stored

    def _save(self, stored: Stored, dashboard: dict, folder_uid: str, user: str) -> None:
        stored.version += 1
        dashboard["version"] = stored.version
        dashboard["id"] = stored.id
        stored.dashboard = dashboard
        stored.folder_uid = folder_uid
        stored.updated_by = user
        stored.updated = _now()
        stored.stored_version = "v1beta1"
        self.resource_counter += 1
        stored.resource_version = self.resource_counter
        stored.versions.append({"version": stored.version, "createdBy": user})


def _version(text: str) -> tuple[int, int]:
    major, minor, *_ = (int(part) for part in [*re.findall(r"\d+", text)[:2], "0", "0"])
    return major, minor


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Handler(BaseHTTPRequestHandler):
    state: GrafanaState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # As Go's net/http (Grafana) does: without it, headers and body leave in two
        # segments and delayed ACKs add ~40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # --- plumbing -----------------------------------------------------------

    def _send(self, status: int, body: Any, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _user(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth == f"Bearer {self.state.token}":
            return "admin"
        if auth == f"Bearer {self.state.viewer_token}":
            return "viewer"
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            if (user, password) == ("admin", self.state.token):
                return "admin"
        return None

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            return None

    def _fault(self, method: str, path: str) -> bool:
        """Apply an injected fault; True if the request was answered (or dropped) by it."""
        with self.state.lock:
            fault = next(
                (
                    f
                    for f in self.state.faults
                    if f.method == method and path.startswith(f.path) and f.times > 0
                ),
                None,
            )
            if fault:
                fault.times -= 1
        if fault is None:
            return False
        if fault.kind == "slow":
            time.sleep(fault.delay)
            return False
        if fault.kind == "reset":
            self.close_connection = True
            self.connection.shutdown(2)
            return True
        if fault.kind == "html":
            data = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
            self.send_response(fault.status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return True
        if fault.kind == "edit":
            # Someone saves in the UI between ccdash's GET and this request.
            uid = path.rsplit("/", 1)[-1] if "/uid/" in path else self._peek_uid()
            self.state.ui_edit(uid, lambda d: d.update(title=d["title"] + " (edited)"))
            return False
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else None
        self._send(fault.status, {"message": f"injected {fault.status}"}, headers)
        return True

    def _peek_uid(self) -> str:
        return getattr(self, "_peeked_uid", "")

    def _route(self, method: str) -> None:
        url = urlparse(self.path)
        path = url.path
        self.state.requests.append((method, path))
        if self.state.latency:
            time.sleep(self.state.latency)
        body = self._body() if method in ("POST", "PUT") else None
        if method == "PUT" and isinstance(body, dict):
            self._peeked_uid = (body.get("metadata") or {}).get("name", "")
        if method == "POST" and isinstance(body, dict):
            self._peeked_uid = (body.get("dashboard") or {}).get("uid", "")
        if self._fault(method, path):
            return
        if path == "/api/health":
            return self._send(
                200, {"database": "ok", "version": self.state.version, "commit": "abc"}
            )
        user = self._user()
        if user is None:
            return self._send(401, {"message": "Unauthorized"})
        if body is None and method in ("POST", "PUT"):
            return self._send(400, {"message": "bad request data"})
        with self.state.lock:
            self._dispatch(method, path, parse_qs(url.query), body, user)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_DELETE(self) -> None:
        self._route("DELETE")

    # --- endpoints ------------------------------------------------------------

    def _dispatch(self, method: str, path: str, query: dict, body: Any, user: str) -> None:
        state = self.state
        if path.startswith("/apis/") or path == "/api/frontend/settings":
            return resources.dispatch(self, method, path, body, user)
        if method == "POST" and path == "/api/dashboards/db":
            return self._save_dashboard(body, user)
        match = re.fullmatch(r"/api/dashboards/uid/([^/]+)", path)
        if match and method == "GET":
            stored = state.dashboards.get(match.group(1))
            if stored is None:
                return self._send(404, {"message": "Dashboard not found"})
            if stored.stored_version.startswith("v2"):
                return self._send(
                    406,
                    {
                        "message": resources.V2_ON_CLASSIC.format(
                            version=stored.stored_version,
                            namespace=state.namespace,
                            uid=match.group(1),
                        )
                    },
                )
            folder = state.folders.get(stored.folder_uid, {})
            return self._send(
                200,
                {
                    "dashboard": stored.dashboard,
                    "meta": {
                        "version": stored.version,
                        "updated": stored.updated,
                        "updatedBy": stored.updated_by,
                        "folderUid": stored.folder_uid,
                        "folderTitle": folder.get("title", "General"),
                        "provisioned": stored.provisioned,
                        "canSave": user == "admin",
                        "url": f"/d/{stored.dashboard['uid']}",
                        "slug": "x",
                    },
                },
            )
        if match and method == "DELETE":
            if user != "admin":
                return self._denied("dashboards:delete")
            stored = state.dashboards.get(match.group(1))
            if stored is None:
                return self._send(404, {"message": "Dashboard not found"})
            if stored.provisioned:
                return self._send(400, {"message": "provisioned dashboard cannot be deleted"})
            del state.dashboards[match.group(1)]
            return self._send(200, {"title": stored.dashboard["title"], "message": "deleted"})
        if method == "GET" and path == "/api/search":
            return self._search(query)
        if method == "GET" and path == "/api/folders":
            return self._list_folders(query)
        match = re.fullmatch(r"/api/folders/([^/]+)", path)
        if match and method == "GET":
            folder = state.folders.get(match.group(1))
            if folder is None:
                return self._send(404, {"message": "folder not found"})
            return self._send(200, folder)
        if method == "POST" and path == "/api/folders":
            return self._create_folder(body, user)
        return self._send(404, {"message": "Not found"})

    def _denied(self, permission: str) -> None:
        """Grafana's RBAC refusal (pkg/api/accesscontrol): a title, an id to find in its log."""
        return self._send(
            403,
            {
                "accessErrorId": f"ACE{abs(hash(permission)) % 10**10:010d}",
                "message": "You'll need additional permissions to perform this action. "
                f"Permissions needed: {permission}",
                "title": "Access denied",
            },
        )

    def _save_dashboard(self, body: dict, user: str) -> None:
        state = self.state
        if user != "admin":
            return self._denied("dashboards:write")
        dashboard = body.get("dashboard")
        if not isinstance(dashboard, dict):
            return self._send(400, {"message": "bad request data"})
        if resources.is_v2_spec(dashboard):
            return self._send(
                400, {"message": "dashboard v2 spec is not supported by /api/dashboards/db"}
            )
        if len(body.get("message") or "") > 500:
            return self._send(400, {"message": "message too long"})
        title = str(dashboard.get("title") or "").strip()
        if not title:
            return self._send(
                400, {"status": "empty-name", "message": "Dashboard title cannot be empty"}
            )
        uid = dashboard.get("uid")
        if not uid or not UID_RE.match(str(uid)):
            return self._send(400, {"message": "uid contains illegal characters"})
        folder_uid = body.get("folderUid") or ""
        if folder_uid and folder_uid not in state.folders:
            return self._send(400, {"message": "folder not found"})
        dashboard = copy.deepcopy(dashboard)
        dashboard["title"] = title
        stored = state.dashboards.get(uid)
        if _version(state.version) < (11, 3) and any(
            other.dashboard["title"] == title and other.folder_uid == folder_uid
            for other_uid, other in state.dashboards.items()
            if other_uid != uid
        ):
            return self._send(
                412,
                {
                    "status": "name-exists",
                    "message": "A dashboard with the same name in the folder already exists",
                },
            )
        if stored is None:
            stored = state._store(dashboard, folder_uid, user)
        else:
            if stored.provisioned:
                return self._send(400, {"message": "Cannot save provisioned dashboard"})
            if stored.plugin_id and not body.get("overwrite"):
                return self._send(
                    412,
                    {
                        "status": "plugin-dashboard",
                        "message": f"The dashboard belongs to plugin {stored.plugin_id}.",
                    },
                )
            stale = dashboard.get("version") != stored.version
            if stale and not body.get("overwrite") and state.unified_storage:
                return self._send(
                    409,
                    {
                        "message": "Operation cannot be fulfilled on dashboards.dashboard."
                        f'grafana.app "{uid}": the object has been modified; please apply '
                        "your changes to the latest version and try again"
                    },
                )
            if stale and not body.get("overwrite"):
                return self._send(
                    412,
                    {
                        "status": "version-mismatch",
                        "message": "The dashboard has been changed by someone else",
                    },
                )
            state._save(stored, dashboard, folder_uid, user)
        return self._send(
            200,
            {
                "status": "success",
                "id": stored.id,
                "uid": uid,
                "url": f"/d/{uid}",
                "version": stored.version,
                "slug": "x",
                "folderUid": folder_uid,
            },
        )

    def _search(self, query: dict) -> None:
        tags = query.get("tag", [])
        limit = int(query.get("limit", ["1000"])[0])
        if limit > 5000:
            return self._send(422, {"message": "limit must be less than or equal to 5000"})
        page = int(query.get("page", ["1"])[0])
        hits = [
            {
                "uid": uid,
                "title": s.dashboard["title"],
                "url": f"/d/{uid}",
                "type": "dash-db",
                "tags": s.dashboard.get("tags", []),
                "folderUid": s.folder_uid,
            }
            for uid, s in sorted(self.state.dashboards.items())
            if all(t in s.dashboard.get("tags", []) for t in tags)
        ]
        return self._send(200, hits[(page - 1) * limit : page * limit])

    def _list_folders(self, query: dict) -> None:
        """The folders directly inside `parentUid` (the root without it), paged."""
        parent = query.get("parentUid", [None])[0] or None
        limit = int(query.get("limit", ["1000"])[0])
        page = int(query.get("page", ["1"])[0])
        children = [
            {"uid": u, "title": f["title"], **({"parentUid": parent} if parent else {})}
            for u, f in sorted(self.state.folders.items())
            if (f.get("parentUid") or None) == parent
        ]
        return self._send(200, children[(page - 1) * limit : page * limit])

    def _create_folder(self, body: dict, user: str) -> None:
        if user != "admin":
            return self._denied("folders:create")
        uid, title = body.get("uid"), str(body.get("title") or "").strip()
        if not title:
            return self._send(400, {"message": "folder title cannot be empty"})
        if uid in self.state.folders:
            return self._send(409, {"message": "a folder with the same uid already exists"})
        parent = body.get("parentUid")
        if parent and parent not in self.state.folders:
            return self._send(404, {"status": "not-found", "message": "folder not found"})
        # Since 11.3 a title may repeat, even beside a folder of the same parent.
        if _version(self.state.version) < (11, 3) and any(
            f["title"] == title and f.get("parentUid") == parent
            for f in self.state.folders.values()
        ):
            return self._send(409, {"message": "a folder with the same name already exists"})
        folder = {"uid": uid, "title": title, "parentUid": parent, "version": 1}
        self.state.folders[uid] = folder
        return self._send(200, folder)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """Clients that time out and hang up are part of the tests, not errors."""


class GrafanaEmulator:
    """Context manager: a ThreadingHTTPServer on a free loopback port."""

    def __init__(self, token: str = "glsa_emulator_secret_token", **state) -> None:
        self.state = GrafanaState(token, **state)
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        self.server = QuietServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> GrafanaEmulator:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
