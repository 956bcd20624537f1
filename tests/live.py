"""A live pipeline on loopback, with the faults users meet: figures checked against the truth.

An exporter behaves like the OpenTelemetry collector's `prometheus` exporter
fed by Claude Code: cumulative counters per session, re-exposed after the
session ends (as `metric_expiration` keeps them), every series of a live
process refreshed at each of its exports, a resumed session restarting its
counters on the same series. A real Prometheus scrapes it and evaluates
ccdash's rules live; faults are injected on either side: scrapes answering
500 or hanging past the timeout, the exporter restarting (its series vanish
and only live sessions' come back), Prometheus stopped and restarted on the
same TSDB, other scrape and evaluation intervals.

The truth is the exporter's own log of what each export added. Windows start
and end in quiet periods, so which scrape saw an export never matters.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from agents.claude_code.telemetry import Profile
from devtools.harness import LocalPrometheus

P = Profile()
ACTIVE_S = 100  # the active phase: sessions start, grow, resume and end
EXPORT_EVERY_S = 15  # Claude Code's export interval (60 s by default), shortened
MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5")
TOKEN_TYPES = ("input", "output", "cacheRead", "cacheCreation")


@dataclass(frozen=True)
class Fault:
    at: float  # seconds into the active phase
    kind: str  # "500", "hang", "exporter-restart", "prometheus-restart"
    seconds: float = 0.0  # downtime of a restart


@dataclass(frozen=True)
class LiveCase:
    name: str
    scrape_s: int = 15
    evaluation_s: int = 15
    faults: tuple[Fault, ...] = ()

    @property
    def slowest(self) -> int:
        return max(self.scrape_s, self.evaluation_s)


CASES = [
    LiveCase("clean"),
    LiveCase("one failed scrape (HTTP 500)", faults=(Fault(40, "500"),)),
    LiveCase(
        "several failed scrapes", faults=(Fault(20, "500"), Fault(35, "500"), Fault(50, "500"))
    ),
    LiveCase("one scrape hangs past the timeout", faults=(Fault(40, "hang"),)),
    # Down just as the one-shot session exports (faults go first at a tie): that
    # export is never scraped, and a restarted collector never re-exposes it.
    LiveCase("exporter restart", faults=(Fault(33, "exporter-restart", 20),)),
    LiveCase("Prometheus stopped 60 s", faults=(Fault(20, "prometheus-restart", 60),)),
    LiveCase("scrape every 10 s", scrape_s=10),
    LiveCase("scrape every 30 s", scrape_s=30),
    LiveCase("scrape every 60 s", scrape_s=60),
    LiveCase("rules every 30 s", evaluation_s=30),
    LiveCase("rules every 60 s", evaluation_s=60),
]


@dataclass
class _Session:
    sid: str
    user: str
    team: str
    exports: list[float]  # seconds into the active phase
    resumed_at: float | None = None  # a new process, counters from 0


@dataclass
class Exporter:
    """The collector's exposition of Claude Code's counters, over real HTTP."""

    series: dict[tuple[str, tuple], float] = field(default_factory=dict)
    refreshed: dict[tuple[str, tuple], float] = field(default_factory=dict)
    writer: dict[tuple[str, tuple], int] = field(default_factory=dict)  # the process's id
    # (time, metric, labels, amount, process id, value after it): the truth.
    added: list[tuple[float, str, tuple, float, int, float]] = field(default_factory=list)
    # The highest value a scrape received, per series and process.
    served: dict[tuple[tuple[str, tuple], int], float] = field(default_factory=dict)
    fail: int = 0
    hang: int = 0
    hang_s: float = 0.0
    down_until: float = 0.0
    restarted_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def export(
        self, metric: str, labels: dict[str, str], value: float, now: float, pid: int
    ) -> None:
        """A process's export: the series' new cumulative value."""
        key = (metric, tuple(sorted(labels.items())))
        with self.lock:
            self.series[key] = value
            self.refreshed[key] = now
            self.writer[key] = pid

    def body(self, now: float, delivered: bool = True) -> str:
        """The exposition; `delivered`: the scrape receives it (not one that timed out)."""
        with self.lock:
            # After a restart only series exported since are known again.
            keys = [k for k in self.series if self.refreshed[k] >= self.restarted_at]
            for k in keys if delivered else ():
                seen = (k, self.writer[k])
                self.served[seen] = max(self.served.get(seen, 0.0), self.series[k])
            lines = []
            for metric in sorted({m for m, _ in keys}):
                lines.append(f"# TYPE {metric} counter")
                for m, labels in sorted(keys):
                    if m == metric:
                        text = ",".join(f'{k}="{v}"' for k, v in labels)
                        lines.append(f"{metric}{{{text}}} {self.series[(m, labels)]!r}")
            return "\n".join(lines) + "\n"

    def serve(self) -> ThreadingHTTPServer:
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                now = time.time()
                if now < exporter.down_until:
                    self.close_connection = True  # no answer at all: the scrape fails
                    return
                if exporter.fail:
                    exporter.fail -= 1
                    self.send_error(500)
                    return
                hung = exporter.hang > 0
                if hung:
                    exporter.hang -= 1
                    time.sleep(exporter.hang_s)
                data = exporter.body(now, delivered=not hung).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # A hung scrape: Prometheus gave up and closed the connection.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


def _sessions(rng: random.Random) -> tuple[list[_Session], list[_Session]]:
    """(sessions exposed before the rules started, sessions of the active phase)."""
    every = [i * EXPORT_EVERY_S for i in range(ACTIVE_S // EXPORT_EVERY_S + 1)]
    old = [
        _Session("old-growing", "u1", "red", every[2:5]),  # picks up where it was
        _Session("old-idle", "u2", "blue", []),  # re-exposed, unchanged
        # Resumed late, away from the faults: a failed scrape hiding a resumed
        # process's first, lower, export would make the reset invisible to any
        # PromQL (the documented resumed-session limit), which is not under test.
        _Session("old-resumed", "u2", "blue", every[6:], resumed_at=every[6]),
    ]
    new = [
        _Session("new-long", "u1", "red", every[1:]),
        _Session("new-ending", "u3", "blue", every[0:3]),
        _Session("new-late", "u3", "blue", every[4:]),
        _Session("new-oneshot", "u4", "red", [every[2] + 3]),  # `claude -p`: one export
    ]
    return old, new


class _Process:
    """A Claude Code process's cumulative counters; exports all of them each time.

    What each export adds is logged on the process's side: the truth, even
    where a counter reset would hide it from Prometheus.
    """

    def __init__(self, s: _Session, rng: random.Random) -> None:
        self.s, self.rng = s, rng
        self.values: dict[tuple[str, tuple], float] = defaultdict(float)
        self.pending: dict[tuple[str, tuple], float] = defaultdict(float)

    def _labels(self, **extra: str) -> dict[str, str]:
        return {"session_id": self.s.sid, "user_id": self.s.user, "team": self.s.team,
                "terminal_type": "vscode", **extra}  # fmt: skip

    def _add(self, key: tuple[str, tuple], amount: float) -> None:
        self.values[key] += amount
        self.pending[key] += amount

    def work(self) -> None:
        rng = self.rng
        for model in MODELS:
            self._add((P.metric("cost"), (model,)), round(rng.uniform(0.01, 0.4), 4))
            for kind in TOKEN_TYPES:
                self._add((P.metric("tokens"), (model, kind)), rng.randint(50, 20000))
        self._add((P.metric("active_time"), ("cli",)), rng.randint(1, 14))
        if not self.values[(P.metric("session"), ())]:
            self._add((P.metric("session"), ()), 1)

    def export(self, exporter: Exporter, now: float) -> None:
        for (metric, extra), value in self.values.items():
            if metric == P.metric("cost"):
                labels = self._labels(model=extra[0], query_source="main")
            elif metric == P.metric("tokens"):
                labels = self._labels(model=extra[0], type=extra[1])
            elif metric == P.metric("active_time"):
                labels = self._labels(type=extra[0])
            else:
                labels = self._labels()
            exporter.export(metric, labels, round(value, 6), now, id(self))
            amount = self.pending.pop((metric, extra), 0.0)
            if amount:
                row = (
                    now,
                    metric,
                    tuple(sorted(labels.items())),
                    amount,
                    id(self),
                    round(value, 6),
                )
                exporter.added.append(row)


def truth(exporter: Exporter, start: float, end: float, reached: bool = False) -> dict[str, Any]:
    """The headline figures for (start, end], from what the exports added.

    `reached`: only what a scrape received, at once or in a later value of
    the same process (an export made while nothing could be scraped, and
    never re-exposed, never reached Prometheus: no formulation can count it).
    """
    cost: dict[str, float] = defaultdict(float)
    tokens = 0.0
    active: dict[str, str] = {}
    for t, metric, labels, amount, pid, value in exporter.added:
        if not start < t <= end:
            continue
        if reached and exporter.served.get(((metric, labels), pid), -1.0) < value:
            continue
        label = dict(labels)
        if metric == P.metric("cost"):
            cost[label["session_id"]] += amount
        elif metric == P.metric("tokens"):
            tokens += amount
        if metric in (P.metric("session"), P.metric("active_time")):
            active[label["session_id"]] = label["user_id"]
    return {
        "notional_cost_usd": sum(cost.values()),
        "total_tokens": tokens,
        "sessions": len(active),
        "active_users": len(set(active.values())),
        "cost_by_session": dict(cost),
    }


def prometheus_config(case: LiveCase, port: int, rule_files: list[str]) -> str:
    config = {
        "global": {
            "scrape_interval": f"{case.scrape_s}s",
            "scrape_timeout": f"{min(case.scrape_s, 10)}s",
            "evaluation_interval": f"{case.evaluation_s}s",
        },
        "rule_files": rule_files,
        "scrape_configs": [
            {
                "job_name": "otel-collector",
                "honor_labels": True,
                "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
            }
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


def at_interval(rules_text: str, interval_s: int) -> str:
    """A rule file with every group evaluated at another interval (a user's or Mimir's)."""
    doc = yaml.safe_load(rules_text)
    for group in doc["groups"]:
        group["interval"] = f"{interval_s}s"
    return yaml.safe_dump(doc, sort_keys=False, width=float("inf"))


@dataclass
class LiveRun:
    case: LiveCase
    exporter: Exporter
    start: float  # the window: (start, end]
    end: float
    prometheus: LocalPrometheus


def run(case: LiveCase, rules: dict[str, str], tsdb: Path, seed: int = 7) -> LiveRun:
    """Play the case in real time (a few minutes); returns with Prometheus still serving.

    `rules` maps rule-file names to their text (each group run at the case's
    evaluation interval). The caller exits `run.prometheus` when done.
    """
    rng = random.Random(seed)
    exporter = Exporter()
    server = exporter.serve()
    port = server.server_address[1]
    files = {name: at_interval(text, case.evaluation_s) for name, text in rules.items()}
    config = prometheus_config(case, port, sorted(files))
    old, new = _sessions(rng)
    t0 = time.time()
    processes = {s.sid: _Process(s, rng) for s in old + new}
    for s in old:  # what they did before anyone looked (more than a resumed process redoes)
        for _ in range(4):
            processes[s.sid].work()
        processes[s.sid].export(exporter, t0 - 600)
    prom = LocalPrometheus(tsdb, config, files).__enter__()
    warm = max(45, 2 * case.slowest)
    start = float(int(t0 + warm))
    active = start + 10
    # (time, action) in order: exports, faults.
    plan: list[tuple[float, int, Any]] = []
    for s in old + new:
        for at in s.exports:
            plan.append((active + at, 1, s))
    for fault in case.faults:
        plan.append((active + fault.at, 0, fault))
        if fault.kind == "prometheus-restart":  # exports go on while it is down
            plan.append((active + fault.at + fault.seconds, 0, Fault(0, "prometheus-start")))
    plan.sort(key=lambda item: (item[0], item[1]))
    for when, _, what in plan:
        time.sleep(max(0.0, when - time.time()))
        now = time.time()
        if isinstance(what, Fault):
            prom = _inject(what, exporter, prom, tsdb, config, files, case)
            continue
        process = processes[what.sid]
        if what.resumed_at is not None and now - active >= what.resumed_at:
            process = processes[what.sid] = _Process(what, rng)  # a new process
            what.resumed_at = None
        process.work()
        process.export(exporter, now)
    last = max(when for when, _, _ in plan)
    end = float(int(max(last, time.time()) + 2 * case.slowest + 15))
    time.sleep(max(0.0, end + 1 - time.time()))
    server.shutdown()
    server.server_close()
    return LiveRun(case, exporter, start, end, prom)


def _inject(fault, exporter, prom, tsdb, config, files, case) -> LocalPrometheus:
    if fault.kind == "500":
        exporter.fail += 1
    elif fault.kind == "hang":
        exporter.hang, exporter.hang_s = 1, min(case.scrape_s, 10) + 3
    elif fault.kind == "exporter-restart":
        exporter.down_until = exporter.restarted_at = time.time() + fault.seconds
    elif fault.kind == "prometheus-restart":
        prom.__exit__()
    elif fault.kind == "prometheus-start":
        prom = LocalPrometheus(tsdb, config, files).__enter__()
    else:
        raise ValueError(f"unknown fault {fault.kind}")
    return prom


def run_all(rules: dict[str, str], workdir: Path, cases=CASES) -> dict[str, LiveRun]:
    """Every case at once (they mostly wait): the wall time of the slowest, ~6 minutes."""
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        runs = pool.map(lambda c: run(c, rules, workdir / c.name.replace(" ", "-")), cases)
        return {r.case.name: r for r in runs}
