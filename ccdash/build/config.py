"""The project configuration, `ccdash.yaml`.

Parsed strictly: an unknown key or a value of the wrong type is reported with
its path in the file, because a typo that is silently ignored (`namspace:`)
would otherwise ship dashboards to the wrong place.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ccdash.build.alerts import AlertsConfig, parse
from ccdash.errors import ConfigError

CONFIG_FILE = "ccdash.yaml"
# Dashboard schemas ccdash emits: Grafana's classic JSON model, or the
# `dashboard.grafana.app/v2` resource of Grafana 13 (dynamic dashboards).
SCHEMAS = ("classic", "v2")


@dataclass(frozen=True)
class Kubernetes:
    """How the Grafana sidecar finds the ConfigMaps (label) and files them (annotation)."""

    namespace: str = "monitoring"
    label: str = "grafana_dashboard"
    label_value: str = "1"
    folder_annotation: str = "grafana_folder"
    # The ConfigMaps stay classic unless asked: file provisioning of v2 is new.
    schema: str = "classic"


@dataclass(frozen=True)
class Datasources:
    """Defaults for the dashboards' datasource variables (a name or uid, or empty)."""

    prometheus: str = ""
    tempo: str = ""


@dataclass(frozen=True)
class Instance:
    """A Grafana ccdash syncs with; credentials never live here (environment only)."""

    url: str
    folder: str = ""
    org: int | None = None
    # Empty: the project's schema.
    schema: str = ""


@dataclass(frozen=True)
class Config:
    root: Path
    # Pack name -> its profile settings, validated by the pack that reads them.
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Profile settings from the command line, over every selected dashboard's.
    overrides: dict[str, Any] = field(default_factory=dict)
    datasources: Datasources = field(default_factory=Datasources)
    # Empty: each dashboard goes to a folder named after its agent.
    folder: str = ""
    # The schema of out/ and of what `push` writes (an instance may override it).
    schema: str = "classic"
    kubernetes: Kubernetes = field(default_factory=Kubernetes)
    json_dir: str = "out/dashboards"
    k8s_dir: str = "k8s"
    rules_dir: str = "rules"
    instances: dict[str, Instance] = field(default_factory=dict)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)

    @property
    def json_path(self) -> Path:
        return self.root / self.json_dir

    @property
    def k8s_path(self) -> Path:
        return self.root / self.k8s_dir

    @property
    def rules_path(self) -> Path:
        return self.root / self.rules_dir

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with profile settings overridden (CLI flags win over the file)."""
        changes = {k: v for k, v in changes.items() if v is not None}
        return replace(self, overrides={**self.overrides, **changes}) if changes else self


# key -> (type, default); nested sections are dicts of the same shape.
_SCHEMA: dict[str, Any] = {
    # Pack name -> settings; each pack checks its own (ccdash.pack.Pack.settings).
    "profiles": {"*": dict},
    "datasources": {"prometheus": str, "tempo": str},
    "folder": str,
    "schema": str,
    "kubernetes": {
        "namespace": str,
        "label": str,
        "label_value": str,
        "folder_annotation": str,
        "schema": str,
    },
    "outputs": {"json": str, "k8s": str, "rules": str},
    # Any instance name -> its settings.
    "grafana": {"instances": {"*": {"url": str, "folder": str, "org": int, "schema": str}}},
    # Alert name -> its settings; checked by ccdash.build.alerts against what is defined.
    "alerts": {"labels": dict, "rules": dict, "runbook_url": str},
}


def load(root: Path) -> Config:
    """Read `ccdash.yaml` from a project directory; a missing file means defaults."""
    path = root / CONFIG_FILE
    if not path.exists():
        return Config(root=root)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if isinstance(raw, dict) and "profile" in raw:
        raise ConfigError(
            f"{path}: 'profile' became 'profiles', one section per telemetry pack "
            "(the PACK a dashboard module declares), e.g. profiles: {<pack>: {naming: ...}}"
        )
    _validate(raw, _SCHEMA, path, "")
    _check_schemas(raw, path)
    return _from_raw(root, raw, path)


def _validate(raw: Any, schema: dict[str, Any], path: Path, prefix: str) -> None:
    where = prefix.rstrip(".") or "top level"
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: {where} must be a mapping, got {type(raw).__name__}")
    for key, value in raw.items():
        if "*" in schema:
            _check(value, schema["*"], path, f"{prefix}{key}")
            continue
        if key not in schema:
            known = ", ".join(sorted(schema))
            raise ConfigError(f"{path}: unknown key '{prefix}{key}' (known here: {known})")
        _check(value, schema[key], path, f"{prefix}{key}")


def _check(value: Any, expected: Any, path: Path, where: str) -> None:
    if isinstance(expected, dict):
        _validate(value, expected, path, f"{where}.")
    elif not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool):
        raise ConfigError(f"{path}: '{where}' must be a {expected.__name__}, got {value!r}")


def _from_raw(root: Path, raw: dict[str, Any], path: Path) -> Config:
    outputs = raw.get("outputs", {})
    return Config(
        root=root,
        profiles=raw.get("profiles", {}),
        datasources=Datasources(**raw.get("datasources", {})),
        folder=raw.get("folder", ""),
        schema=raw.get("schema", "classic"),
        kubernetes=Kubernetes(**raw.get("kubernetes", {})),
        json_dir=outputs.get("json", "out/dashboards"),
        k8s_dir=outputs.get("k8s", "k8s"),
        rules_dir=outputs.get("rules", "rules"),
        instances=_instances(raw.get("grafana", {}).get("instances", {}), path),
        alerts=parse(raw.get("alerts", {}), path),
    )


def _check_schemas(raw: dict[str, Any], path: Path) -> None:
    instances = raw.get("grafana", {}).get("instances", {})
    found = {
        "schema": raw.get("schema"),
        "kubernetes.schema": raw.get("kubernetes", {}).get("schema"),
        **{f"grafana.instances.{n}.schema": i.get("schema") or None for n, i in instances.items()},
    }
    for where, value in found.items():
        if value is not None and value not in SCHEMAS:
            raise ConfigError(
                f"{path}: '{where}' must be one of {', '.join(SCHEMAS)}, got {value!r}"
            )


def _instances(raw: dict[str, Any], path: Path) -> dict[str, Instance]:
    for name, settings in raw.items():
        if "url" not in settings:
            raise ConfigError(f"{path}: grafana.instances.{name} needs a url")
    return {name: Instance(**settings) for name, settings in raw.items()}
