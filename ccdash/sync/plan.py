"""What a push would do to each dashboard, decided from desired and live state alone.

Pure: no I/O, so `--dry-run` prints exactly what `push` would do and tests
assert on plans. Ownership and "edited since ccdash pushed" both live in
Grafana itself: ccdash writes a `ccdash` entry into every dashboard it saves
with the version the save will create and the content hash. A save in the UI
drops the entry (the UI keeps only the keys it knows) or bumps the version,
so any machine can tell an edit from ccdash's own write.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from ccdash.build.compile import MANAGED_TAG
from ccdash.sync.normalize import MARKER, content_hash, normalise

CREATE, UPDATE, UNCHANGED, CONFLICT, REFUSE = "create", "update", "unchanged", "conflict", "refuse"
ERROR = "error"  # Grafana could not be read or written for this dashboard


@dataclass(frozen=True)
class Action:
    uid: str
    title: str
    kind: str
    reason: str = ""
    folder_uid: str = ""
    # What to POST (create/update), with the version guard and the marker.
    payload: dict[str, Any] | None = None
    diff: list[str] = field(default_factory=list)


def owned(live: dict[str, Any]) -> bool:
    dashboard = live["dashboard"]
    return MARKER in dashboard or MANAGED_TAG in (dashboard.get("tags") or [])


def plan(
    desired: dict[str, Any],
    folder_uid: str,
    live: dict[str, Any] | None,
    force: bool = False,
    adopt: bool = False,
) -> Action:
    uid, title = desired["uid"], desired["title"]
    if live is None:
        return Action(uid, title, CREATE, "new", folder_uid, _payload(desired, None))
    dashboard, meta = live["dashboard"], live["meta"]
    if meta.get("unreadable"):  # never overwritten, whatever --force says
        return Action(uid, title, REFUSE, meta["unreadable"], folder_uid)
    if meta.get("managedBy") and not meta.get("provisioned"):
        return Action(
            uid,
            title,
            REFUSE,
            f"managed in Grafana by {meta['managedBy']}; change it where it is managed",
            folder_uid,
        )
    # The diff is only worked out when the content differs: most pushes change nothing.
    diff = [] if normalise(dashboard) == normalise(desired) else diff_lines(dashboard, desired)
    if meta.get("provisioned"):
        return Action(
            uid,
            title,
            REFUSE,
            "provisioned from files (e.g. the sidecar's "
            "ConfigMaps): Grafana refuses API saves; change the code, run "
            "`ccdash build` and let Argo CD apply k8s/",
            folder_uid,
            diff=diff,
        )
    if not owned(live) and not adopt:
        return Action(
            uid,
            title,
            REFUSE,
            "exists and is not managed by ccdash; pass --adopt to take it over",
            folder_uid,
            diff=diff,
        )
    same_folder = (meta.get("folderUid") or "") == folder_uid
    if not diff and same_folder:
        return Action(uid, title, UNCHANGED, "", folder_uid)
    marker = dashboard.get(MARKER) or {}
    edited = marker.get("version") != meta.get("version") or marker.get("hash") != content_hash(
        dashboard
    )
    if edited and owned(live) and not force and not adopt:
        who = meta.get("updatedBy") or "someone"
        return Action(
            uid,
            title,
            CONFLICT,
            meta.get("converted")
            or f"changed in Grafana since ccdash pushed it (by "
            f"{who}, version {meta.get('version')}); pull it or use --force",
            folder_uid,
            diff=diff,
        )
    reason = "content" if diff else "folder"
    return Action(uid, title, UPDATE, reason, folder_uid, _payload(desired, meta["version"]), diff)


def _payload(desired: dict[str, Any], live_version: int | None) -> dict[str, Any]:
    """The dashboard to save: the version guard, and the marker for the version it creates."""
    payload = normalise(desired)
    new_version = 1 if live_version is None else live_version + 1
    if live_version is not None:
        payload["version"] = live_version
    payload[MARKER] = {"version": new_version, "hash": content_hash(desired)}
    return payload


def diff_lines(live: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    def text(d):
        return json.dumps(normalise(d), indent=2, sort_keys=True).splitlines()

    return list(difflib.unified_diff(text(live), text(desired), "grafana", "code", lineterm=""))
