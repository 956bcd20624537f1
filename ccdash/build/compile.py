"""Dashboard objects -> the plain, deterministic Grafana JSON ccdash ships.

Accepts what content returns (a foundation-SDK builder or model, a grafanalib
`Dashboard`, or a plain dict) and settles everything Grafana would otherwise
settle on first save, so the output is reviewable and byte-stable: panel ids
in order, target refIds, panel positions, the schema version and the
ownership tag.
"""

from __future__ import annotations

import copy
import json
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccdash.build import fidelity
from ccdash.errors import DashboardError

# The classic schema of Grafana 12.3, which grafana-foundation-sdk 0.0.21 emits.
SCHEMA_VERSION = 42
MANAGED_TAG = "ccdash"
GRID_WIDTH = 24
DEFAULT_SIZE = (12, 8)
UID_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
# Left by "Export for sharing externally"; the sidecar's file provisioning
# never resolves these, so the panel would fail with "datasource not found".
UNRESOLVED_INPUT_RE = re.compile(r"\$\{DS_[A-Za-z0-9_]*\}")


@dataclass(frozen=True)
class CompiledDashboard:
    source: Path
    model: dict[str, Any]

    @property
    def uid(self) -> str:
        return self.model["uid"]

    @property
    def title(self) -> str:
        return self.model["title"]


def to_dict(obj: Any) -> dict[str, Any]:
    """The Grafana JSON of whatever a dashboard module returned."""
    if isinstance(obj, dict):
        return copy.deepcopy(obj)
    if hasattr(obj, "to_json_data"):  # grafanalib
        from grafanalib._gen import DashboardEncoder

        return json.loads(json.dumps(obj.to_json_data(), cls=DashboardEncoder))
    if hasattr(obj, "build") and hasattr(obj, "_internal"):  # foundation-SDK builder
        obj = obj.build()
    if hasattr(obj, "to_json"):  # foundation-SDK model
        from ccdash.build.sdk import JSONEncoder

        out = json.loads(json.dumps(obj, cls=JSONEncoder))
        out["schemaVersion"] = SCHEMA_VERSION
        return out
    raise TypeError(
        f"build() returned a {type(obj).__name__}; expected a grafana-foundation-sdk "
        "dashboard (builder or model), a grafanalib Dashboard or a dict"
    )


def compile_dashboard(obj: Any, source: Path) -> CompiledDashboard:
    try:
        model = to_dict(obj)
    except TypeError as exc:
        raise DashboardError(f"{source}: {exc}") from None
    where = str(source)
    _check_identity(model, where)
    if model.get("rows"):
        raise DashboardError(
            f"{where}: uses the pre-5.0 'rows' layout; put RowPanel objects in 'panels' instead"
        )
    model.pop("rows", None)
    model.pop("id", None)
    model.pop("version", None)
    panels = model.setdefault("panels", [])
    _assign_ids(model)
    _layout(panels)
    for panel in fidelity.panels(model):
        _assign_ref_ids(panel.get("targets") or [])
    fidelity.settle(model)
    fidelity.check(model, where)
    tags = list(model.get("tags") or [])
    model["tags"] = [*tags, MANAGED_TAG] if MANAGED_TAG not in tags else tags
    text = json.dumps(model)
    if match := UNRESOLVED_INPUT_RE.search(text):
        raise DashboardError(
            f"{where}: contains {match.group(0)}, an import placeholder the Grafana sidecar "
            "never resolves; use a datasource variable such as ${datasource}"
        )
    return CompiledDashboard(source=source, model=model)


def document(dash: CompiledDashboard, schema: str) -> dict[str, Any]:
    """The file a dashboard becomes: the classic model, or the v2 resource derived from it."""
    if schema == "v2":
        from ccdash.build import v2

        return v2.manifest(dash.model, str(dash.source))
    return dash.model


def render_json(model: dict[str, Any]) -> str:
    """Indented, sorted JSON for out/dashboards (made for review and diffs)."""
    return json.dumps(model, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_compact(model: dict[str, Any]) -> str:
    """Compact, sorted JSON for ConfigMaps (size counts there)."""
    return json.dumps(model, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _check_identity(model: dict[str, Any], where: str) -> None:
    title = model.get("title")
    if not isinstance(title, str) or not title.strip():
        raise DashboardError(f"{where}: the dashboard has no title")
    uid = model.get("uid")
    if not isinstance(uid, str) or not UID_RE.match(uid):
        raise DashboardError(
            f"{where}: dashboard uid {uid!r} is missing or invalid; Grafana needs 1-40 "
            "characters of letters, digits, '-' and '_' (set a stable uid in code)"
        )


def _assign_ids(model: dict[str, Any]) -> None:
    for number, panel in enumerate(fidelity.panels(model), start=1):
        panel["id"] = number


def _layout(panels: list[dict[str, Any]]) -> None:
    """Flow panels left to right in order, wrapping at 24 columns; rows span the width.

    Positions come from order and size only, so inserting a panel never
    needs hand-edited coordinates and panels can never overlap.
    """
    y = 0
    run: list[dict[str, Any]] = []
    for panel in panels:
        if panel.get("type") != "row":
            run.append(panel)
            continue
        y = _flow(run, y)
        run = []
        panel["gridPos"] = {"h": 1, "w": GRID_WIDTH, "x": 0, "y": y}
        y += 1
        # A collapsed row's panels are placed where they will unfold.
        _flow(panel.get("panels") or [], y)
    _flow(run, y)


def _flow(panels: list[dict[str, Any]], y: int) -> int:
    """Place panels from line y; returns the first free line below them."""
    x = line_height = 0
    for panel in panels:
        w, h = _size(panel)
        if x + w > GRID_WIDTH:
            y += line_height
            x = line_height = 0
        panel["gridPos"] = {"h": h, "w": w, "x": x, "y": y}
        x += w
        line_height = max(line_height, h)
    return y + line_height


def _size(panel: dict[str, Any]) -> tuple[int, int]:
    pos = panel.get("gridPos") or {}
    w = int(pos.get("w") or DEFAULT_SIZE[0])
    h = int(pos.get("h") or DEFAULT_SIZE[1])
    return min(max(w, 1), GRID_WIDTH), max(h, 1)


def _assign_ref_ids(targets: list[dict[str, Any]]) -> None:
    """Give targets without a refId the next free letter, keeping explicit ones.

    Explicit refIds are kept because overrides and transformations refer to them.
    """
    used = {t["refId"] for t in targets if t.get("refId")}
    free = (c for c in _ref_id_sequence() if c not in used)
    for target in targets:
        if not target.get("refId"):
            target["refId"] = next(free)


def _ref_id_sequence():
    letters = string.ascii_uppercase
    yield from letters
    for first in letters:
        for second in letters:
            yield first + second
