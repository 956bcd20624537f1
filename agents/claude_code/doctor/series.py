"""The shape of Claude Code's series: is data flowing, do counters accumulate, do series last?

Each check reads a signature the fault leaves in the samples themselves:
an `up` of 0 or a silence longer than any quiet period seen before; series
without `session_id` whose values fall at nearly every change (writers
colliding); per-session series that fall back at a large share of their
changes (delta temporality); per-session series that vanish a fixed few
minutes after their last change (the collector's `metric_expiration`).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import defaultdict
from collections.abc import Callable

from agents.claude_code.doctor.context import Context, ago, duration, regex_values
from agents.claude_code.doctor.presence import CLAUDE_KEYS
from ccdash.check.doctor.findings import ERROR, WARNING, Breaks, Finding

# Staleness: newest sample older than this and than every earlier quiet period
# (a small team's lunch break is not an outage; nights and weekends say what
# silence is normal for this fleet). The history holds a full weekend before
# the current silence whatever the weekday: on a Monday morning (or after a
# Monday off) the previous weekend began 9.5-10.5 days earlier. Seven days
# would hold none, and a fleet that does not work weekends would be warned
# every weekend.
STALE_AFTER = 2 * 3600.0
HISTORY = 15 * 86400.0
# With less than two days of data no night has been seen: assume one.
UNSEEN_NIGHT = 12 * 3600.0
# Colliding writers: series without session_id falling back at >= this share of changes.
COLLISION_RESET_SHARE = 0.1
# Delta temporality: per-session series fall back at >= this share of their changes
# (cumulative series fall back only when a session is resumed in a new process).
DELTA_RESET_SHARE = 0.2
MIN_RESETS = 5
# Expiration: at least this many finished sessions, this share within the tolerance
# of the median time from last change to disappearance, and a warning below SHORT_EXPIRATION.
MIN_SESSIONS = 5
CLUSTER_SHARE = 0.6
SHORT_EXPIRATION = 20 * 60
SAMPLED_SESSIONS = 300
# Jobs named like a collector: read only when Claude Code's data is stale and
# no `up` matches its series' instances (a shared Prometheus has other collectors).
COLLECTOR_JOBS = "(?i).*(otel|collector|alloy).*"

# The fix of each finding the alerts also page on (queries/alerts.py quotes them).
FIXES = {
    "collector-down": (
        "check the collector (pod/process running, prometheus exporter endpoint "
        "0.0.0.0:8889) and the Prometheus scrape config pointing at it; see "
        "Status > Targets in Prometheus for the scrape error"
    ),
    "stale-data": (
        "check that Claude Code still exports (OTEL_* variables in the users' "
        "environment or managed settings), that the collector receives OTLP on "
        ":4317, and that Prometheus scrapes the collector"
    ),
    "counter-collisions": (
        "turn session_id back on (remove OTEL_METRICS_INCLUDE_SESSION_ID=false); "
        "if it is on, look for processes sharing one identity (copied "
        "OTEL_RESOURCE_ATTRIBUTES, a collector dropping attributes)"
    ),
    "delta-temporality": (
        "set OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative in Claude "
        "Code's environment, or add the deltatocumulative processor to the "
        "collector's metrics pipeline (before batch)"
    ),
}

ALL_COUNTERS = Breaks(CLAUDE_KEYS)
NO_SESSION_ID = 'session_id=""'
WITH_SESSION_ID = 'session_id!=""'


def freshness(ctx: Context) -> list[Finding]:
    """Collector target down, or the newest Claude Code sample older than any quiet period."""
    history = max(ctx.range_s, HISTORY)
    step = max(60.0, math.ceil(history / 1000 / 60) * 60)
    timeline = ctx.matrix(f"count({ctx.claude()})", ctx.time - history, ctx.time, step)
    stamps = sorted(float(t) for s in timeline for t, _ in s["values"])
    if stamps:
        ctx.last_data = stamps[-1]
        age = ctx.time - stamps[-1]
        gaps = [b - a - step for a, b in itertools.pairwise(stamps)]
        longest = max(gaps, default=0.0)
        if stamps[-1] - stamps[0] < 2 * 86400:
            longest = max(longest, UNSEEN_NIGHT)
    else:
        age, longest = math.inf, 0.0
    stale = age > STALE_AFTER and age > longest
    up = _up(ctx, stale)
    down = [
        f'up{{job="{s["metric"].get("job", "")}", instance="{s["metric"].get("instance", "")}"}}'
        for s in up
        if float(s["value"][1]) == 0
    ]
    newest = "none in the last " + ago(history) if not stamps else f"about {ago(age)} old"
    if down:
        return [
            Finding(
                "collector-down",
                ERROR,
                "the collector's scrape target is down",
                [*(f"{t} is 0" for t in down), f"newest Claude Code sample: {newest}"],
                FIXES["collector-down"],
                ALL_COUNTERS,
            )
        ]
    if stamps and stale:
        return [
            Finding(
                "stale-data",
                WARNING,
                f"no Claude Code sample for {ago(age)}, longer than any quiet period before it",
                [
                    f"newest Claude Code sample: {newest}",
                    f"longest quiet period before it (in the last {ago(history)}, or a night "
                    f"when less than 2 days were seen): {ago(longest)}",
                    "the collector's target is up"
                    if up
                    else "no `up` series found for the collector's target",
                ],
                FIXES["stale-data"],
                ALL_COUNTERS,
            )
        ]
    return []


def _up(ctx: Context, stale: bool) -> list[dict]:
    """Current `up` of the targets Claude Code's series come from.

    A plain instant `up`: Prometheus stale-marks the `up` of a target that
    went away (a pod replaced in a rollout), so it drops out, where a range
    over `up` would still return its last sample, often 0. Jobs named like a
    collector are read only when no target matches and Claude Code's data
    is stale too: a shared Prometheus has other collectors, whose state says
    nothing while Claude Code's data is fresh.
    """
    found = ctx.series(f"count by (instance) (last_over_time({ctx.claude()}[{ctx.window}]))")
    instances = sorted({s["metric"]["instance"] for s in found if s["metric"].get("instance")})
    up = ctx.series(f'up{{instance=~"{regex_values(instances)}"}}') if instances else []
    if up or not stale:
        return up
    return ctx.series(f'up{{job=~"{COLLECTOR_JOBS}"}}')


def counters(ctx: Context) -> list[Finding]:
    """Missing session_id, colliding writers and delta temporality, from resets and changes."""
    end, length = ctx.shape_window()
    w = duration(length)
    findings = []
    no_sid = ctx.claude(NO_SESSION_ID)
    without = ctx.number(f"count(last_over_time({no_sid}[{w}]))", end)
    total = ctx.number(f"count(last_over_time({ctx.claude()}[{w}]))", end)
    if without:
        users = ctx.number(
            f"count(count by (user_id) (last_over_time({no_sid}[{w}])))",
            end,
        )
        findings.append(
            Finding(
                "no-session-id",
                ERROR if without == total else WARNING,
                "Claude Code series without session_id: sessions cannot be counted, and "
                "concurrent sessions of a user write one series",
                [
                    f"{without:.0f} of {total:.0f} series in the last {ago(length)} have no "
                    f"session_id ({users:.0f} users)"
                ],
                "remove OTEL_METRICS_INCLUDE_SESSION_ID=false from Claude Code's environment or "
                "managed settings (it defaults to true), and keep the collector's "
                "metric_expiration long (e.g. 7d) to bound what the session series cost; "
                "running sessions keep the old setting until restarted",
                Breaks(CLAUDE_KEYS, frozenset({"session_id"})),
            )
        )
        findings += _reset_storm(
            ctx,
            NO_SESSION_ID,
            w,
            end,
            COLLISION_RESET_SHARE,
            "counter-collisions",
            "counter-reset storm on series without session_id: several processes "
            "overwrite one series, and totals read several times too high",
            lambda resets, changes: (
                f"{resets:.0f} resets in {changes:.0f} value changes "
                f"({resets / changes:.0%}) on series without session_id in the last "
                f"{ago(length)}"
            ),
            FIXES["counter-collisions"],
        )
    if total > without:
        findings += _reset_storm(
            ctx,
            WITH_SESSION_ID,
            w,
            end,
            DELTA_RESET_SHARE,
            "delta-temporality",
            "counters do not accumulate: delta temporality reaches Prometheus unconverted",
            lambda resets, changes: (
                f"per-session series fell back {resets:.0f} times in {changes:.0f} "
                f"value changes ({resets / changes:.0%}) in the last {ago(length)}; "
                "a cumulative counter falls back only when a session resumes"
            ),
            FIXES["delta-temporality"],
        )
    return findings


def _reset_storm(
    ctx: Context,
    matcher: str,
    w: str,
    end: float,
    share: float,
    id_: str,
    title: str,
    measured: Callable[[float, float], str],
    fix: str,
) -> list[Finding]:
    """An error when the series selected by `matcher` fall back at >= `share` of their
    value changes (and at least MIN_RESETS times): the signature of both colliding
    writers and delta temporality, told apart by which series it is on."""
    resets, changes = _resets(ctx, matcher, w, end)
    if resets < MIN_RESETS or resets < share * changes:
        return []
    evidence = [measured(resets, changes), *_worst(ctx, matcher, w, end)]
    return [Finding(id_, ERROR, title, evidence, fix, ALL_COUNTERS)]


def _present(ctx: Context) -> list[str]:
    """The matched profile's counter names present (functions drop names, so
    counters with equal labels must be queried one name at a time)."""
    return sorted(set(ctx.profile.names.values()) & ctx.names)


def _resets(ctx: Context, matcher: str, w: str, end: float) -> tuple[float, float]:
    resets = changes = 0.0
    for name in _present(ctx):
        resets += ctx.number(f"sum(resets({name}{{{matcher}}}[{w}]))", end)
        changes += ctx.number(f"sum(changes({name}{{{matcher}}}[{w}]))", end)
    return resets, changes


def _worst(ctx: Context, matcher: str, w: str, end: float) -> list[str]:
    found = [
        s
        for name in _present(ctx)
        for s in ctx.series(f"topk(1, resets({name}{{{matcher}}}[{w}]))", end)
    ]
    if not found:
        return []
    found.sort(key=lambda s: -float(s["value"][1]))
    labels = found[0]["metric"]
    shown = ", ".join(
        f'{k}="{labels[k]}"' for k in ("user_id", "session_id", "model", "type") if k in labels
    )
    return [f"worst series: {{{shown}}} with {float(found[0]['value'][1]):.0f} resets"]


def expiration(ctx: Context) -> list[Finding]:
    """Per-session series vanishing a fixed few minutes after their last change."""
    end, length = ctx.shape_window()
    length = min(length, 6 * 3600.0)
    metric = ctx.profile.metric("active_time")
    w = duration(length)
    sessions = ctx.number(f"count(count by (session_id) (last_over_time({metric}[{w}])))", end)
    sample = session_sample(sessions)
    found = ctx.series(f'{metric}{{session_id=~"{sample}"}}[{w}]', end)
    tails = session_tails(found, end - length, end)
    estimate = clustered(list(tails.values()))
    if estimate is None or estimate > SHORT_EXPIRATION:
        return []
    return [
        Finding(
            "short-expiration",
            WARNING,
            f"series disappear about {ago(estimate)} after their last update: the "
            "collector's metric_expiration is short",
            [
                f"{len(tails)} finished sessions in the last {ago(length)}: their {metric} "
                f"series ended a median {ago(statistics.median(tails.values()))} after their "
                "last change"
            ],
            "raise metric_expiration in the collector's prometheus exporter (default 5m) to "
            "days, e.g. `metric_expiration: 168h`: a session idle or asleep longer than it "
            "vanishes and comes back as a new series, counted again, and the dashboard's "
            "user/model/team choices empty out between sessions",
            Breaks(CLAUDE_KEYS),
        )
    ]


def session_sample(sessions: float) -> str:
    """A session_id regex keeping about SAMPLED_SESSIONS of `sessions`: raw samples are
    fetched, so a large fleet is sampled by a prefix of its (uniform, hex) session ids.

    With one hex digit the smallest sample is 1/16, over 300 sessions above
    4,800; longer prefixes narrow it (1/256, 1/4096, ...) so the sample stays
    between SAMPLED_SESSIONS/2 and SAMPLED_SESSIONS on average.
    """
    if sessions <= SAMPLED_SESSIONS:
        return ".+"
    # Keep `kept` of the 16**digits prefixes, the smallest prefix length with kept >= 1.
    digits = 1
    while sessions / 16**digits > SAMPLED_SESSIONS:
        digits += 1
    kept = max(1, int(SAMPLED_SESSIONS * 16**digits / sessions))
    return f"{_hex_below(kept, digits)}.*"


def _hex_below(count: int, digits: int) -> str:
    """A regex matching the `count` smallest `digits`-long lowercase hex strings."""
    if digits == 1:
        return f"[0-{count - 1:x}]"
    whole, rest = divmod(count, 16)
    parts = []
    if whole:
        parts.append(f"{_hex_below(whole, digits - 1)}[0-9a-f]")
    if rest:
        parts.append(f"{whole:0{digits - 1}x}[0-{rest - 1:x}]")
    return parts[0] if len(parts) == 1 else f"({'|'.join(parts)})"


def session_tails(matrix: list[dict], start: float, end: float) -> dict[str, float]:
    """Per finished session: seconds from its series' last value change to their last sample.

    A session counts when one of its series ended inside the window (not still
    exposed at its end) after a change seen inside it; its tail is the
    shortest of its series', the one whose last change was the last export.
    """
    tails: dict[str, list[float]] = defaultdict(list)
    for s in matrix:
        values = [(float(t), v) for t, v in s["values"]]
        last_time, last_value = values[-1]
        if last_time > end - 60:
            continue
        change = next(
            (
                values[i + 1][0]
                for i in range(len(values) - 2, -1, -1)
                if values[i][1] != last_value
            ),
            values[0][0],
        )
        if change <= start + 30:
            continue
        tails[s["metric"].get("session_id", "")].append(last_time - change)
    return {sid: min(ts) for sid, ts in tails.items()}


def clustered(tails: list[float]) -> float | None:
    """The common tail when enough of them agree (a fixed expiration), else None."""
    if len(tails) < MIN_SESSIONS:
        return None
    median = statistics.median(tails)
    tolerance = max(90.0, 0.1 * median)
    near = [t for t in tails if abs(t - median) <= tolerance]
    if len(near) < CLUSTER_SHARE * len(tails):
        return None
    return median + 15  # a series lasts up to one scrape beyond what its samples show
