"""A real Prometheus on loopback with a temporary TSDB, loaded by `promtool` backfill.

Used by the truth tests, the benchmark and `ccdash simulate --serve`: the
numbers the dashboard shows are only trusted once a real PromQL engine has
computed them from data whose true totals are known.
"""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from ccdash.errors import PrometheusError
from ccdash.openmetrics import BLOCK, BlockWriter
from ccdash.promapi import PrometheusClient
from ccdash.promql import parse_duration

INSTALL_HINT = "install Debian's prometheus package: apt-get install prometheus"
# Rule evaluations 1 s after each scrape (scrapes fall 7 s past each 15 s step).
RULE_PHASE = 8.0


def tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise PrometheusError(f"{name} not found on PATH; {INSTALL_HINT}")
    return path


def backfill(files: list[Path], tsdb: Path, workers: int = 2) -> None:
    """Turn OpenMetrics files into TSDB blocks, one promtool run per file, in parallel."""
    promtool = tool("promtool")
    tsdb.mkdir(parents=True, exist_ok=True)

    def load(path: Path) -> None:
        result = subprocess.run(
            [promtool, "tsdb", "create-blocks-from", "openmetrics", "-q", str(path), str(tsdb)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise PrometheusError(
                f"promtool could not backfill {path.name}: "
                f"{(result.stderr or result.stdout).strip()[-500:]}"
            )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(load, files))


def record_rules(
    client: PrometheusClient,
    groups: list[dict],
    start: float,
    end: float,
    directory: Path,
    phase: float = RULE_PHASE,
) -> list[Path]:
    """Evaluate recording rules over history with Prometheus's engine; OpenMetrics out.

    What `promtool tsdb create-blocks-from rules` does, at a fixed phase:
    promtool offsets a group by a hash of its file path, and when that offset
    falls in the last second of the interval it skips one evaluation at every
    2-hour block boundary, losing that step's growth. Here each group is
    evaluated every `interval` at `phase` seconds past the step, over 2-hour
    query ranges that leave no gap, as a running Prometheus would.
    """
    writer = BlockWriter(directory, "rules")
    for group in groups:
        step = parse_duration(group.get("interval", "1m"))
        first = math.floor(start / step) * step + phase
        for rule in group["rules"]:
            series: dict[tuple, list[tuple[int, float]]] = defaultdict(list)
            t = first
            while t <= end:
                chunk_end = min(t + (BLOCK // step - 1) * step, end)
                result = client.query_range(rule["expr"], t, chunk_end, step)
                if result.error:
                    raise PrometheusError(f"rule {rule['record']}: {result.error}")
                for s in result.series:
                    labels = tuple(sorted(s["metric"].items()))
                    series[labels] += [(int(float(ts)), float(v)) for ts, v in s["values"]]
                t = chunk_end + step
            writer.start_family(rule["record"])
            for labels in sorted(series):
                writer.write(rule["record"], labels, series[labels])
    return writer.close()


class LocalPrometheus:
    """`prometheus` serving a TSDB directory on a free loopback port; a context manager."""

    def __init__(self, tsdb: Path) -> None:
        self.tsdb = tsdb
        self.process: subprocess.Popen | None = None
        self.port = 0
        self._workdir = tempfile.TemporaryDirectory(prefix="ccdash-prometheus-")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> PrometheusClient:
        return PrometheusClient(self.url)

    def __enter__(self) -> LocalPrometheus:
        binary = tool("prometheus")
        work = Path(self._workdir.name)
        config = work / "prometheus.yml"
        config.write_text("global:\n  scrape_interval: 15s\n")
        self.port = _free_port()
        log = work / "prometheus.log"
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.tsdb.path={self.tsdb}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    "--storage.tsdb.retention.time=100y",
                    "--log.level=warn",
                ],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        try:
            self._wait_ready(log)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self, log: Path, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process and self.process.poll() is not None:
                raise PrometheusError(f"prometheus exited: {log.read_text()[-1000:]}")
            try:
                if requests.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise PrometheusError(f"prometheus not ready after {timeout:.0f} s")

    def __exit__(self, *exc) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._workdir.cleanup()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
