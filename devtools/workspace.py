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
