"""Named fleets, each a realistic case from the field: resumed sessions, API-key users,
colliding writers, outages, other pipelines' faults."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from devtools.timeline import DAY, HOUR, NOW_PHASE, ORIGIN, Timeline

__all__ = ["DAY", "HOUR", "NOW_PHASE", "ORIGIN", "Scenario"]


@dataclass(frozen=True)
class Scenario(Timeline):
    name: str
    description: str
    users: int = 20
    days: float = 3
    sessions_per_day: tuple[int, int] = (2, 4)
    short_share: float = 0.25
    long_minutes: tuple[float, float] = (5, 90)
    resume_share: float = 0.0
    include_session_id: bool = True
    metric_expiration: float = 30 * 60
    api_key_share: float = 0.0
    desktop_share: float = 0.0
    teams: tuple[str, ...] = ("platform", "payments", "mobile")
    no_team_share: float = 0.0
    models: dict[str, float] = field(
        default_factory=lambda: {"claude-sonnet-4-5": 0.7, "claude-opus-4-7": 0.3}
    )
    subagent_share: float = 0.15
    error_rate: float = 0.03
    cache_beta: tuple[float, float] = (6.0, 1.5)  # cache hit quality per session
    work_hours: tuple[float, float] = (7.0, 19.0)
    # Days of the week with sessions (Monday 0, UTC): every day unless a fleet
    # keeps office days, whose weekends the doctor must not take for an outage.
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    hosts: int = 15
    span_metrics: bool = True
    # Pipeline faults for `ccdash doctor` (defaults: a healthy pipeline).
    # "delta": each export carries only the increment since the previous one
    # (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE unset, no deltatocumulative).
    temporality: str = "cumulative"
    # Attributes Tempo's span-metrics processor keeps as dimensions.
    span_dimensions: tuple[str, ...] = ("model", "tool_name")
    # Span metrics of this flavour whatever the dashboard's profile says (None: the profile's).
    span_flavour: str | None = None
    # Token-type label schema the pipeline writes (None: the profile's).
    token_label: str | None = None
    # Hours after the start when the collector's target goes down: an `up` series
    # (1, then 0) is written and Claude Code's samples stop. None: no `up` series.
    collector_down_at: float | None = None
    # (start hour from origin, duration minutes): Prometheus down, so neither
    # scrapes nor rule evaluations happen.
    outages: tuple[tuple[float, float], ...] = ()
    # (start hour from origin, duration minutes): sessions placed by hand.
    extra_sessions: tuple[tuple[float, float], ...] = ()
    # Evaluation windows the truth file and the tests use: (end hour, range hours).
    windows: tuple[tuple[float, float], ...] = ()
    seed: int = 1


def _fault(name: str, description: str, seed: int, **changes) -> Scenario:
    """A small healthy fleet (4 users, half a day) with one pipeline fault, for `ccdash doctor`."""
    small = {
        "users": 4,
        "days": 0.5,
        "sessions_per_day": (3, 4),
        "short_share": 0.2,
        "long_minutes": (20, 60),
        "work_hours": (7.0, 10.0),
        "hosts": 4,
    }
    return Scenario(name=name, description=description, seed=seed, **{**small, **changes})


DOCTOR_FAULTS = (
    _fault(
        "fault-delta",
        "Delta temporality reaching Prometheus unconverted: values that do not accumulate.",
        seed=11,
        temporality="delta",
    ),
    _fault(
        "fault-no-session-id",
        "OTEL_METRICS_INCLUDE_SESSION_ID=false with concurrent sessions: colliding writers.",
        seed=12,
        include_session_id=False,
        sessions_per_day=(5, 6),
        short_share=0.0,
        long_minutes=(40, 120),
        work_hours=(7.0, 9.0),
    ),
    _fault(
        "fault-expiration",
        "The collector's metric_expiration left at 5 min: series vanish after each session.",
        seed=13,
        metric_expiration=5 * 60,
    ),
    _fault(
        "fault-no-spans",
        "Tempo's metrics-generator not activated by its overrides: no span metrics.",
        seed=14,
        span_metrics=False,
    ),
    _fault(
        "fault-span-dimensions",
        "Span metrics without the model and tool_name dimensions.",
        seed=15,
        span_dimensions=(),
    ),
    _fault(
        "fault-collector-spans",
        "Span metrics from the collector's spanmetrics connector instead of Tempo.",
        seed=16,
        span_flavour="collector",
    ),
    _fault(
        "fault-token-type",
        "A transform processor renamed the token label `type` to `token_type`.",
        seed=17,
        token_label="token_type",
    ),
    _fault(
        "fault-collector-down",
        "The collector's scrape target goes down 2 hours before the end.",
        seed=18,
        collector_down_at=9.0,
    ),
)

# Healthy fleets on which the doctor must find nothing at a time a naive check
# would alarm; like the faults, kept out of the accuracy report.
DOCTOR_HEALTHY = (
    Scenario(
        name="office-weekdays",
        description="A healthy 9-to-5 fleet working Monday to Friday, two weeks ending "
        "on a Monday morning before work: the weekend's silence is normal.",
        users=4,
        days=14.25,  # from Monday 2026-11-02 to Monday 2026-11-16 06:00 UTC
        sessions_per_day=(2, 3),
        short_share=0.2,
        long_minutes=(20, 60),
        work_hours=(9.0, 16.0),
        weekdays=(0, 1, 2, 3, 4),
        hosts=4,
        seed=19,
    ),
)

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            name="steady",
            description="20 users over 3 days, a mix of long and short sessions.",
        ),
        Scenario(
            name="short-sessions",
            description="Mostly one-shot `claude -p` runs: a single export per session.",
            users=10,
            days=1,
            sessions_per_day=(15, 25),
            short_share=0.85,
            metric_expiration=5 * 60,
            span_metrics=False,
            seed=2,
        ),
        Scenario(
            name="resumed",
            description="Sessions resumed in a new process with the same session id "
            "(the counters restart from 0 on the same series).",
            users=8,
            days=1,
            sessions_per_day=(3, 5),
            short_share=0.0,
            resume_share=0.8,
            long_minutes=(10, 60),
            metric_expiration=2 * HOUR,
            span_metrics=False,
            seed=3,
        ),
        Scenario(
            name="range-edge",
            description="Sessions that start before the range and continue into it, and "
            "sessions that ended long before it but are still exposed (7-day "
            "metric_expiration).",
            users=4,
            days=1.5,
            sessions_per_day=(1, 2),
            short_share=0.2,
            metric_expiration=7 * DAY,
            span_metrics=False,
            extra_sessions=((23.5, 80), (11.0, 30)),
            # The range starts at hour 24, inside the 23:30 session.
            windows=((36, 12), (36, 36)),
            work_hours=(6.0, 14.0),
            seed=4,
        ),
        Scenario(
            name="no-session-id",
            description="OTEL_METRICS_INCLUDE_SESSION_ID=false: a user's concurrent "
            "processes write one series, and their exports interleave.",
            users=6,
            days=1,
            sessions_per_day=(4, 6),
            short_share=0.2,
            long_minutes=(30, 120),
            include_session_id=False,
            metric_expiration=HOUR,
            span_metrics=False,
            work_hours=(9.0, 12.0),
            # The fleet works 9:00-12:00: the default 6 h window at the day's end is empty.
            windows=((24, 24), (12, 3)),
            seed=5,
        ),
        Scenario(
            name="outage",
            description="Prometheus down for 10 minutes at 14:00 (longer than the 5-minute "
            "lookback): no scrapes and no rule evaluations; sessions go on meanwhile.",
            users=8,
            days=1,
            sessions_per_day=(4, 6),
            long_minutes=(20, 90),
            metric_expiration=7 * DAY,
            span_metrics=False,
            work_hours=(9.0, 18.0),
            outages=((14.0, 10.0),),
            resume_share=0.0,
            # The day, the hour holding the outage, and the hour after it.
            windows=((24, 24), (15, 1), (16, 1)),
            seed=8,
        ),
        Scenario(
            name="identity",
            description="API-key users without user_email, desktop sessions "
            "(service.name=claude-code-desktop), the model claude-opus-4-7[1m], "
            "team attribution with some users outside any team.",
            users=8,
            days=1,
            sessions_per_day=(2, 4),
            api_key_share=0.5,
            desktop_share=0.4,
            no_team_share=0.25,
            models={"claude-sonnet-4-5": 0.5, "claude-opus-4-7[1m]": 0.3, "claude-opus-4-7": 0.2},
            seed=6,
        ),
    ]
}

# The benchmark's reference fleets (`make bench`): a week of a 50-user team,
# and a quarter and a sixteenth of it for the growth curve. Kept apart from
# SCENARIOS: loading fleet-m takes minutes, too long for every accuracy report.
FLEETS: dict[str, Scenario] = {
    name: Scenario(
        name=name,
        description=f"Reference fleet for the benchmark: {users} users, 7 days, "
        "8 sessions per user per day, metric_expiration 30 min.",
        users=users,
        days=7,
        sessions_per_day=(8, 8),
        hosts=users,
        seed=seed,
    )
    for name, users, seed in (("fleet-m", 50, 7), ("fleet-s", 13, 8), ("fleet-xs", 3, 9))
}


# Kept apart from SCENARIOS, whose figures the accuracy report compares with
# the truth: a faulty pipeline's figures are wrong on purpose.
FAULTS: dict[str, Scenario] = {s.name: s for s in DOCTOR_FAULTS}
HEALTHY: dict[str, Scenario] = {s.name: s for s in DOCTOR_HEALTHY}


def get(name: str, **overrides) -> Scenario:
    known = {**SCENARIOS, **FLEETS, **FAULTS, **HEALTHY}
    if name not in known:
        raise KeyError(f"unknown scenario {name!r}; choose one of: {', '.join(known)}")
    return replace(known[name], **overrides) if overrides else known[name]
