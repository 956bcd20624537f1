"""The emulator's Kubernetes-style dashboard API: `/apis/dashboard.grafana.app/...` (Grafana 12+).

Served over the emulator's one storage, as Grafana serves both APIs from one:
a classic save shows up here with a new resourceVersion and generation, and
a dashboard saved as v2 is refused by the classic read (406). Errors are
Kubernetes `Status` objects; an update with a stale `metadata.resourceVersion`
is 409 Conflict, a create of an existing name 409 AlreadyExists, a write to a
resource another manager owns (file provisioning, a plugin) 403. A read
through a version the dashboard is not stored in reports
`status.conversion.failed` with the stored version, as Grafana does when it
cannot convert.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devtools.grafana_emulator import Handler, Stored

GROUP = "dashboard.grafana.app"
# Grafana 12 serves v1beta1 and v2beta1; 13 adds v1 (v1beta1 graduated, the
# same classic spec) and v2, the stable dynamic-dashboard schema.
VERSIONS_12 = ("v1beta1", "v2beta1")
VERSIONS_13 = ("v1", "v1beta1", "v2", "v2beta1")
FOLDER = "grafana.app/folder"
MANAGED_BY = "grafana.app/managedBy"
MANAGER_ID = "grafana.app/managerId"
UPDATED_BY = "grafana.app/updatedBy"
V2_ON_CLASSIC = (
    "dashboard api version not supported, use "
    "/apis/dashboard.grafana.app/{version}/namespaces/{namespace}/dashboards/{uid} instead"
)
# Kept by the server, not taken from a client's body.
SERVER_ANNOTATIONS = (UPDATED_BY,)


def is_v2_spec(spec: dict[str, Any]) -> bool:
    """A v2 (dynamic) dashboard: elements and a layout instead of panels."""
    return "elements" in spec and "layout" in spec


def versions(state) -> tuple[str, ...]:
    return VERSIONS_13 if int(state.version.split(".")[0]) >= 13 else VERSIONS_12


def same_schema(stored: str, read: str) -> bool:
    """v1 and v1beta1 carry the same spec; any other pair needs a conversion."""
    return stored == read or (stored.startswith("v1") and read.startswith("v1"))


V2_REQUIRED = ("annotations", "cursorSync", "elements", "layout", "links", "preload", "tags",
               "timeSettings", "title", "variables")  # fmt: skip


def v2_problems(spec: dict[str, Any]) -> list[str]:
    """What Grafana's v2 schema validation would reject: missing fields, kinds, references."""
    problems = [f"spec.{key}: Required value" for key in V2_REQUIRED if key not in spec]
    elements = spec.get("elements") if isinstance(spec.get("elements"), dict) else {}
    for name, element in elements.items():
        kind = element.get("kind") if isinstance(element, dict) else None
        if kind not in ("Panel", "LibraryPanel"):
            problems.append(f"spec.elements.{name}.kind: Unsupported value {kind!r}")
            continue
        if kind == "LibraryPanel":
            continue
        panel = element.get("spec") or {}
        if (panel.get("data") or {}).get("kind") != "QueryGroup":
            problems.append(f"spec.elements.{name}.spec.data.kind: must be QueryGroup")
        if (panel.get("vizConfig") or {}).get("kind") != "VizConfig":
            problems.append(f"spec.elements.{name}.spec.vizConfig.kind: must be VizConfig")
        for i, query in enumerate(((panel.get("data") or {}).get("spec") or {}).get("queries", [])):
            inner = (query.get("spec") or {}).get("query") or {}
            if query.get("kind") != "PanelQuery" or inner.get("kind") != "DataQuery":
                problems.append(
                    f"spec.elements.{name}.spec.data.spec.queries[{i}]: not a PanelQuery"
                )
            elif not inner.get("group"):
                problems.append(
                    f"spec.elements.{name}.spec.data.spec.queries[{i}].query.group: Required value"
                )
    referenced = list(_references(spec.get("layout")))
    problems += [
        f"spec.layout: element {n!r} is not in spec.elements"
        for n in referenced
        if n not in elements
    ]
    problems += [
        f"spec.elements.{n}: not placed in spec.layout" for n in elements if n not in referenced
    ]
    return problems


def _references(node: Any):
    if isinstance(node, dict):
        if node.get("kind") == "ElementReference":
            yield node.get("name")
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def dispatch(handler: Handler, method: str, path: str, body: Any, user: str) -> None:
    state = handler.state
    if path == "/api/frontend/settings":
        return handler._send(200, {"namespace": state.namespace, "buildInfo": {}})
    if not state.resource_api:
        return handler._send(404, {"message": "Not found"})
    if path == f"/apis/{GROUP}":
        offered = [{"groupVersion": f"{GROUP}/{v}", "version": v} for v in versions(state)]
        return handler._send(
            200,
            {
                "kind": "APIGroup",
                "apiVersion": "v1",
                "name": GROUP,
                "versions": offered,
                "preferredVersion": offered[0],
            },
        )
    match = re.fullmatch(
        rf"/apis/{re.escape(GROUP)}/([^/]+)/namespaces/([^/]+)/dashboards(?:/([^/]+))?", path
    )
    if not match or match.group(1) not in versions(state):
        return _status(handler, 404, "NotFound", "the server could not find the requested resource")
    version, namespace, name = match.groups()
    if namespace != state.namespace:
        return _status(handler, 404, "NotFound", f'namespace "{namespace}" not found')
    if method != "GET" and user != "admin":
        return _status(
            handler, 403, "Forbidden", f'dashboards.{GROUP} "{name or ""}" is forbidden', name
        )
    if method == "GET" and name:
        stored = state.dashboards.get(name)
        if stored is None:
            return _status(handler, 404, "NotFound", f'dashboards.{GROUP} "{name}" not found', name)
        return handler._send(200, _object(state, stored, version))
    if method == "POST" and not name:
        return _create(handler, version, body, user)
    if method == "PUT" and name:
        return _update(handler, version, name, body, user)
    if method == "DELETE" and name:
        stored = state.dashboards.get(name)
        if stored is None:
            return _status(handler, 404, "NotFound", f'dashboards.{GROUP} "{name}" not found', name)
        if _manager(stored):
            return _status(handler, 403, "Forbidden", _managed_message(stored), name)
        del state.dashboards[name]
        return _status(handler, 200, "", "deleted", name, status="Success")
    return _status(handler, 405, "MethodNotAllowed", f"{method} is not allowed here")


def _object(state, stored: Stored, version: str) -> dict[str, Any]:
    annotations = {
        **stored.annotations,
        FOLDER: stored.folder_uid,
        UPDATED_BY: f"user:{stored.updated_by}",
        **_manager(stored),
    }
    spec = {k: v for k, v in stored.dashboard.items() if k not in ("id", "uid", "version")}
    status: dict[str, Any] = {}
    if not same_schema(stored.stored_version, version):
        upgrade = stored.stored_version.startswith("v1") and version.startswith("v2")
        conversion = {"storedVersion": stored.stored_version, "failed": True}
        if upgrade and state.converter is not None:
            spec = state.converter({**spec, "uid": stored.dashboard["uid"]})
            conversion["failed"] = False
        else:  # a strict stand-in for a conversion that failed
            conversion["error"] = f"cannot convert a {stored.stored_version} dashboard to {version}"
            spec = {"title": stored.dashboard.get("title", "")}
        status = {"conversion": conversion}
    return {
        "apiVersion": f"{GROUP}/{version}",
        "kind": "Dashboard",
        "metadata": {
            "name": stored.dashboard["uid"],
            "namespace": state.namespace,
            "uid": f"k8s-{stored.id:08d}",
            "resourceVersion": str(stored.resource_version),
            "generation": stored.version,
            "creationTimestamp": stored.updated,
            "annotations": {k: v for k, v in annotations.items() if v},
        },
        "spec": copy.deepcopy(spec),
        "status": status,
    }


def _manager(stored: Stored) -> dict[str, str]:
    if stored.provisioned:
        return {MANAGED_BY: "classic-file-provisioning", MANAGER_ID: "sidecar"}
    if stored.plugin_id:
        return {MANAGED_BY: "plugin", MANAGER_ID: stored.plugin_id}
    return {}


def _managed_message(stored: Stored) -> str:
    kind = _manager(stored)[MANAGED_BY]
    return f"this dashboard is managed by {kind}; it cannot be changed through this API"


def _invalid(handler: Handler, version: str, body: Any, name: str | None) -> bool:
    """Answer 400/422 for a body Grafana would not accept; True when it did."""
    if not isinstance(body, dict) or not isinstance(body.get("spec"), dict):
        _status(handler, 400, "BadRequest", "the body must be a Dashboard object with a spec")
        return True
    meta = body.get("metadata") or {}
    if body.get("apiVersion") != f"{GROUP}/{version}" or body.get("kind") != "Dashboard":
        _status(
            handler, 400, "BadRequest", f"expected apiVersion {GROUP}/{version}, kind Dashboard"
        )
        return True
    if name is not None and meta.get("name") != name:
        _status(handler, 400, "BadRequest", "metadata.name does not match the URL", name)
        return True
    spec = body["spec"]
    if version.startswith("v2") != is_v2_spec(spec):
        _status(handler, 400, "BadRequest", f"spec is not a {version} dashboard spec", name)
        return True
    if not str(spec.get("title") or "").strip():
        _status(handler, 422, "Invalid", "spec.title: Required value", name)
        return True
    if version.startswith("v2") and (problems := v2_problems(spec)):
        _status(handler, 422, "Invalid", "; ".join(problems[:5]), name)
        return True
    folder = (meta.get("annotations") or {}).get(FOLDER, "")
    if folder and folder not in handler.state.folders:
        _status(handler, 400, "BadRequest", f"folder {folder!r} not found", name)
        return True
    return False


def _create(handler: Handler, version: str, body: Any, user: str) -> None:
    state = handler.state
    if _invalid(handler, version, body, None):
        return None
    meta = body["metadata"]
    name = meta.get("name", "")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):
        return _status(handler, 422, "Invalid", "metadata.name: Invalid value", name)
    if name in state.dashboards:
        return _status(
            handler, 409, "AlreadyExists", f'dashboards.{GROUP} "{name}" already exists', name
        )
    annotations = dict(meta.get("annotations") or {})
    folder = annotations.pop(FOLDER, "")
    dashboard = {**copy.deepcopy(body["spec"]), "uid": name}
    stored = state._store(dashboard, folder, user)
    stored.annotations = _client_annotations(annotations)
    stored.stored_version = version
    state.resource_counter += 1
    stored.resource_version = state.resource_counter
    return handler._send(201, _object(state, stored, version))


def _update(handler: Handler, version: str, name: str, body: Any, user: str) -> None:
    state = handler.state
    stored = state.dashboards.get(name)
    if stored is None:
        return _status(handler, 404, "NotFound", f'dashboards.{GROUP} "{name}" not found', name)
    if _invalid(handler, version, body, name):
        return None
    if _manager(stored):
        return _status(handler, 403, "Forbidden", _managed_message(stored), name)
    meta = body["metadata"]
    wanted = meta.get("resourceVersion")
    if wanted and wanted != str(stored.resource_version):
        return _status(
            handler,
            409,
            "Conflict",
            f'Operation cannot be fulfilled on dashboards.{GROUP} "{name}": the object has '
            "been modified; please apply your changes to the latest version and try again",
            name,
        )
    annotations = dict(meta.get("annotations") or {})
    folder = annotations.pop(FOLDER, "")
    state._save(stored, {**copy.deepcopy(body["spec"]), "uid": name}, folder, user)
    stored.annotations = _client_annotations(annotations)
    stored.stored_version = version
    return handler._send(200, _object(state, stored, version))


def _client_annotations(annotations: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in annotations.items() if k not in SERVER_ANNOTATIONS}


def _status(
    handler: Handler,
    code: int,
    reason: str,
    message: str,
    name: str | None = None,
    status: str = "Failure",
) -> None:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": status,
        "message": message,
        "code": code,
    }
    if reason:
        body["reason"] = reason
    if name:
        body["details"] = {"name": name, "group": GROUP, "kind": "dashboards"}
    return handler._send(code, body)
