"""Alerting rules: what dashboard modules offer, as `ccdash.yaml` tunes them.

A dashboard module's `alerting_rules(ctx)` returns rule groups (Prometheus
rule-file shape; recording rules the alerts need may sit beside them) and
reads its tunable numbers through `ctx.alerts.param(alert, key, default)`.
The engine then applies what every alert shares: `enabled: false` drops it,
`for` replaces its own, labels (for every alert, then per alert) are added
for routing, and `runbook_url` is filled in. Everything in `alerts:` must
name an alert and a parameter that exist: a typo would otherwise leave a
threshold at its default with no one knowing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccdash.errors import ConfigError
from ccdash.pack import LABEL_NAME

# What every alert accepts in `alerts.rules.<name>`, besides the parameters it reads.
COMMON_KEYS = ("enabled", "for", "labels")
_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")


@dataclass(frozen=True)
class AlertsConfig:
    """`ccdash.yaml`'s `alerts:` section."""

    # Labels added to every alert (say, `team: platform` for Alertmanager routing).
    labels: dict[str, str] = field(default_factory=dict)
    # Alert name -> enabled, for, labels and the alert's own parameters.
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    # With `{alert}` in it, each alert's runbook_url annotation (e.g. a wiki page).
    runbook_url: str = ""


@dataclass
class AlertParams:
    """What a dashboard module's `alerting_rules(ctx)` reads as `ctx.alerts`."""

    config: AlertsConfig = field(default_factory=AlertsConfig)
    # (alert, key) pairs the module read: the only parameters ccdash.yaml may set.
    read: set[tuple[str, str]] = field(default_factory=set)

    def param(self, alert: str, key: str, default: float) -> float:
        """A tunable number of an alert: ccdash.yaml's `alerts.rules.<alert>.<key>`, or
        `default`."""
        self.read.add((alert, key))
        value = self.config.rules.get(alert, {}).get(key, default)
        return float(value)


def parse(raw: dict[str, Any], path: Path) -> AlertsConfig:
    """The `alerts:` section, its shape checked (names are checked once alerts are built)."""
    labels = raw.get("labels", {})
    _check_labels(labels, path, "alerts.labels")
    rules = raw.get("rules", {})
    for name, settings in rules.items():
        where = f"alerts.rules.{name}"
        if not isinstance(settings, dict):
            raise ConfigError(f"{path}: '{where}' must be a mapping, got {settings!r}")
        for key, value in settings.items():
            _check_setting(value, key, path, f"{where}.{key}")
    runbook = raw.get("runbook_url", "")
    if runbook and "{alert}" not in runbook:
        raise ConfigError(f"{path}: 'alerts.runbook_url' must contain {{alert}}, got {runbook!r}")
    return AlertsConfig(labels, rules, runbook)


def _check_setting(value: Any, key: str, path: Path, where: str) -> None:
    if key == "enabled" and not isinstance(value, bool):
        raise ConfigError(f"{path}: '{where}' must be true or false, got {value!r}")
    if key == "for" and not (isinstance(value, str) and _DURATION.match(value)):
        raise ConfigError(
            f"{path}: '{where}' must be a Prometheus duration (5m, 1h), got {value!r}"
        )
    if key == "labels":
        _check_labels(value, path, where)
    if key not in COMMON_KEYS and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ConfigError(f"{path}: '{where}' must be a number, got {value!r}")


def _check_labels(labels: Any, path: Path, where: str) -> None:
    if not isinstance(labels, dict):
        raise ConfigError(f"{path}: '{where}' must be a mapping of label names to values")
    for name, value in labels.items():
        if not (isinstance(name, str) and LABEL_NAME.fullmatch(name)) or not isinstance(value, str):
            raise ConfigError(
                f"{path}: '{where}.{name}' must be a valid label name with a string value, "
                f"got {value!r}"
            )


def alert_names(groups: list[dict]) -> list[str]:
    return [rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule]


def tuned(groups: list[dict], config: AlertsConfig) -> list[dict]:
    """The groups with ccdash.yaml applied: disabled alerts dropped, `for` and labels set;
    a group left with no alert and no rule is dropped."""
    result = []
    for group in groups:
        rules = [_tune(rule, config) for rule in group["rules"]]
        rules = [rule for rule in rules if rule is not None]
        if rules:
            result.append({**group, "rules": rules})
    return result


def _tune(rule: dict, config: AlertsConfig) -> dict | None:
    if "alert" not in rule:
        return rule
    settings = config.rules.get(rule["alert"], {})
    if not settings.get("enabled", True):
        return None
    tuned = dict(rule)
    if "for" in settings:
        tuned["for"] = settings["for"]
    labels = {**rule.get("labels", {}), **config.labels, **settings.get("labels", {})}
    if labels:
        tuned["labels"] = labels
    if config.runbook_url:
        annotations = {**rule.get("annotations", {})}
        annotations["runbook_url"] = config.runbook_url.format(alert=rule["alert"])
        tuned["annotations"] = annotations
    return tuned


def check_names(config: AlertsConfig, offered: dict[str, set[str]], path: Path) -> None:
    """Every alert `alerts.rules` names exists, and every key it sets is one the alert has.

    `offered`: alert name -> the parameters its module read.
    """
    for name, settings in config.rules.items():
        if name not in offered:
            known = ", ".join(sorted(offered)) or "none"
            raise ConfigError(
                f"{path}: alerts.rules.{name}: no dashboard defines this alert (defined: {known})"
            )
        for key in settings:
            if key not in COMMON_KEYS and key not in offered[name]:
                keys = ", ".join([*COMMON_KEYS, *sorted(offered[name])])
                raise ConfigError(
                    f"{path}: alerts.rules.{name}.{key}: {name} has no such setting "
                    f"(it has: {keys})"
                )
