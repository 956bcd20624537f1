"""Shared fixtures: the repository's own project, copies of it, and external tools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ccdash.config import load
from ccdash.project import compile_project

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ("dashboards", "panels", "queries", "ccdash.yaml")


def require_tool(name: str, install_hint: str) -> str:
    """Path of an external tool; skip without it, except in CI where it must be there."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} not found on PATH; {install_hint}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: tests needing it must run, not skip)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def flagship() -> dict:
    """The compiled flagship dashboard with the repository's configuration."""
    dashboards = compile_project(load(ROOT))
    return next(d.model for d in dashboards if d.uid == "claude-code")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the repository's content, to build without touching the checkout."""
    dest = tmp_path / "project"
    dest.mkdir()
    for name in CONTENT:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / name)
    return dest
