"""Finds the project's dashboard modules by path and calls them.

The engine never imports content statically: `dashboards/*.py` are imported
from the project directory (put on `sys.path`, so `from panels import ...`
works inside them) and each module's `build(ctx)` is called with the build
context. Failures are reported with the content file and line that caused
them, which is what a person editing a dashboard needs.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ccdash.config import Config
from ccdash.errors import DashboardError
from ccdash.telemetry import Profile

DASHBOARDS_DIR = "dashboards"
CONTENT_PACKAGES = ("dashboards", "panels", "queries")


@dataclass(frozen=True)
class BuildContext:
    """What a dashboard module's `build(ctx)` receives."""

    profile: Profile
    prometheus_default: str = ""
    tempo_default: str = ""
    folder: str = "Claude Code"

    @classmethod
    def from_config(cls, config: Config) -> BuildContext:
        return cls(
            profile=config.profile,
            prometheus_default=config.datasources.prometheus,
            tempo_default=config.datasources.tempo,
            folder=config.folder,
        )


@dataclass(frozen=True)
class LoadedDashboard:
    path: Path
    obj: Any
    # Recording rule groups the dashboard's queries rely on (Prometheus rule-file shape).
    rule_groups: list[dict]


def discover(root: Path) -> list[Path]:
    """Dashboard modules in a stable order; `_`-prefixed files are helpers, not dashboards."""
    folder = root / DASHBOARDS_DIR
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def load_all(root: Path, ctx: BuildContext) -> list[LoadedDashboard]:
    root = root.resolve()
    _use_project(root)
    return [_build_one(root, path, ctx) for path in discover(root)]


def _use_project(root: Path) -> None:
    """Put the project first on sys.path and drop content modules of another project."""
    if str(root) in sys.path:
        sys.path.remove(str(root))
    sys.path.insert(0, str(root))
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in CONTENT_PACKAGES:
            continue
        origin = getattr(module, "__file__", None) or next(
            iter(getattr(module, "__path__", []) or []), None
        )
        if origin is None or not Path(origin).resolve().is_relative_to(root):
            del sys.modules[name]
    importlib.invalidate_caches()


def _build_one(root: Path, path: Path, ctx: BuildContext) -> LoadedDashboard:
    """Import a dashboard module and call its build(ctx) and optional recording_rules(ctx)."""
    module_name = f"{DASHBOARDS_DIR}.{path.stem}"
    try:
        module = importlib.import_module(module_name)
        build = getattr(module, "build", None)
        if not callable(build):
            raise DashboardError(
                f"{_rel(root, path)}: defines no build(ctx) function; "
                "a dashboard module must define one returning a dashboard"
            )
        rules = getattr(module, "recording_rules", None)
        return LoadedDashboard(path, build(ctx), list(rules(ctx)) if callable(rules) else [])
    except DashboardError:
        raise
    except SyntaxError as exc:
        where = f"{_rel(root, Path(exc.filename or path))}:{exc.lineno}"
        raise DashboardError(f"{where}: syntax error: {exc.msg}") from None
    except Exception as exc:
        raise DashboardError(f"{_blame(root, path, exc)}: {type(exc).__name__}: {exc}") from exc


def _blame(root: Path, path: Path, exc: BaseException) -> str:
    """file:line of the innermost traceback frame in the project's content."""
    content_dirs = [root / pkg for pkg in CONTENT_PACKAGES]
    where = _rel(root, path)
    for frame in traceback.extract_tb(exc.__traceback__):
        frame_path = Path(frame.filename).resolve()
        if any(frame_path.is_relative_to(d) for d in content_dirs):
            where = f"{_rel(root, frame_path)}:{frame.lineno}"
    return where


def _rel(root: Path, path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
