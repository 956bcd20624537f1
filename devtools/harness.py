"""A real Prometheus on loopback with a temporary TSDB, loaded by `promtool` backfill.

Used by the truth tests, the benchmark and `ccdash simulate --serve`: the
numbers the dashboard shows are only trusted once a real PromQL engine has
computed them from data whose true totals are known.
"""

from __future__ import annotations

import math
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from ccdash.check.interpolate import parse_duration
from ccdash.check.promapi import PrometheusClient
from ccdash.errors import PrometheusError
from devtools.openmetrics import BLOCK, BlockWriter

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


def rule_stages(groups: list[dict]) -> list[list[dict]]:
    """The groups split into stages, each reading only raw series or earlier stages' records.

    A running Prometheus evaluates a group's rules in order, each seeing what
    the previous ones wrote; a backfill by range queries cannot, so it must
    evaluate, load and restart once per stage.
    """
    stage_of: dict[str, int] = {}
    staged: list[list[dict]] = []
    for group in groups:
        for rule in group["rules"]:
            reads = [stage_of[name] for name in stage_of if _reads(rule["expr"], name)]
            stage = 1 + max(reads, default=-1)
            stage_of.setdefault(rule["record"], stage)
            while len(staged) <= stage:
                staged.append([])
            target = next((g for g in staged[stage] if g["name"] == group["name"]), None)
            if target is None:
                target = {**group, "rules": []}
                staged[stage].append(target)
            target["rules"].append(rule)
    return staged


def _reads(expr: str, name: str) -> bool:
    return re.search(rf"(?<![\w:]){re.escape(name)}(?![\w:])", expr) is not None


def record_rules(
    client: PrometheusClient,
    groups: list[dict],
    start: float,
    end: float,
    directory: Path,
    phase: float = RULE_PHASE,
    workers: int = 2,
    gaps: list[tuple[float, float]] | None = None,
) -> list[Path]:
    """Evaluate recording rules over history with Prometheus's engine; OpenMetrics out.

    What `promtool tsdb create-blocks-from rules` does, at a fixed phase:
    promtool offsets a group by a hash of its file path, and when that offset
    falls in the last second of the interval it skips one evaluation at every
    2-hour block boundary, losing that step's growth. Here each group is
    evaluated every `interval` at `phase` seconds past the step, over 2-hour
    query ranges that leave no gap, as a running Prometheus would.
    """

    def evaluate(step: float, rule: dict) -> dict[tuple, list[tuple[int, float]]]:
        series: dict[tuple, list[tuple[int, float]]] = defaultdict(list)
        t = math.floor(start / step) * step + phase
        while t <= end:
            chunk_end = min(t + (BLOCK // step - 1) * step, end)
            result = client.query_range(rule["expr"], t, chunk_end, step)
            if result.error:
                raise PrometheusError(f"rule {rule['record']}: {result.error}")
            for s in result.series:
                # As Prometheus records it: the rule's name and labels win.
                metric = {k: v for k, v in s["metric"].items() if k != "__name__"}
                labels = tuple(sorted({**metric, **rule.get("labels", {})}.items()))
                series[labels] += [(int(float(ts)), float(v)) for ts, v in s["values"]]
            t = chunk_end + step
        # Dropping the name can merge two result series into one (`a - b or a < b`
        # names its two sides differently): put their samples back in order.
        return {labels: sorted(samples) for labels, samples in series.items()}

    rules = [
        (parse_duration(group.get("interval", "1m")), rule)
        for group in groups
        for rule in group["rules"]
    ]
    # Two queries at a time keep both cores of a small machine busy; one
    # family per record name (a heartbeat is recorded by every group).
    families: dict[str, dict[tuple, list[tuple[int, float]]]] = defaultdict(dict)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for (_, rule), series in zip(rules, pool.map(lambda r: evaluate(*r), rules), strict=True):
            families[rule["record"]].update(series)
    writer = BlockWriter(directory, "rules", gaps)
    for record, series in families.items():
        writer.start_family(record)
        for labels in sorted(series):
            writer.write(record, labels, series[labels])
    return writer.close()


class LocalPrometheus:
    """`prometheus` serving a TSDB directory on a free loopback port; a context manager."""

    def __init__(self, tsdb: Path, config: str = "", files: dict[str, str] | None = None) -> None:
        """`config` (prometheus.yml) and `files` (say, its rule files) go in a work directory."""
        self.tsdb = tsdb
        self.config = config or "global:\n  scrape_interval: 15s\n"
        self.files = files or {}
        self.process: subprocess.Popen | None = None
        self.port = 0
        self._workdir = tempfile.TemporaryDirectory(prefix="ccdash-prometheus-")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> PrometheusClient:
        return PrometheusClient(self.url)

    def wait_compacted(self, timeout: float = 900) -> int:
        """Wait for the server's first compaction cycle to settle; returns the blocks loaded.

        Backfill leaves one block per 2 hours, raw and recorded ones
        overlapping; a Prometheus that has held the data for a week would
        have merged them into a few large blocks, and queries over many small
        overlapping blocks are several times slower. The TSDB compacts one
        minute after start (a fixed timer) and keeps going until nothing is
        left to merge; settled = blocks and compaction counts unchanged for
        several polls after the first trigger.
        """
        deadline = time.monotonic() + timeout
        seen: list[tuple[float, ...]] = []
        while time.monotonic() < deadline:
            text = requests.get(f"{self.url}/metrics", timeout=10).text
            values = {
                line.split()[0]: float(line.split()[1])
                for line in text.splitlines()
                if line.startswith("prometheus_tsdb_")
                and not line.startswith("#")
                and "{" not in line.split()[0]
            }
            if values.get("prometheus_tsdb_compactions_failed_total", 0):
                raise PrometheusError("prometheus failed to compact the loaded TSDB")
            state = (
                values.get("prometheus_tsdb_blocks_loaded", 0),
                values.get("prometheus_tsdb_compactions_total", 0),
            )
            triggered = values.get("prometheus_tsdb_compactions_triggered_total", 0) >= 1
            seen = [*seen[-3:], state] if triggered else []
            if len(seen) == 4 and len(set(seen)) == 1:
                return int(state[0])
            time.sleep(2)
        raise PrometheusError(f"prometheus did not finish compacting in {timeout:.0f} s")

    def peak_rss_bytes(self) -> int:
        """The server's peak resident memory so far (Linux VmHWM), for benchmarks."""
        if not self.process:
            raise PrometheusError("prometheus is not running")
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(kib) * 1024

    def __enter__(self) -> LocalPrometheus:
        binary = tool("prometheus")
        work = Path(self._workdir.name)
        config = work / "prometheus.yml"
        config.write_text(self.config)
        for name, text in self.files.items():
            (work / name).write_text(text)
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
