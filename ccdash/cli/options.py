"""Options several commands share, and the small helpers of their output.

Shared options are parsed once here, so `verify` and `doctor` read a
Prometheus the same way and every command overrides a profile the same way.
"""

from __future__ import annotations

import functools
import sys
import time as clock
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import click

from ccdash.build.config import SCHEMAS, Config, load
from ccdash.errors import ConfigError


def profile_options(command):
    """--profile, --set, --raw: override the profile ccdash.yaml gives a dashboard's pack."""

    @click.option(
        "--profile",
        "naming",
        metavar="NAMING",
        help="Metric-naming pipeline, e.g. collector or mimir (default from ccdash.yaml).",
    )
    @click.option(
        "--set",
        "settings",
        multiple=True,
        metavar="KEY=VALUE",
        help="Any other profile setting of ccdash.yaml's `profiles:`, e.g. "
        "token_label=token_type; repeatable.",
    )
    @click.option(
        "--raw/--recording-rules",
        "raw",
        default=None,
        help="Read raw counters instead of ccdash's recording rules (default from ccdash.yaml).",
    )
    @click.pass_obj
    @functools.wraps(command)
    def wrapper(root: Path, naming, settings, raw, **kwargs):
        changes = dict(_setting(text) for text in settings)
        config = load(root).with_overrides(
            **changes, naming=naming, recording_rules=None if raw is None else not raw
        )
        return command(config, **kwargs)

    return wrapper


def schema_option(command):
    """--schema: the dashboard schema to emit, over ccdash.yaml's `schema:`."""

    @click.option(
        "--schema",
        type=click.Choice(SCHEMAS),
        default=None,
        help="classic (Grafana's JSON model) or v2 (a dashboard.grafana.app/v2 resource, "
        "Grafana 13); default from ccdash.yaml's schema:, else classic.",
    )
    @functools.wraps(command)
    def wrapper(config: Config, schema: str | None, **kwargs):
        if schema:  # the flag wins over the project's and every instance's setting
            instances = {n: replace(i, schema="") for n, i in config.instances.items()}
            config = replace(config, schema=schema, instances=instances)
        return command(config, **kwargs)

    return wrapper


def _setting(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ConfigError(f"--set: {text!r} is not KEY=VALUE")
    return key, value


def prometheus_options(command):
    """--prometheus, --range, --at: the Prometheus client and the evaluated window."""

    @click.option(
        "--prometheus",
        "url",
        required=True,
        envvar="PROMETHEUS_URL",
        help="Prometheus base URL (or PROMETHEUS_URL). Credentials: PROMETHEUS_TOKEN, or "
        "PROMETHEUS_USER and PROMETHEUS_PASSWORD.",
    )
    @click.option(
        "--range",
        "range_",
        default="7d",
        show_default=True,
        help="Time range to evaluate, ending at --at.",
    )
    @click.option(
        "--at",
        "--time",
        "at",
        default="now",
        show_default=True,
        help="Evaluation time, the end of the range: now, a Unix timestamp or an ISO 8601 time.",
    )
    @functools.wraps(command)
    def wrapper(config: Config, url: str, range_: str, at: str, **kwargs):
        from ccdash.check.interpolate import parse_duration
        from ccdash.check.promapi import PrometheusClient

        try:
            range_s = parse_duration(range_)
        except ValueError as exc:
            raise ConfigError(f"--range: {exc}") from None
        when = _parse_time(at, "--at")
        return command(config, client=PrometheusClient(url), range_s=range_s, when=when, **kwargs)

    return wrapper


def dashboard_option(command):
    return click.option("--dashboard", "uid", help="Only this dashboard uid.")(command)


def progress(label: str):
    """A progress bar over an iterable on a terminal; nothing on pipes, in CI and tests."""
    if not sys.stderr.isatty():
        return lambda items: items

    def wrap(items):
        with click.progressbar(list(items), label=label, file=sys.stderr) as shown:
            yield from shown

    return wrap


def _parse_time(text: str, option: str) -> float:
    if text == "now":
        return clock.time()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ConfigError(
            f"{option}: {text!r} is not now, a Unix timestamp or an ISO 8601 time"
        ) from None


def count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"
