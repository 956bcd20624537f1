"""Everything `ccdash build` writes, planned in memory first, then written atomically.

Planning before writing means a failing dashboard leaves every file as it
was; writing each file through a temporary file and a rename means a crash
never leaves a half-written one. The same plan answers `build --check`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ccdash.build.compile import CompiledDashboard, document, render_json
from ccdash.build.config import Config
from ccdash.build.k8s import (
    DASHBOARDS_SUBDIR,
    configmap_name,
    render_configmap,
    render_kustomization,
)
from ccdash.build.project import Project
from ccdash.build.rules import (
    ALERTS_GLOB,
    RULES_GLOB,
    RULES_SUBDIR,
    alerts_file,
    prometheus_rule_name,
    render_alerts,
    render_prometheus_rule,
    render_rules,
    rules_file,
)
from ccdash.errors import OutputError


@dataclass(frozen=True)
class Plan:
    """Generated files: `json` for review and import; `committed` (k8s/, rules/) checked by CI."""

    json: dict[Path, str]
    committed: dict[Path, str]


def plan(project: Project, config: Config) -> Plan:
    dashboards = project.dashboards
    _check_unique(dashboards)
    json_files = {
        config.json_path / f"{d.uid}.json": render_json(document(d, config.schema))
        for d in dashboards
    }
    k8s_files: dict[Path, str] = {}
    resources = []
    for dash in dashboards:
        rel = f"{DASHBOARDS_SUBDIR}/{configmap_name(dash.uid)}.yaml"
        k8s_files[config.k8s_path / rel] = render_configmap(dash, dash.folder, config.kubernetes)
        resources.append(rel)
    recording = project.rule_files()
    alerting = {d.uid: d.alert_groups for d in dashboards if d.alert_groups}
    for uid in sorted(recording.keys() | alerting.keys()):
        groups, alert_groups = recording.get(uid, []), alerting.get(uid, [])
        if groups:
            k8s_files[config.rules_path / rules_file(uid)] = render_rules(groups)
        if alert_groups:
            k8s_files[config.rules_path / alerts_file(uid)] = render_alerts(alert_groups)
        # The same groups for prometheus-operator (and Mimir via Alloy): one source.
        rel = f"{RULES_SUBDIR}/{prometheus_rule_name(uid)}.yaml"
        k8s_files[config.k8s_path / rel] = render_prometheus_rule(
            uid, [*groups, *alert_groups], config.kubernetes
        )
        resources.append(rel)
    k8s_files[config.k8s_path / "kustomization.yaml"] = render_kustomization(resources)
    return Plan(json=json_files, committed=k8s_files)


def write(p: Plan, config: Config) -> list[Path]:
    """Write every planned file and remove generated files no dashboard produces any more."""
    written = []
    for path, text in {**p.json, **p.committed}.items():
        if _read(path) != text:
            write_atomic(path, text)
            written.append(path)
    for path in _stale(p, config):
        path.unlink()
        written.append(path)
    return written


def check(p: Plan, config: Config) -> list[str]:
    """Why the committed outputs differ from what the code builds, one line per file."""
    problems = []
    for path, text in sorted(p.committed.items()):
        current = _read(path)
        if current is None:
            problems.append(f"missing: {_rel(path, config)}")
        elif current != text:
            problems.append(f"stale: {_rel(path, config)}")
    problems += [
        f"not built by any dashboard: {_rel(path, config)}"
        for path in _stale(p, config)
        if path.suffix in (".yaml", ".yml")
    ]
    return problems


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        # mkstemp creates 0600; generated files are ordinary files (0644 under umask 022).
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _stale(p: Plan, config: Config) -> list[Path]:
    """Generated files on disk that the plan no longer contains."""
    found = [
        *config.json_path.glob("*.json"),
        *(config.k8s_path / DASHBOARDS_SUBDIR).glob("*.yaml"),
        *(config.k8s_path / RULES_SUBDIR).glob("*.yaml"),
        *config.rules_path.glob(RULES_GLOB),
        *config.rules_path.glob(ALERTS_GLOB),
    ]
    planned = set(p.json) | set(p.committed)
    return sorted(path for path in found if path not in planned)


def _check_unique(dashboards: list[CompiledDashboard]) -> None:
    seen: dict[str, CompiledDashboard] = {}
    for dash in dashboards:
        for key in (dash.uid, configmap_name(dash.uid)):
            if key in seen and seen[key] is not dash:
                raise OutputError(
                    f"{dash.source} and {seen[key].source} both produce '{key}'; "
                    "give each dashboard a distinct uid"
                )
            seen[key] = dash


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _rel(path: Path, config: Config) -> str:
    return str(path.relative_to(config.root)) if path.is_relative_to(config.root) else str(path)
