"""Execute a push: folders first, then each dashboard planned and saved independently.

Each dashboard is one GET and at most one version-guarded POST, so a run
that fails half-way leaves every dashboard either saved or untouched, and
the result for each says which.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ccdash.errors import CcdashError
from ccdash.grafana.client import GrafanaClient, ProvisionedDashboard, VersionConflict
from ccdash.grafana.plan import CONFLICT, CREATE, REFUSE, UPDATE, Action, plan

WORKERS = 4


@dataclass(frozen=True)
class Result:
    action: Action
    done: bool  # True when a planned write happened
    error: str = ""


def folder_uid(title: str) -> str:
    """A stable folder uid derived from the folder title (Grafana allows 40 characters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"ccdash-{slug}"[:40].rstrip("-")


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
    uid = folder_uid(folder)
    if not dry_run and client.get_folder(uid) is None:
        client.create_folder(uid, folder)

    def one(desired: dict) -> Result:
        try:
            action = plan(desired, uid, client.get_dashboard(desired["uid"]), force, adopt)
        except CcdashError as exc:
            return Result(Action(desired["uid"], desired["title"], REFUSE), False, str(exc))
        if dry_run or action.kind not in (CREATE, UPDATE):
            return Result(action, False)
        try:
            client.save_dashboard(action.payload, uid, "ccdash push")
        except VersionConflict:
            conflict = Action(
                action.uid,
                action.title,
                CONFLICT,
                "saved by someone else while ccdash was pushing (412); not retried",
                uid,
                diff=action.diff,
            )
            return Result(conflict, False)
        except ProvisionedDashboard as exc:
            return Result(Action(action.uid, action.title, REFUSE, str(exc), uid), False)
        except CcdashError as exc:
            return Result(action, False, str(exc))
        return Result(action, True)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(progress(pool.map(one, dashboards)))
