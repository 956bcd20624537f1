"""Users, sessions and processes of a simulated Claude Code fleet, and what each one did.

Everything is drawn from one seeded `random.Random`, so a scenario always
produces the same fleet. Events are kept as plain increments of a metric
series (the unit Claude Code's counters add up) and span records (what
Tempo's metrics-generator counts), which is all the exposition and the truth
need.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from dataclasses import dataclass, field

from agents.claude_code.simulate.scenarios import Scenario
from agents.claude_code.telemetry import (
    REDACTED_CUSTOM,
    REDACTED_THIRD_PARTY,
    SPAN_BLOCKED_ON_USER,
    SPAN_INTERACTION,
    SPAN_LLM_REQUEST,
    SPAN_TOOL,
)

EXPORT_INTERVAL = 60.0  # OTEL_METRIC_EXPORT_INTERVAL default

# Notional list prices, USD per million tokens: input, output, cache read, cache write.
PRICES: dict[str, tuple[float, float, float, float]] = {
    "claude-opus-4-7": (15.0, 75.0, 1.5, 18.75),
    "claude-opus-4-7[1m]": (30.0, 112.5, 3.0, 37.5),
    "claude-sonnet-4-5": (3.0, 15.0, 0.3, 3.75),
    "claude-haiku-4-5": (1.0, 5.0, 0.1, 1.25),
}
# Median LLM latency in seconds per model.
LATENCY = {
    "claude-opus-4-7": 14.0,
    "claude-opus-4-7[1m]": 20.0,
    "claude-sonnet-4-5": 7.0,
    "claude-haiku-4-5": 1.8,
}
TOOLS = ("Read", "Edit", "Bash", "Grep", "Write", "Glob")
EDIT_TOOLS = ("Edit", "Write")
NEEDS_APPROVAL = ("Edit", "Bash", "Write")
TERMINALS = ("vscode", "iTerm.app", "ghostty", "tmux", "cursor")
LANGUAGES = ("Python", "TypeScript", "Go", "Markdown")

# What drove a request, as it arrives (names not Claude Code's own or an
# official marketplace's already redacted). Subagent types and their weights:
AGENTS = {"general-purpose": 0.4, "Explore": 0.3, "Plan": 0.1, REDACTED_CUSTOM: 0.2}
# Skills, and the plugin each comes with ("" = none).
SKILLS = {"pdf": "", "xlsx": "", "code-review": "pr-review-toolkit", REDACTED_CUSTOM: ""}
# MCP servers: their tools and plugin. A third-party plugin's server is redacted whole.
MCP_SERVERS: dict[str, tuple[tuple[str, ...], str]] = {
    "github": (("create_pull_request", "search_code"), ""),
    "linear": (("list_issues", "create_issue"), ""),
    REDACTED_CUSTOM: ((REDACTED_CUSTOM,), ""),
    REDACTED_THIRD_PARTY: ((REDACTED_THIRD_PARTY,), REDACTED_THIRD_PARTY),
}
EFFORTS = {"low": 0.2, "medium": 0.5, "high": 0.3}
# High effort thinks longer: more output tokens.
EFFORT_OUTPUT = {"low": 0.6, "medium": 1.0, "high": 1.8}
SPEEDS = {"normal": 0.85, "fast": 0.15}
# Fast mode's list prices are a multiple of the normal ones.
FAST_PRICE = 2.0
# Requests of custom subagents and after a third-party MCP tool (whose
# definitions change the prompt prefix) read less of their prompt from cache.
POOR_CACHE = {REDACTED_CUSTOM: 0.4, REDACTED_THIRD_PARTY: 0.5}


@dataclass(frozen=True)
class User:
    id: str
    email: str | None
    team: str | None
    terminal: str
    service: str  # service.name: claude-code or claude-code-desktop
    host: str


@dataclass
class Process:
    """One OS process of a session: its counters start at 0 and export every 60 s."""

    session_id: str
    user: User
    start: float
    end: float
    start_type: str
    # The session's settings and extensions: effort, speed, skill, MCP server and tools.
    habits: Habits
    # (time, metric key, extra labels, amount), in time order after finish().
    increments: list[tuple[float, str, tuple[tuple[str, str], ...], float]] = field(
        default_factory=list
    )

    def add(self, t: float, key: str, amount: float, **labels: str) -> None:
        self.increments.append((t, key, tuple(sorted(labels.items())), amount))

    def export_times(self) -> list[float]:
        """Periodic exports while the process lives, then the flush at exit."""
        times = []
        t = self.start + EXPORT_INTERVAL
        while t < self.end:
            times.append(t)
            t += EXPORT_INTERVAL
        times.append(self.end)
        return times


@dataclass(frozen=True)
class Habits:
    """How one session works: drawn from its own generator, seeded by the session id,
    so adding attributes to the fleet moved no event of the fleets before them."""

    rng: random.Random
    effort: str
    speed: str
    skill: str  # "" = none
    mcp_server: str
    mcp_tools: tuple[str, ...]

    @classmethod
    def draw(cls, seed: int, session_id: str) -> Habits:
        rng = random.Random(f"{seed}-{session_id}")
        effort = _weighted(rng, EFFORTS)
        speed = _weighted(rng, SPEEDS)
        skill = rng.choice(list(SKILLS)) if rng.random() < 0.3 else ""
        server, tools = "", ()
        if rng.random() < 0.4:
            server = rng.choice(list(MCP_SERVERS))
            known = MCP_SERVERS[server][0]
            tools = tuple(rng.sample(known, rng.randint(1, len(known))))
        return cls(rng, effort, speed, skill, server, tools)

    def attributes(self, source: str, model: str) -> dict[str, str]:
        """The attribution labels of one request of this session."""
        labels = {"speed": self.speed}
        if not model.startswith("claude-haiku"):  # models without effort levels
            labels["effort"] = self.effort
        if source == "subagent":
            labels["agent_name"] = _weighted(self.rng, AGENTS)
        elif source == "main":
            if self.skill and self.rng.random() < 0.5:
                labels["skill_name"] = self.skill
                if SKILLS[self.skill]:
                    labels["plugin_name"] = SKILLS[self.skill]
            if self.mcp_server and self.rng.random() < 0.35:
                labels["mcp_server_name"] = self.mcp_server
                labels["mcp_tool_name"] = self.rng.choice(self.mcp_tools)
                if MCP_SERVERS[self.mcp_server][1]:
                    labels["plugin_name"] = MCP_SERVERS[self.mcp_server][1]
        return labels


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass(frozen=True)
class Span:
    """A finished span, as Tempo's span-metrics processor counts it."""

    end: float
    name: str
    service: str
    duration: float
    error: bool
    model: str = ""
    tool_name: str = ""


@dataclass
class Fleet:
    scenario: Scenario
    users: list[User]
    processes: list[Process]
    spans: list[Span]

    @property
    def start(self) -> float:
        return self.scenario.start

    @property
    def end(self) -> float:
        return self.scenario.end


def _hex(rng: random.Random, n: int) -> str:
    return hashlib.sha256(str(rng.random()).encode()).hexdigest()[:n]


def _uuid(rng: random.Random) -> str:
    h = _hex(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


def generate(scenario: Scenario) -> Fleet:
    rng = random.Random(scenario.seed)
    users = [_user(rng, scenario, i) for i in range(scenario.users)]
    processes: list[Process] = []
    spans: list[Span] = []
    for user in users:
        for start, duration in _session_times(rng, scenario):
            session_id = _uuid(rng)
            parts = _process_windows(rng, scenario, start, duration)
            habits = Habits.draw(scenario.seed, session_id)
            # A later process resumes the session by id, or continues the latest one.
            later = habits.rng.choice(("resume", "continue"))
            for index, (p_start, p_end) in enumerate(parts):
                start_type = "fresh" if index == 0 else later
                process = Process(session_id, user, p_start, p_end, start_type, habits)
                _activity(rng, scenario, process, spans)
                process.increments.sort(key=lambda inc: inc[0])
                processes.append(process)
    processes.sort(key=lambda p: (p.start, p.session_id))
    spans.sort(key=lambda s: s.end)
    return Fleet(scenario, users, processes, spans)


def _user(rng: random.Random, scenario: Scenario, index: int) -> User:
    api_key = rng.random() < scenario.api_key_share
    team = scenario.teams[index % len(scenario.teams)] if scenario.teams else None
    if team is not None and rng.random() < scenario.no_team_share:
        team = None
    return User(
        id=hashlib.sha256(f"{scenario.seed}-user-{index}".encode()).hexdigest(),
        email=None if api_key else f"dev{index}@example.com",
        team=team,
        terminal=rng.choice(TERMINALS),
        service="claude-code-desktop" if rng.random() < scenario.desktop_share else "claude-code",
        host=f"host-{index % scenario.hosts:02d}",
    )


def _session_times(rng: random.Random, scenario: Scenario) -> list[tuple[float, float]]:
    """(start, duration) of each session, in working hours, never past the scenario's end."""
    result = []
    for day in range(math.ceil(scenario.days)):
        day_start = scenario.start + day * 86400
        # Checked before any draw: a fleet working every day draws as it always did.
        if time.gmtime(day_start).tm_wday not in scenario.weekdays:
            continue
        count = rng.randint(*scenario.sessions_per_day)
        for _ in range(count):
            start = day_start + rng.uniform(*scenario.work_hours) * 3600 + rng.random()
            if rng.random() < scenario.short_share:
                duration = rng.uniform(8, 50)  # claude -p: one export, at exit
            else:
                duration = rng.uniform(*scenario.long_minutes) * 60
            if start + duration * (1 + scenario.resume_share * 3) + 3600 < scenario.end:
                result.append((start, duration))
    for start, duration in scenario.extra_sessions:
        result.append((scenario.start + start * 3600 + rng.random(), duration * 60))
    return sorted(result)


def _process_windows(
    rng: random.Random, scenario: Scenario, start: float, duration: float
) -> list[tuple[float, float]]:
    """The processes of one session: resumed sessions continue in a new process later."""
    windows = [(start, start + duration)]
    if duration > 120 and rng.random() < scenario.resume_share:
        gap = rng.uniform(10, 90) * 60
        second = start + duration + gap
        windows.append((second, second + rng.uniform(0.3, 1.0) * duration))
    return windows


def _activity(rng: random.Random, sc: Scenario, p: Process, spans: list[Span]) -> None:
    """Requests, tools, edits, commits and active time of one process."""
    p.add(p.start + 0.5, "session", 1, start_type=p.start_type)
    model = _weighted(rng, sc.models)
    cache_quality = rng.betavariate(*sc.cache_beta)
    t = p.start + rng.uniform(1, 5)
    while t < p.end - 1:
        interaction_start = t
        t = _llm_request(rng, sc, p, spans, t, model, "main", cache_quality)
        if rng.random() < 0.12:
            t = _llm_request(rng, sc, p, spans, t, "claude-haiku-4-5", "auxiliary", 0.2)
        if rng.random() < sc.subagent_share:
            for _ in range(rng.randint(1, 3)):
                t = _llm_request(rng, sc, p, spans, t, model, "subagent", cache_quality)
        for _ in range(rng.randint(0, 3)):
            t = _tool_call(rng, p, spans, t, model)
        if rng.random() < 0.01:
            p.add(t, "commits", 1)
        if rng.random() < 0.003:
            p.add(t, "pull_requests", 1)
        user_time = rng.uniform(2, 25)
        p.add(t, "active_time", user_time, type="user")
        spans.append(Span(t, SPAN_INTERACTION, p.user.service, t - interaction_start, False))
        t += user_time + rng.uniform(1, 20)


def _llm_request(
    rng: random.Random,
    sc: Scenario,
    p: Process,
    spans: list[Span],
    t: float,
    model: str,
    source: str,
    cache_quality: float,
) -> float:
    if t >= p.end:
        return t
    attributes = p.habits.attributes(source, model)
    latency = min(rng.lognormvariate(math.log(LATENCY[model]), 0.6), 600.0)
    error = rng.random() < sc.error_rate
    done = min(t + latency, p.end)
    spans.append(Span(done, SPAN_LLM_REQUEST, p.user.service, latency, error, model=model))
    p.add(done, "active_time", done - t, type="cli")
    if error:
        return done
    prompt = rng.randint(8_000, 160_000)
    driver = attributes.get("agent_name") or attributes.get("mcp_server_name", "")
    cache_read = int(prompt * cache_quality * POOR_CACHE.get(driver, 1.0))
    cache_creation = int((prompt - cache_read) * rng.uniform(0.5, 1.0))
    fresh = prompt - cache_read - cache_creation
    output = int(rng.randint(50, 3_000) * EFFORT_OUTPUT[attributes.get("effort", "medium")])
    tokens = {
        "input": fresh,
        "output": output,
        "cacheRead": cache_read,
        "cacheCreation": cache_creation,
    }
    price_in, price_out, price_read, price_write = PRICES[model]
    cost = (
        fresh * price_in
        + output * price_out
        + cache_read * price_read
        + cache_creation * price_write
    ) / 1e6
    if attributes["speed"] == "fast":
        cost *= FAST_PRICE
    for kind, count in tokens.items():
        p.add(done, "tokens", count, model=model, query_source=source, type=kind, **attributes)
    p.add(done, "cost", cost, model=model, query_source=source, **attributes)
    return done


def _tool_call(rng: random.Random, p: Process, spans: list[Span], t: float, model: str) -> float:
    if t >= p.end:
        return t
    tool = rng.choice(TOOLS)
    start = t
    if tool in NEEDS_APPROVAL and rng.random() < 0.4:
        blocked = min(rng.lognormvariate(math.log(6), 1.0), 300.0)
        t = min(t + blocked, p.end)
        spans.append(Span(t, SPAN_BLOCKED_ON_USER, p.user.service, blocked, False))
    duration = rng.lognormvariate(math.log(0.4 if tool != "Bash" else 3.0), 1.0)
    t = min(t + duration, p.end)
    failed = tool == "Bash" and rng.random() < 0.05  # failing commands; other tools rarely fail
    spans.append(Span(t, SPAN_TOOL, p.user.service, t - start, failed, tool_name=tool))
    p.add(t, "active_time", duration, type="cli")
    if tool in EDIT_TOOLS:
        decision = "accept" if rng.random() < 0.9 else "reject"
        p.add(
            t,
            "edit_decisions",
            1,
            tool_name=tool,
            decision=decision,
            source="config",
            language=rng.choice(LANGUAGES),
        )
        if decision == "accept":
            p.add(t, "lines", rng.randint(1, 80), type="added", model=model)
            p.add(t, "lines", rng.randint(0, 30), type="removed", model=model)
    return t
