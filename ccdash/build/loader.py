"""Finds the project's dashboard modules by path and calls them.

The engine never imports content statically: `dashboards/*.py` are imported
from the project directory (put on `sys.path`, so `from panels import ...`
works inside them) and each module's `build(ctx)` is called with the build
context, whose profile is the one of the telemetry pack the module declares
(`PACK`). Failures are reported with the content file and line that caused
them, which is what a person editing a dashboard needs.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ccdash.build.alerts import AlertParams, alert_names, tuned
from ccdash.build.config import CONFIG_FILE, Config
from ccdash.errors import ConfigError, DashboardError
from ccdash.pack import Pack

T = TypeVar("T")
DASHBOARDS_DIR = "dashboards"
# The project's content: imported from the project directory, never installed.
CONTENT_PACKAGES = ("agents", "dashboards", "panels", "queries")


@dataclass(frozen=True)
class BuildContext:
    """What a dashboard module's `build(ctx)` receives."""

    # The profile of the module's pack (None for a dashboard without one).
    profile: Any
    prometheus_default: str = ""
    tempo_default: str = ""
    # The alerts' tunable numbers (`ctx.alerts.param(alert, key, default)`).
    alerts: AlertParams = field(default_factory=AlertParams)


@dataclass(frozen=True)
class LoadedDashboard:
    path: Path
    obj: Any
    pack: Pack | None
    profile: Any
    # Recording rule groups the dashboard's queries rely on (Prometheus rule-file shape).
    rule_groups: list[dict]
    # Alerting rule groups, ccdash.yaml's `alerts:` applied.
    alert_groups: list[dict] = field(default_factory=list)
    # Alert name -> the parameters its module read (what `alerts.rules` may set).
    alerts_offered: dict[str, set[str]] = field(default_factory=dict)


def discover(root: Path) -> list[Path]:
    """Dashboard modules in a stable order; `_`-prefixed files are helpers, not dashboards."""
    folder = root / DASHBOARDS_DIR
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def load_all(config: Config, overrides: bool = True) -> list[LoadedDashboard]:
    """Every dashboard module, built; `overrides=False` ignores the command line's settings."""
    return [load_one(config, path, overrides) for path in discover(config.root.resolve())]


def load_one(config: Config, path: Path, overrides: bool = True) -> LoadedDashboard:
    root = config.root.resolve()
    _use_project(root)
    return _build_one(root, path, config, overrides)


def profile_for(pack: Pack, config: Config, overrides: bool = True) -> Any:
    """A pack's profile: its `profiles:` section, then the command line's settings it knows."""
    settings = dict(config.profiles.get(pack.name, {}))
    where = f"{CONFIG_FILE}: profiles.{pack.name}"
    if overrides and config.overrides:
        for key, value in config.overrides.items():
            if key in pack.settings:
                settings[key] = pack.from_text(key, value) if isinstance(value, str) else value
        where += " with the command line's settings"
    return pack.build_profile(settings, where)


# The content files' (path, mtime, size) when they were last imported, per project.
_imported: dict[Path, frozenset] = {}


def _use_project(root: Path) -> None:
    """Put the project first on sys.path; drop content modules of another project, and all
    of them when a content file changed since they were imported (a long-lived process,
    such as a test run or a watcher, must build what is on disk, not what it imported)."""
    if str(root) in sys.path:
        sys.path.remove(str(root))
    sys.path.insert(0, str(root))
    files = frozenset(
        (str(f), stat.st_mtime_ns, stat.st_size)
        for package in CONTENT_PACKAGES
        for f in (root / package).rglob("*.py")
        for stat in (f.stat(),)
    )
    changed = _imported.get(root, files) != files
    if changed:  # a .pyc is checked by whole-second mtime and size: an edit within a second
        for path, _, _ in files - _imported[root]:  # of the import would reuse it
            Path(importlib.util.cache_from_source(path)).unlink(missing_ok=True)
    _imported[root] = files
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in CONTENT_PACKAGES:
            continue
        origin = getattr(module, "__file__", None) or next(
            iter(getattr(module, "__path__", []) or []), None
        )
        if changed or origin is None or not Path(origin).resolve().is_relative_to(root):
            del sys.modules[name]
    importlib.invalidate_caches()


def packs(root: Path) -> list[Pack]:
    """The telemetry packs the project's dashboards declare, each once, without building."""
    root = root.resolve()
    _use_project(root)
    found: list[Pack] = []
    for path in discover(root):
        pack = _guarded(root, path, lambda path=path: _pack(root, path, _import(root, path)))
        if pack is not None and pack not in found:
            found.append(pack)
    return found


def _build_one(root: Path, path: Path, config: Config, overrides: bool) -> LoadedDashboard:
    """Import a dashboard module and call its build(ctx) and optional recording_rules(ctx)."""

    def build() -> LoadedDashboard:
        module = _import(root, path)
        build = getattr(module, "build", None)
        if not callable(build):
            raise DashboardError(
                f"{_rel(root, path)}: defines no build(ctx) function; "
                "a dashboard module must define one returning a dashboard"
            )
        pack = _pack(root, path, module)
        profile = None if pack is None else profile_for(pack, config, overrides)
        params = AlertParams(config.alerts)
        ctx = BuildContext(profile, config.datasources.prometheus, config.datasources.tempo, params)
        rules = getattr(module, "recording_rules", None)
        groups = list(rules(ctx)) if callable(rules) else []
        alerting = getattr(module, "alerting_rules", None)
        offered = list(alerting(ctx)) if callable(alerting) else []
        names = {name: {k for a, k in params.read if a == name} for name in alert_names(offered)}
        return LoadedDashboard(
            path, build(ctx), pack, profile, groups, tuned(offered, config.alerts), names
        )

    return _guarded(root, path, build)


def _import(root: Path, path: Path) -> Any:
    return importlib.import_module(f"{DASHBOARDS_DIR}.{path.stem}")


def _pack(root: Path, path: Path, module: Any) -> Pack | None:
    pack = getattr(module, "PACK", None)
    if pack is not None and not isinstance(pack, Pack):
        raise DashboardError(
            f"{_rel(root, path)}: PACK must be a ccdash.pack.Pack, got {type(pack).__name__}"
        )
    return pack


def _guarded(root: Path, path: Path, step: Callable[[], T]) -> T:
    """Run a step on a dashboard module; its failure names the content file and line."""
    try:
        return step()
    except (DashboardError, ConfigError):
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
