"""Shared fixtures: the repository's own project, copies of it, and external tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import NoReturn

import pytest

from agents.claude_code.simulate import SIMULATOR, scenarios
from ccdash.build.config import load
from ccdash.build.project import BuiltDashboard, compile_project
from devtools.harness import INSTALL_HINT, LocalPrometheus
from devtools.load import load_cached
from devtools.workspace import copy_project

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = "claude-code"
ATTRIBUTION = "claude-code-attribution"
# Loaded scenarios, kept between runs under a key of their whole content
# (devtools.load.load_cached); `make clean` removes them.
TSDB_CACHE = Path(os.environ.get("CCDASH_TSDB_CACHE", ROOT / ".cache" / "tsdb"))


def run_script(name: str, *args: str) -> subprocess.CompletedProcess:
    """One of scripts/ run as a user runs it, with this interpreter."""
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *args],
        capture_output=True,
        text=True,
        check=False,
    )


def require_tool(name: str, install_hint: str) -> str:
    """Path of an external tool; skip without it, except in CI where it must be there."""
    path = shutil.which(name)
    if path:
        return path
    unavailable(f"{name} not found on PATH; {install_hint}")


def unavailable(message: str) -> NoReturn:
    """Skip a test whose prerequisite is missing, except in CI where it must be there."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: tests needing it must run, not skip)")
    pytest.skip(message)


LIVE = "tests.test_live"


# Fixtures that start a real Prometheus loaded with a scenario: minutes each.
SERVING_FIXTURES = frozenset({"serve", "stack_prometheus"})


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by the marks added here
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what needs a served Prometheus (`make test` leaves it to `make test-all`),
    and run the live fault cases' checks last: they wait for cases started at collection."""
    for item in items:
        if SERVING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.prometheus)
    items.sort(key=lambda item: item.module.__name__ == LIVE)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the live fault cases at once when they are selected: they take minutes of
    real time, mostly waiting, which the rest of the suite then overlaps."""
    if not shutil.which("prometheus"):
        return
    if any(item.module.__name__ == LIVE for item in session.items):
        from tests import test_live

        workdir = Path(tempfile.mkdtemp(prefix="ccdash-live-"))
        session.config.live_workdir = workdir
        session.config.live_runs = test_live.start(workdir)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def flagship() -> dict:
    """The compiled flagship dashboard with the repository's configuration."""
    return compile_project(load(ROOT)).dashboard(FLAGSHIP).model


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repository's content, to build without touching the checkout."""
    return copy_project(ROOT, tmp_path / "project")


@pytest.fixture(scope="session")
def serve(tmp_path_factory):
    """serve(name, rules=True, rules_from_hour=None, alerts=False) -> (loaded scenario, client,
    flagship model); `alerts` also records the rules the alerts read (their `record` rules).

    Each scenario is generated, backfilled and served by a real Prometheus on
    loopback once per test session, then shared by every test that asks.
    """
    require_tool("prometheus", INSTALL_HINT)
    require_tool("promtool", INSTALL_HINT)
    config = load(ROOT)
    project = compile_project(config)
    served = {}
    with ExitStack() as stack:

        def get(name: str, rules: bool = True, rules_from_hour: float | None = None, alerts=False):
            """`rules_from_hour`: rules loaded that long after the history began."""
            key = (name, rules, rules_from_hour, alerts)
            if key not in served:
                groups = project.dashboard(FLAGSHIP).rule_groups if rules else []
                if alerts:
                    groups = groups + recording_part(project.dashboard(FLAGSHIP).alert_groups)
                scenario = scenarios.get(name)
                late = None if rules_from_hour is None else scenario.start + rules_from_hour * 3600
                workdir = tmp_path_factory.mktemp(f"{name}-{'rules' if rules else 'raw'}")
                profile = project.dashboard(FLAGSHIP).profile
                loaded = load_cached(
                    SIMULATOR, scenario, profile, groups, workdir, TSDB_CACHE, late
                )
                prom = stack.enter_context(LocalPrometheus(loaded.tsdb))
                served[key] = (loaded, prom.client(), project.dashboard(FLAGSHIP).model)
            return served[key]

        yield get


def recording_part(groups: list[dict]) -> list[dict]:
    """The recording rules of rule groups that also hold alerts."""
    kept = [{**g, "rules": [r for r in g["rules"] if "record" in r]} for g in groups]
    return [g for g in kept if g["rules"]]


def flagship_for(**settings) -> dict:
    """The flagship dashboard built with some profile settings changed (as `--set` would)."""
    return flagship_build(**settings).model


def flagship_build(**settings) -> BuiltDashboard:
    return built(FLAGSHIP, **settings)


def built(uid: str, **settings) -> BuiltDashboard:
    """A dashboard of the repository, built with some profile settings changed."""
    config = load(ROOT).with_overrides(**settings)
    return compile_project(config, uid).dashboard(uid)
