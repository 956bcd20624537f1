"""Execute a push: folders first, then each dashboard planned and saved independently.

Each dashboard is one GET and at most one version-guarded POST, so a run
that fails half-way leaves every dashboard either saved or untouched, and
the result for each says which.
"""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ccdash.errors import CcdashError
from ccdash.sync.client import GrafanaClient, SaveRefused, VersionConflict
from ccdash.sync.plan import CONFLICT, CREATE, ERROR, REFUSE, UPDATE, Action, plan

WORKERS = 4


@dataclass(frozen=True)
class Result:
    action: Action
    done: bool  # True when a planned write happened
    error: str = ""


def folder_uid(path: str) -> str:
    """A stable folder uid derived from the folder path (Grafana allows 40 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
    if len(f"ccdash-{slug}") > 40:  # keep long paths distinct
        slug = slug[:24].rstrip("-") + "-" + hashlib.sha256(path.encode()).hexdigest()[:8]
    return f"ccdash-{slug}"


def ensure_folders(client: GrafanaClient, path: str, create: bool = True) -> str:
    """The leaf uid of `Parent/Child` (nested through parentUid), creating missing folders.

    Since Grafana 11.3 folder titles need not be unique, so a folder made by
    hand or provisioned with the same title and parent is used rather than
    duplicated beside it (the one with the smallest uid, if there are several).
    """
    parent = None
    parts = [p.strip() for p in path.split("/") if p.strip()]
    for depth in range(1, len(parts) + 1):
        title, uid = parts[depth - 1], folder_uid("/".join(parts[:depth]))
        if client.get_folder(uid) is None:
            same = sorted(f["uid"] for f in client.child_folders(parent) if f.get("title") == title)
            if same:
                uid = same[0]
            elif create:
                client.create_folder(uid, title, parent)
        parent = uid
    return parent or ""


def push(
    client: GrafanaClient,
    dashboards: list[dict],
    folder: str,
    *,
    dry_run: bool = False,
    force: bool = False,
    adopt: bool = False,
    workers: int = WORKERS,
    progress=lambda items: items,
) -> list[Result]:
    uid = ensure_folders(client, folder, create=not dry_run)

    def one(desired: dict) -> Result:
        try:
            action = plan(desired, uid, client.get_dashboard(desired["uid"]), force, adopt)
        except CcdashError as exc:
            return Result(Action(desired["uid"], desired["title"], ERROR), False, str(exc))
        if dry_run or action.kind not in (CREATE, UPDATE):
            return Result(action, False)
        try:
            client.save_dashboard(action.payload, uid, "ccdash push")
        except VersionConflict as exc:
            conflict = Action(
                action.uid,
                action.title,
                CONFLICT,
                f"saved by someone else while ccdash was pushing ({exc}); not retried",
                uid,
                diff=action.diff,
            )
            return Result(conflict, False)
        except SaveRefused as exc:
            return Result(Action(action.uid, action.title, REFUSE, str(exc), uid), False)
        except CcdashError as exc:
            return Result(action, False, str(exc))
        return Result(action, True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(progress(pool.map(one, dashboards)))


def orphans(client: GrafanaClient, in_code: list[str]) -> list[dict]:
    """Dashboards ccdash wrote (tag and marker) whose uid no dashboard module builds any more."""
    from ccdash.build.compile import MANAGED_TAG
    from ccdash.sync.normalize import MARKER

    gone = []
    for hit in client.search(MANAGED_TAG):
        if hit["uid"] in in_code:
            continue
        live = client.get_dashboard(hit["uid"])
        if live and MARKER in live["dashboard"] and not live["meta"].get("provisioned"):
            gone.append(hit)
    return gone
