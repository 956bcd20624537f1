"""The Kubernetes-style dashboard API (`/apis/dashboard.grafana.app/v1beta1|v1|v2`, Grafana 12+).

Grafana 13 deprecates the classic `/api/dashboards` in its favour. This
client answers in the classic shape (`{dashboard, meta}`), so planning,
drift and pull stay one code path, and keeps the same guarantees:

- ownership lives in the resource's own metadata, as Grafana's managed
  resources do: `grafana.app/managedBy` and `grafana.app/managerId: ccdash`,
  with `managerAllowsEdits` so a person may still edit in the UI, and the
  hash of what ccdash wrote in `grafana.app/sourceChecksum`; an edit in the
  UI changes the spec and so no longer matches it;
- every update carries the `metadata.resourceVersion` ccdash read, so a save
  made meanwhile answers 409 and is reported as a conflict, never overwritten;
- resources another manager owns (file provisioning, a plugin, a repository)
  are refused; a dashboard stored as v2 is never read as v1 and overwritten.
"""

from __future__ import annotations

import threading
from typing import Any

import requests

from ccdash.sync.client import (
    GrafanaClient,
    GrafanaError,
    SaveRefused,
    VersionConflict,
    error_message,
)
from ccdash.sync.normalize import MARKER, VOLATILE

GROUP = "dashboard.grafana.app"
# The versions that carry each schema, preferred first: Grafana 13 graduated
# v1beta1 to v1 (the classic JSON as spec) and serves v2 (dynamic dashboards).
VERSIONS = {"classic": ("v1", "v1beta1"), "v2": ("v2",)}
FOLDER = "grafana.app/folder"
MANAGED_BY = "grafana.app/managedBy"
MANAGER_ID = "grafana.app/managerId"
ALLOWS_EDITS = "grafana.app/managerAllowsEdits"
CHECKSUM = "grafana.app/sourceChecksum"
UPDATED_BY = "grafana.app/updatedBy"
MESSAGE = "grafana.app/message"
# Grafana's manager kinds are repo, terraform, kubectl and plugin; ccdash
# applies manifests as kubectl would and names itself in managerId.
OUR_KIND, OUR_ID = "kubectl", "ccdash"


def connect(
    url: str,
    session: requests.Session,
    timeout: float,
    api: str = "auto",
    org: int | None = None,
    schema: str = "classic",
) -> GrafanaClient:
    """The client for the API this Grafana offers: discovered unless `api` forces one.

    The v2 schema exists only as a resource, so it needs the resource API.
    """
    classic = GrafanaClient(url, session, timeout)
    if api == "classic":
        if schema == "v2":
            raise GrafanaError(
                "the v2 schema is stored only through the resource API: drop --api classic"
            )
        return classic
    status, data = classic._call("GET", f"/apis/{GROUP}")
    offered = {v.get("version") for v in data.get("versions", [])} if status == 200 else set()
    version = next((v for v in VERSIONS[schema] if v in offered), None)
    if version is None:
        if api == "resource" or schema == "v2":
            wanted = " or ".join(f"/apis/{GROUP}/{v}" for v in VERSIONS[schema])
            raise GrafanaError(
                f"Grafana at {url} does not serve {wanted} (HTTP {status}"
                f"{', offers ' + ', '.join(sorted(offered)) if offered else ''}); "
                + (
                    "v2 dashboards need Grafana 13: build the classic schema"
                    if schema == "v2"
                    else "it is older than 12 or the API is off: use --api classic"
                )
            )
        return classic
    return ResourceClient(url, session, timeout, _namespace(classic, org), version)


def _namespace(client: GrafanaClient, org: int | None) -> str:
    """`default` for org 1, `org-<id>` for others, `stacks-<id>` on Grafana Cloud: the
    frontend settings say which; without them, the on-prem rule."""
    status, data = client._call("GET", "/api/frontend/settings")
    if status == 200 and isinstance(data, dict) and isinstance(data.get("namespace"), str):
        return data["namespace"]
    return "default" if org in (None, 1) else f"org-{org}"


class ResourceClient(GrafanaClient):
    def __init__(
        self,
        url: str,
        session: requests.Session,
        timeout: float,
        namespace: str,
        version: str = "v1beta1",
    ) -> None:
        super().__init__(url, session, timeout)
        self.namespace = namespace
        self.version = version
        self.base = f"/apis/{GROUP}/{version}/namespaces/{namespace}/dashboards"
        self._read: dict[str, str] = {}  # uid -> resourceVersion last read
        self._lock = threading.Lock()

    def get_dashboard(self, uid: str) -> dict | None:
        status, data = self._call("GET", self._dashboard_path(uid))
        if status == 404:
            return None
        self._expect(status, data, f"read dashboard {uid}")
        if not isinstance(data, dict) or not isinstance(data.get("metadata"), dict):
            raise GrafanaError(
                f"Grafana at {self.url} answered the dashboard {uid} without metadata"
            )
        meta_in = data["metadata"]
        annotations = meta_in.get("annotations") or {}
        with self._lock:
            self._read[uid] = str(meta_in.get("resourceVersion", ""))
        dashboard = {**(data.get("spec") or {}), "uid": uid}
        meta: dict[str, Any] = {
            "version": meta_in.get("generation"),
            "folderUid": annotations.get(FOLDER, ""),
            "updatedBy": annotations.get(UPDATED_BY, "").removeprefix("user:"),
            "updated": annotations.get("grafana.app/updatedTimestamp", ""),
            "provisioned": False,
        }
        conversion = (data.get("status") or {}).get("conversion") or {}
        stored = str(conversion.get("storedVersion") or self.version)
        if conversion.get("failed") or (stored.startswith("v2") and self.version.startswith("v1")):
            meta["unreadable"] = (
                f"stored in Grafana as a {stored} dashboard (saved as v2 in the UI?); "
                f"reading it as {self.version} would lose it, so ccdash leaves it alone"
            )
        elif stored[:2] != self.version[:2]:
            # Converted on read: what ccdash compares is Grafana's conversion, not what it wrote.
            meta["converted"] = (
                f"stored in Grafana as {stored}, not the {self.version} ccdash pushes; "
                "saving replaces it in the new schema: use --force"
            )
        kind, manager = annotations.get(MANAGED_BY), annotations.get(MANAGER_ID)
        if (kind, manager) == (OUR_KIND, OUR_ID):
            # Planning compares this with the live spec: equal unless edited since.
            dashboard[MARKER] = {"version": meta["version"], "hash": annotations.get(CHECKSUM)}
        elif kind:
            meta["provisioned"] = kind == "classic-file-provisioning"
            meta["managedBy"] = f"{kind} {manager or ''}".strip()
        return {"dashboard": dashboard, "meta": meta}

    def save_dashboard(self, dashboard: dict, folder_uid: str, message: str) -> dict:
        uid = dashboard["uid"]
        marker = dashboard.get(MARKER) or {}
        spec = {k: v for k, v in dashboard.items() if k not in (*VOLATILE, MARKER, "uid")}
        metadata: dict[str, Any] = {
            "name": uid,
            "annotations": {
                FOLDER: folder_uid,
                MANAGED_BY: OUR_KIND,
                MANAGER_ID: OUR_ID,
                ALLOWS_EDITS: "true",
                CHECKSUM: marker.get("hash", ""),
                MESSAGE: message[:500],
            },
        }
        with self._lock:
            seen = self._read.get(uid)
        body = {
            "apiVersion": f"{GROUP}/{self.version}",
            "kind": "Dashboard",
            "metadata": metadata,
            "spec": spec,
        }
        if seen is None:
            status, data = self._call("POST", self.base, body)
        else:
            metadata["resourceVersion"] = seen
            status, data = self._call("PUT", self._dashboard_path(uid), body)
        if status == 409:
            raise VersionConflict(f"{uid}: HTTP 409 {error_message(data)}")
        if status == 403 and "managed" in error_message(data):
            raise SaveRefused(f"{uid}: {error_message(data)}")
        self._expect(status, data, f"save dashboard {uid}")
        return data

    def document(self, model: dict) -> dict:
        if self.version.startswith("v2"):
            from ccdash.build import v2

            return {**v2.spec(model, model["uid"]), "uid": model["uid"]}
        return model

    def _dashboard_path(self, uid: str) -> str:
        return f"{self.base}/{uid}"
