"""OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`, one file per 2-hour block.

promtool re-reads its whole input for every block it writes, so one file per
block makes backfilling linear in the data instead of quadratic (measured
~30x faster on a 3-day fleet).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

BLOCK = 2 * 3600

Labels = tuple[tuple[str, str], ...]


class BlockWriter:
    """One OpenMetrics file per 2-hour block, families contiguous in each, streamed to disk."""

    def __init__(
        self, directory: Path, prefix: str, gaps: list[tuple[float, float]] | None = None
    ) -> None:
        """`gaps`: [start, end) spans where nothing is written (Prometheus was down)."""
        directory.mkdir(parents=True, exist_ok=True)
        self.gaps = gaps or []
        self.directory = directory
        self.prefix = prefix
        self.files: dict[int, TextIO] = {}
        self.headed: dict[int, str] = {}
        self.family = ""
        self.samples = 0

    def start_family(self, name: str) -> None:
        self.family = name

    def write(self, name: str, labels: Labels, samples: Iterable[tuple[int, float]]) -> None:
        text = "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"
        for ts, value in samples:
            if any(a <= ts < b for a, b in self.gaps):
                continue
            block = ts // BLOCK
            out = self.files.get(block) or self._open(block)
            if self.headed.get(block) != self.family:
                out.write(f"# TYPE {self.family} unknown\n")
                self.headed[block] = self.family
            out.write(f"{name}{text} {_number(value)} {ts}\n")
            self.samples += 1

    def _open(self, block: int) -> TextIO:
        path = self.directory / f"{self.prefix}-{block * BLOCK}.om"
        handle = self.files[block] = path.open("w", encoding="utf-8")
        return handle

    def close(self) -> list[Path]:
        paths = []
        for _, handle in sorted(self.files.items()):
            handle.write("# EOF\n")
            handle.close()
            paths.append(Path(handle.name))
        return paths


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))
