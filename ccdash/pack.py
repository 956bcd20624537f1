"""What a telemetry pack gives the engine, so the engine never names an agent.

A pack is content (`agents/<name>/`): one agent's metric catalogue, how its
profile is read from `ccdash.yaml`, and the checks that explain its data.
A dashboard module declares the pack it reads with `PACK = ...`; the engine
builds that pack's profile for it and, for `doctor` and `verify`, asks the
same pack. A second agent is therefore one new pack and one new dashboard
module, with no engine file edited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ccdash.errors import ConfigError

if TYPE_CHECKING:
    import click

    from ccdash.check.doctor.findings import Report
    from ccdash.check.promapi import PrometheusClient


class Profile(Protocol):
    """What the engine reads of any pack's profile: the rest is the pack's own."""

    # Whether ccdash's recording rules are installed: the doctor checks them then.
    recording_rules: bool


@dataclass(frozen=True)
class DoctorRequest:
    """One dashboard to diagnose against one Prometheus."""

    client: PrometheusClient
    model: Mapping[str, Any]  # the compiled dashboard: what its panels read
    profile: Any
    time: float
    range_s: float
    # Span metrics are expected: their absence is an error, not information.
    expect_span_metrics: bool = False
    # The recording rule groups the dashboard reads (empty in raw mode).
    rule_groups: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Pack:
    """One agent's telemetry, as the engine sees it.

    `name` is the key of the pack's section under `profiles:` in
    `ccdash.yaml`; `profile` turns that section (with command-line overrides
    merged in) into the pack's profile and raises ValueError naming what is
    wrong; `settings` are the keys it accepts and their types, checked here
    so every pack reports a bad value the same way.
    """

    name: str
    # The agent's name as people write it: the default Grafana folder.
    title: str
    settings: Mapping[str, type]
    profile: Callable[[Mapping[str, Any]], Any]
    # Every check against a Prometheus -> the doctor's report.
    diagnose: Callable[[DoctorRequest], Report] | None = None
    # Why a dashboard's panels read nothing, as "cause: fix" lines (`verify`).
    explain_empty: Callable[[DoctorRequest], list[str]] | None = None
    # Commands only this agent needs (e.g. a command printing its telemetry settings).
    commands: Sequence[click.Command] = ()

    def from_text(self, key: str, text: str) -> Any:
        """A setting typed on the command line (`--set recording_rules=false`)."""
        if self.settings.get(key) is bool and text.lower() in ("true", "false"):
            return text.lower() == "true"
        return text

    def build_profile(self, settings: Mapping[str, Any], where: str) -> Any:
        typed = {}
        for key, value in settings.items():
            if key not in self.settings:
                known = ", ".join(sorted(self.settings))
                raise ConfigError(f"{where}: unknown key {key!r} (known here: {known})")
            typed[key] = _typed(value, self.settings[key], f"{where}.{key}")
        try:
            return self.profile(typed)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: {exc}") from None


def _typed(value: Any, expected: type, where: str) -> Any:
    if isinstance(value, expected) and (expected is bool or not isinstance(value, bool)):
        return value
    raise ConfigError(f"{where} must be a {expected.__name__}, got {value!r}")


def require_choice(value: str, choices: Mapping[str, Any], what: str) -> None:
    """For a pack's Profile: a value one of its choices, or a message listing them."""
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; choose one of: {', '.join(sorted(choices))}")


# A Prometheus label name.
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def require_label_name(name: str, what: str) -> None:
    """For a pack's Profile: a valid Prometheus label name (an attribution label, say)."""
    if not LABEL_NAME.fullmatch(name):
        raise ValueError(
            f"{what} {name!r} is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"
        )
