"""The pipeline's configuration files, parsed, for the tests that hold them together.

The collector, Tempo, Prometheus, the Compose stack and the Helm values are
hand-written YAML that must agree with each other and with the dashboard's
profile; these helpers read them the way the tools do (paths inside a
container resolved through the Compose mounts), so each test states a
relation between files rather than re-parsing them.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path, PurePosixPath

import yaml

from tests.conftest import ROOT

PIPELINE = ROOT / "pipeline"
COLLECTOR = PIPELINE / "otel-collector.yaml"
TEMPO = PIPELINE / "tempo.yaml"
PROMETHEUS = PIPELINE / "prometheus.yml"
STACK = ROOT / "stack"
COMPOSE = STACK / "compose.yaml"
PROVISIONING = STACK / "grafana" / "provisioning"
HELM = ROOT / "k8s" / "helm"

_GO_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


@cache
def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def go_duration(text: str) -> float:
    """Seconds in a Go duration ("168h", "1h30m"); Go has no `d`, so "7d" is an error."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{text!r} is not a Go duration")
    return sum(float(n) * _GO_UNITS[u] for n, u in parts)


def host_port(endpoint: str) -> tuple[str, int]:
    """("tempo", 4317) from "tempo:4317" or "http://tempo:4317/path"."""
    match = re.match(r"^(?:[a-z]+://)?([^:/]+):(\d+)", endpoint)
    assert match, f"no host:port in {endpoint!r}"
    return match.group(1), int(match.group(2))


def service(name: str) -> dict:
    return load(COMPOSE)["services"][name]


def mounts(name: str) -> list[tuple[str, PurePosixPath]]:
    """(source as written, container path) of a service's volumes, short syntax."""
    result = []
    for volume in service(name).get("volumes", []):
        source, target, *_ = volume.split(":")
        result.append((source, PurePosixPath(target)))
    return result


def bind_mounts(name: str) -> list[tuple[Path, PurePosixPath]]:
    """Bind mounts (sources that are paths), resolved relative to the Compose file."""
    return [
        ((COMPOSE.parent / source).resolve(), target)
        for source, target in mounts(name)
        if source.startswith((".", "/"))
    ]


def to_host(name: str, container_path: str) -> Path:
    """The repository path a container path of a service reads, through its bind mounts."""
    path = PurePosixPath(container_path)
    for source, target in bind_mounts(name):
        if path == target or target in path.parents:
            return source / path.relative_to(target)
    raise AssertionError(f"{container_path} is not bind-mounted into {name}")
