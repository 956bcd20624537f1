"""Claude Code's alerting rules, from the same query builders as the panels.

Spend and cache alerts read the recorded growth the panels read (or, for a
dashboard built without the rules, the same raw formulation), never
`increase()` over the raw counters: a failed scrape, a restart or a slower
evaluation cannot inflate a total, so it cannot page anyone. The pipeline
alerts read the signatures `ccdash doctor` reads, with its thresholds, and
name its finding and fix. Every number is tunable in ccdash.yaml
(`alerts.rules.<alert>.<param>`), read through `ctx.alerts.param`.
"""

from __future__ import annotations

from dataclasses import replace

from agents.claude_code.doctor.series import (
    COLLISION_RESET_SHARE,
    DELTA_RESET_SHARE,
    FIXES,
    HISTORY,
    MIN_RESETS,
    STALE_AFTER,
)
from agents.claude_code.telemetry import Profile
from ccdash.build.alerts import AlertParams
from ccdash.check.interpolate import format_duration
from queries.claude_code import cache_ratio, tokens
from queries.common import number, window_total

INTERVAL = "1m"
NOTIONAL = "Notional: a list-price estimate from token counts, not a bill."
SEEN_AT = "ccdash:claude_code:seen_at"
SILENCE = "ccdash:claude_code:silence_seconds"
LONGEST = "ccdash:claude_code:longest_quiet_seconds"
# Counter signatures are read over this window (the doctor reads up to a day).
SHAPE_WINDOW = "6h"
# A target's `up` counts as Claude Code's collector if Claude Code series came from it lately.
COLLECTOR_LOOKBACK = "1d"
# Before two days are recorded, a silence must be longer than this to page.
UNSEEN_NIGHT_ALERT = 86400.0
HISTORY_RANGE = format_duration(HISTORY)
# A silence pages when it is this many times the longest of the 15 days before.
QUIET_MARGIN = 1.5


def _named(who: str, team_label: str) -> str:
    """The alert's subject in an annotation: the user's id, or the team."""
    return "{{ $labels.user_id }}" if who == "User" else f"{{{{ $labels.{team_label} }}}}"


def _usd(threshold: float) -> str:
    return f"${threshold:g}"


def alerting_rules(p: Profile, params: AlertParams) -> list[dict]:
    """The alert groups, and the recording rules the staleness alert reads."""
    pa = replace(p, in_grafana=False)  # evaluated by Prometheus: no dashboard variables
    return [
        {"name": "ccdash-claude-code-spend", "interval": INTERVAL, "rules": spend(pa, params)},
        {"name": "ccdash-claude-code-cache", "interval": INTERVAL, "rules": cache(pa, params)},
        {
            "name": "ccdash-claude-code-pipeline",
            "interval": INTERVAL,
            "rules": pipeline(pa, params),
        },
    ]


def _alert(name: str, expr: str, for_: str, severity: str, summary: str, description: str):
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    }


# --- spend -----------------------------------------------------------------


def spend(p: Profile, params: AlertParams) -> list[dict]:
    team = p.attribution_label
    in_team = {team: '!=""'}
    rules = []
    for who, labels, matchers, defaults in (
        ("User", (team, "user_id"), {}, {"1h": 20.0, "1d": 100.0}),
        ("Team", (team,), in_team, {"1h": 100.0, "1d": 500.0}),
    ):
        named = _named(who, team)
        for window, period, for_ in (("1h", "Hourly", "5m"), ("1d", "Daily", "15m")):
            name = f"ClaudeCode{who}Spend{period}"
            limit = params.param(name, "threshold_usd", defaults[window])
            total = window_total(p, "cost", labels, window, **matchers)
            rules.append(
                _alert(
                    name,
                    f"{total} > {number(limit)}",
                    for_,
                    "warning",
                    f'{who.lower()} {named} spent {{{{ $value | printf "%.2f" }}}} USD '
                    f"(notional) in {window}",
                    f"Notional spend of {who.lower()} {named} over the last {window} is above "
                    f"{_usd(limit)}. {NOTIONAL}",
                )
            )
    rules.append(anomaly(p, params))
    rules.append(runaway_session(p, params))
    return rules


def anomaly(p: Profile, params: AlertParams) -> dict:
    """A team's last 24 h against the same weekday of the three weeks before."""
    team = p.attribution_label
    name = "ClaudeCodeTeamSpendAnomaly"
    factor = params.param(name, "factor", 3.0)
    floor = params.param(name, "min_usd", 50.0)
    day = window_total(p, "cost", (team,), "1d", **{team: '!=""'})
    weeks = " or ".join(
        f'label_replace(last_over_time(({day})[1m:1m] offset {w}w), "baseline_week", "{w}", "", "")'
        for w in (1, 2, 3)
    )
    return _alert(
        name,
        f"({day} > {number(factor)} * avg by ({team}) ({weeks})) and ({day} > {number(floor)})",
        "30m",
        "warning",
        f'team {{{{ $labels.{team} }}}} spent {{{{ $value | printf "%.2f" }}}} USD (notional) '
        "in 24 h, far above its usual",
        f"More than {number(factor)}x the team's average for the same 24 hours one, two and three "
        f"weeks before (weeks without data are left out; never below {_usd(floor)}). " + NOTIONAL,
    )


def runaway_session(p: Profile, params: AlertParams) -> dict:
    name = "ClaudeCodeSessionRunaway"
    limit = params.param(name, "threshold_usd", 25.0)
    labels = ("session_id", "user_id", p.attribution_label)
    return _alert(
        name,
        f"{window_total(p, 'cost', labels, '6h')} > {number(limit)}",
        "0m",
        "warning",
        "session {{ $labels.session_id }} of {{ $labels.user_id }} spent "
        '{{ $value | printf "%.2f" }} USD (notional) in 6 h',
        f"One session above {_usd(limit)} in the last 6 hours: often a subagent looping. The "
        "attribution dashboard's 'Costliest subagents by session' names it. " + NOTIONAL,
    )


# --- cache -----------------------------------------------------------------


def cache(p: Profile, params: AlertParams) -> list[dict]:
    team = p.attribution_label
    rules = []
    for who, labels, matchers, tokens_default in (
        ("Team", (team,), {team: '!=""'}, 5_000_000.0),
        ("User", (team, "user_id"), {}, 1_000_000.0),
    ):
        name = f"ClaudeCode{who}CacheHitLow"
        below = params.param(name, "threshold_ratio", 0.5)
        enough = params.param(name, "min_prompt_tokens", tokens_default)
        ratio = cache_ratio(p, labels, "6h", min_prompt=int(enough), **matchers)
        named = _named(who, team)
        rules.append(
            _alert(
                name,
                f"{ratio} < {number(below)}",
                "30m",
                "warning",
                f"{who.lower()} {named} read only {{{{ $value | humanizePercentage }}}} of its "
                "prompt tokens from cache in 6 h",
                f"Cache hit ratio below {below:.0%} over 6 hours with at least {enough:,.0f} "
                "prompt tokens: prompts are paid at full price. Look for changing system "
                "prompts, MCP tool lists or CLAUDE.md edits mid-session.",
            )
        )
    rules.append(cache_busting(p, params))
    return rules


def cache_busting(p: Profile, params: AlertParams) -> dict:
    """A session writing far more cache than it reads: its prompt prefix keeps changing."""
    name = "ClaudeCodeSessionCacheBusting"
    factor = params.param(name, "factor", 3.0)
    floor = params.param(name, "min_cache_creation_tokens", 500_000.0)
    labels = ("session_id", "user_id", p.attribution_label)
    created = tokens(p, labels, "1h", "cacheCreation")
    read = tokens(p, labels, "1h", "cacheRead")
    return _alert(
        name,
        f"({created} > {number(floor)}) and (({created} > {number(factor)} * {read}) or "
        f"({created} unless {read}))",
        "15m",
        "warning",
        "session {{ $labels.session_id }} wrote {{ $value | humanize }} cache tokens in 1 h, "
        "far more than it read",
        f"Cache creation above {number(factor)}x cache reads (and {floor:,.0f} tokens) in the last "
        "hour: each request rewrites the prompt cache instead of reading it.",
    )


# --- pipeline --------------------------------------------------------------


def _doctor(finding: str, description: str) -> dict[str, str]:
    return {
        "description": description,
        "doctor_finding": finding,
        "runbook": f"run `ccdash doctor --prometheus <url>`; it reports `{finding}`. Fix: "
        + FIXES[finding],
    }


def pipeline(p: Profile, params: AlertParams) -> list[dict]:
    return [
        # When Claude Code series were last exposed, for how long they have not been, and
        # (written while they are) the longest silence of the 15 days before.
        {"record": SEEN_AT, "expr": f"vector(time()) and on () count({p.any_counter()})"},
        {
            "record": SILENCE,
            "expr": f"time() - max_over_time({SEEN_AT}[{HISTORY_RANGE}])",
        },
        {
            "record": LONGEST,
            "expr": f"max_over_time({SILENCE}[{HISTORY_RANGE}]) and on () ({SILENCE} == 0)",
        },
        collector_down(p),
        stale(p, params),
        *reset_storms(p),
    ]


def collector_down(p: Profile) -> dict:
    alert = _alert(
        "ClaudeCodeCollectorDown",
        f"(up == 0) and on (instance) group by (instance) "
        f"(last_over_time({p.any_counter()}[{COLLECTOR_LOOKBACK}]))",
        "5m",
        "critical",
        "the collector {{ $labels.instance }} Claude Code's metrics come from is down",
        "",
    )
    alert["annotations"] |= _doctor(
        "collector-down", "Prometheus cannot scrape the target Claude Code's series came from."
    )
    return alert


def stale(p: Profile, params: AlertParams) -> dict:
    """No Claude Code series for clearly longer than any quiet period of the 15 days before.

    The longest earlier silence is the one recorded while series were last
    exposed, so the current silence is never compared with itself. The
    doctor warns as soon as a silence is the longest seen; an alert pages,
    so it waits for `margin` times that (a night a little longer than the
    others is not an outage). With less than two days recorded no night has
    been seen: the silence must exceed a whole day.
    """
    name = "ClaudeCodeTelemetryStale"
    after = params.param(name, "min_silence_seconds", STALE_AFTER)
    margin = params.param(name, "margin", QUIET_MARGIN)
    night = params.param(name, "unseen_night_seconds", UNSEEN_NIGHT_ALERT)
    longest = f"last_over_time({LONGEST}[{HISTORY_RANGE}])"
    expr = (
        f"{SILENCE} > {number(after)} and {SILENCE} > {number(margin)} * {longest}"
        f" and on () ({SILENCE} > {number(night)} or on () group({SILENCE} offset 2d))"
    )
    alert = _alert(
        name,
        expr,
        "15m",
        "warning",
        "no Claude Code metrics for {{ $value | humanizeDuration }}, longer than any quiet "
        "period of the last 15 days",
        "",
    )
    alert["annotations"] |= _doctor(
        "stale-data", "Claude Code's series stopped, and the fleet has never been this quiet."
    )
    return alert


def _sum_each(p: Profile, function: str, matchers: str) -> str:
    """`function` summed over every counter, one name at a time (functions drop names, and
    counters without extra labels would collide)."""
    terms = [
        f"(sum({function}({name}{{{matchers}}}[{SHAPE_WINDOW}])) or vector(0))"
        for name in sorted(p.names.values())
    ]
    return f"({' + '.join(terms)})"


def reset_storms(p: Profile) -> list[dict]:
    rules = []
    for name, finding, matchers, share, what in (
        (
            "ClaudeCodeDeltaTemporality",
            "delta-temporality",
            'session_id!=""',
            DELTA_RESET_SHARE,
            "per-session counters fall back at a delta-temporality rate: every total is wrong",
        ),
        (
            "ClaudeCodeCounterCollisions",
            "counter-collisions",
            'session_id=""',
            COLLISION_RESET_SHARE,
            "counters without session_id fall back at a collision rate: several processes "
            "write one series and totals read too high",
        ),
    ):
        resets = _sum_each(p, "resets", matchers)
        changes = _sum_each(p, "changes", matchers)
        alert = _alert(
            name,
            f"{resets} >= {MIN_RESETS} and {resets} >= {number(share)} * {changes}",
            "15m",
            "warning",
            f"Claude Code {what}",
            "",
        )
        alert["annotations"] |= _doctor(
            finding,
            f"Counter resets are at least {share:.0%} of value changes over {SHAPE_WINDOW}.",
        )
        rules.append(alert)
    return rules
