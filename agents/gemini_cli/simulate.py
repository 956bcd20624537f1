"""A deterministic Gemini CLI fleet: its counters as a Prometheus would hold them, and the truth.

Sessions make API requests; each request adds tokens by type and one API
request to cumulative per-session counters, which the client exports every
EXPORT_INTERVAL and the collector exposes until `metric_expiration` after
the last export. Prometheus scrapes every 15 s, except during outages. The
truth counts each increment once, at the first stored scrape that shows
it: what reached Prometheus, which is what a right dashboard shows.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.gemini_cli.prices import per_token
from agents.gemini_cli.telemetry import Profile
from devtools.load import Simulator
from devtools.openmetrics import BlockWriter, Labels
from devtools.timeline import DAY, HOUR, ORIGIN, Timeline

SCRAPE_INTERVAL, SCRAPE_OFFSET = 15, 7
EXPORT_INTERVAL = 10


@dataclass(frozen=True)
class Scenario(Timeline):
    name: str
    description: str
    users: int = 8
    days: float = 2
    sessions_per_day: tuple[int, int] = (2, 4)
    models: dict[str, float] = field(
        default_factory=lambda: {"gemini-2.5-pro": 0.4, "gemini-2.5-flash": 0.6}
    )
    teams: tuple[str, ...] = ("platform", "payments")
    error_rate: float = 0.05
    metric_expiration: float = 30 * 60
    # Prometheus down: (hour from the start, minutes); no scrape stored, no rule run.
    outages: tuple[tuple[float, float], ...] = ()
    # (end hour from the start, range in hours) of the evaluated windows.
    windows: tuple[tuple[float, float], ...] = ((48, 48), (36, 24), (14, 6))
    seed: int = 7


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("gemini-steady", "8 users over 2 days, two models, a clean pipeline"),
        Scenario(
            "gemini-outage",
            "the same fleet with Prometheus down for 20 min mid-morning and 45 min at "
            "noon (longer than nothing: the collector still exposes the series)",
            outages=((9.5, 20), (12, 45), (33, 15)),
        ),
    )
}


@dataclass
class Session:
    session_id: str
    installation_id: str
    team: str
    model: str
    start: float
    end: float
    # (metric key, labels) -> [(time, increment)], in time order
    increments: dict[tuple[str, Labels], list[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )


@dataclass
class Fleet:
    scenario: Scenario
    sessions: list[Session]


def generate(scenario: Scenario) -> Fleet:
    rng = random.Random(scenario.seed)
    sessions = []
    for day in range(math.ceil(scenario.days)):
        for user in range(scenario.users):
            team = scenario.teams[user % len(scenario.teams)]
            for n in range(rng.randint(*scenario.sessions_per_day)):
                start = ORIGIN + day * DAY + rng.uniform(7, 18) * HOUR
                end = min(start + rng.uniform(5, 90) * 60, scenario.end - HOUR)
                if end <= start:
                    continue
                model = rng.choices(list(scenario.models), list(scenario.models.values()))[0]
                s = Session(
                    f"g{day:02d}{user:03d}{n:02d}", f"inst-{user:03d}", team, model, start, end
                )
                # Every third installation runs a release that reports `ok`/`error`.
                _requests(s, rng, scenario.error_rate, textual=user % 3 == 0)
                sessions.append(s)
    return Fleet(scenario, sessions)


def _requests(s: Session, rng: random.Random, error_rate: float, textual: bool) -> None:
    s.increments[("session", ())].append((s.start, 1.0))
    t = s.start + rng.uniform(2, 20)
    while t < s.end:
        failed = rng.random() < error_rate
        if textual:
            status = "error" if failed else "ok"
        else:
            status = rng.choice(("429", "500")) if failed else "200"
        s.increments[("api_requests", (("model", s.model), ("status_code", status)))].append(
            (t, 1.0)
        )
        if not failed:
            prompt = rng.randint(2_000, 60_000)
            tokens = {
                "input": prompt,
                "cache": int(prompt * rng.uniform(0.0, 0.8)),
                "output": rng.randint(50, 4_000),
                "thought": rng.randint(0, 2_000),
                "tool": rng.choice((0, 0, rng.randint(10, 500))),
            }
            for kind, count in tokens.items():
                if count:
                    key = ("tokens", (("model", s.model), ("type", kind)))
                    s.increments[key].append((t, float(count)))
        t += rng.uniform(20, 180)


def _exports(s: Session) -> list[float]:
    """The client's export times: every EXPORT_INTERVAL from start, and one at exit."""
    times = [
        s.start + k * EXPORT_INTERVAL for k in range(int((s.end - s.start) // EXPORT_INTERVAL) + 1)
    ]
    return [*times, s.end] if times[-1] < s.end else times


def _scrapes(first: float, last: float) -> range:
    k0 = math.ceil((first - SCRAPE_OFFSET) / SCRAPE_INTERVAL)
    k1 = math.floor((last - SCRAPE_OFFSET) / SCRAPE_INTERVAL)
    return range(
        int(SCRAPE_OFFSET + k0 * SCRAPE_INTERVAL),
        int(SCRAPE_OFFSET + k1 * SCRAPE_INTERVAL) + 1,
        SCRAPE_INTERVAL,
    )


def _down(t: float, gaps: list[tuple[float, float]]) -> bool:
    return any(a <= t < b for a, b in gaps)


def _series(s: Session, fleet: Fleet):
    """Per stream: its samples [(scrape time, value)] and each increment's first stored scrape."""
    exports = _exports(s)
    gaps = fleet.scenario.outage_spans
    for stream, incs in s.increments.items():
        seen_at = [exports[bisect.bisect_left(exports, t)] for t, _ in incs]
        shown = _scrapes(seen_at[0], exports[-1] + fleet.scenario.metric_expiration)
        samples: list[tuple[int, float]] = []
        firsts: list[int | None] = [None] * len(incs)
        cumulative, exported, stored = 0.0, 0, 0
        for scrape in shown:
            while exported < len(incs) and seen_at[exported] <= scrape:
                cumulative += incs[exported][1]
                exported += 1
            if _down(scrape, gaps):
                continue
            samples.append((scrape, cumulative))
            for j in range(stored, exported):
                firsts[j] = scrape
            stored = exported
        yield stream, samples, firsts


def _labels(s: Session, stream: tuple[str, Labels], profile: Profile) -> Labels:
    labels = {
        "session_id": s.session_id,
        "installation_id": s.installation_id,
        "active_approval_mode": "default",
        profile.attribution_label: s.team,
        "job": "otel-collector",
        "instance": "otel-collector:8889",
        **dict(stream[1]),
    }
    return tuple(sorted(labels.items()))


def write_openmetrics(
    fleet: Fleet, profile: Profile, directory: Path, since: float = 0.0
) -> tuple[list[Path], int]:
    writer = BlockWriter(directory, "gemini", gaps=fleet.scenario.outage_spans)
    by_metric: dict[str, list] = defaultdict(list)
    for s in fleet.sessions:
        for stream, samples, _ in _series(s, fleet):
            name = profile.metric(stream[0])
            kept = [(int(t), v) for t, v in samples if t >= since]
            by_metric[name].append((_labels(s, stream, profile), kept))
    for name in sorted(by_metric):
        writer.start_family(name)
        for labels, samples in sorted(by_metric[name]):
            writer.write(name, labels, samples)
    files = writer.close()
    return files, writer.samples


def truth(fleet: Fleet) -> dict[str, Any]:
    """The figures of each evaluation window, from what reached Prometheus."""
    seen: list[tuple[float, Session, tuple[str, Labels], float]] = []
    for s in fleet.sessions:
        for stream, _, firsts in _series(s, fleet):
            for (_, value), first in zip(s.increments[stream], firsts, strict=True):
                if first is not None:
                    seen.append((first, s, stream, value))
    windows = []
    for t, r in fleet.scenario.evaluation_windows():
        inside = [(s, stream, v) for first, s, stream, v in seen if t - r < first <= t]
        windows.append({"time": t, "range_s": r, **_figures(inside)})
    return {"scenario": fleet.scenario.name, "windows": windows}


def _figures(inside) -> dict[str, Any]:
    by_type: dict[str, float] = defaultdict(float)
    cost = sessions = requests = failed = 0.0
    for _, (key, labels), value in inside:
        attrs = dict(labels)
        if key == "session":
            sessions += value
        elif key == "api_requests":
            requests += value
            code = attrs["status_code"]
            failed += value * (code != "ok" and not code.startswith("2"))
        else:
            by_type[attrs["type"]] += value
            cost += value * per_token(attrs["model"])[attrs["type"]]
    return {
        "notional_cost_usd": cost,
        "total_tokens": sum(v for k, v in by_type.items() if k != "cache"),
        "sessions": sessions,
        "cache_hit_ratio": by_type["cache"] / by_type["input"] if by_type["input"] else None,
        "api_error_share": failed / requests if requests else None,
        "tokens_by_type": dict(by_type),
    }


SIMULATOR = Simulator(generate, write_openmetrics, truth, Path(__file__).parent)
# The dashboard's panels that show each true figure: (figure, panel title, breakdown label).
PANEL_FIGURES = [
    ("notional_cost_usd", "Notional cost (USD)", None),
    ("total_tokens", "Total tokens", None),
    ("sessions", "Sessions", None),
    ("cache_hit_ratio", "Cache hit ratio", None),
    ("api_error_share", "API error share", None),
    ("tokens_by_type", "Tokens by type", "type"),
]
