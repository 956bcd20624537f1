"""Which panels and fields of a live dashboard differ from what the code builds.

Panels are matched by title (titles are the contract other tools rely on),
so a moved or renumbered panel is not reported as removed and re-added.
"""

from __future__ import annotations

from typing import Any

from ccdash.sync.normalize import normalise

IGNORED_PANEL_KEYS = ("id",)


def drift(live: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """One line per difference, e.g. `panel "Sessions": targets.0.expr`; empty: in sync."""
    live, desired = normalise(live), normalise(desired)
    lines = [
        f"dashboard: {path}"
        for path in _diff(
            {k: v for k, v in live.items() if k != "panels"},
            {k: v for k, v in desired.items() if k != "panels"},
        )
    ]
    live_panels = {p.get("title", f"#{i}"): p for i, p in enumerate(_panels(live))}
    code_panels = {p.get("title", f"#{i}"): p for i, p in enumerate(_panels(desired))}
    for title in sorted(set(live_panels) | set(code_panels)):
        if title not in code_panels:
            lines.append(f'panel "{title}": only in Grafana')
        elif title not in live_panels:
            lines.append(f'panel "{title}": only in code')
        else:
            a, b = (
                {k: v for k, v in p.items() if k not in IGNORED_PANEL_KEYS}
                for p in (live_panels[title], code_panels[title])
            )
            lines += [f'panel "{title}": {path}' for path in _diff(a, b)]
    return lines


def _panels(dashboard: dict[str, Any]):
    for panel in dashboard.get("panels") or []:
        yield panel
        yield from panel.get("panels") or []


def _diff(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            out += _diff(a.get(key), b.get(key), f"{prefix}{key}.")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _diff(x, y, f"{prefix}{i}.")
        return out
    return [] if a == b else [prefix.rstrip(".") or "(whole)"]
