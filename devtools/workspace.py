"""A copy of a project's content, for tests and benchmarks that must not touch the checkout."""

from __future__ import annotations

import shutil
from pathlib import Path

from ccdash.build.config import CONFIG_FILE
from ccdash.build.loader import CONTENT_PACKAGES


def copy_project(root: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in (*CONTENT_PACKAGES, CONFIG_FILE):
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    """Replace text a test relies on: a silent no-op edit would pass for the wrong reason."""
    text = path.read_text()
    if old not in text:
        raise AssertionError(f"{path.name} no longer contains {old!r}")
    path.write_text(text.replace(old, new))
