"""The alerting rules: `promtool test rules` per alert, series that must fire and series that
must not, through the recording rules the alerts read; and ccdash.yaml's `alerts:` section."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ccdash.build.config import load
from ccdash.build.project import compile_project
from ccdash.cli import cli
from devtools.alerting import ever_true, firing
from devtools.harness import INSTALL_HINT
from devtools.workspace import edit
from queries.common import number
from tests.conftest import FLAGSHIP, ROOT, require_tool
from tests.test_doctor import FAULTS as DOCTOR_FAULTS
from tests.test_doctor import end_of

BUILT = compile_project(load(ROOT)).dashboard(FLAGSHIP)
P = BUILT.profile
COST, TOKENS, SESSIONS = P.metric("cost"), P.metric("tokens"), P.metric("session")
RULES = {r["alert"]: r for g in BUILT.alert_groups for r in g["rules"] if "alert" in r}
SPEND = {r["alert"] for g in BUILT.alert_groups if g["name"].endswith("-spend") for r in g["rules"]}
SILENCE = "ccdash:claude_code:silence_seconds"
TOKEN_TYPES = ("input", "cacheRead", "cacheCreation")


def labels(session: str, user: str, team: str | None = "payments", **extra: str) -> str:
    found = {"session_id": session, "user_id": user, "instance": "collector:8889"}
    if team:
        found["team"] = team
    found |= {"model": "claude-sonnet-4-5", "query_source": "main", **extra}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in found.items()) + "}"


def counter(*pieces: tuple[int, float], start: float = 0.0) -> list[float | None]:
    """A cumulative counter: (samples, growth per sample) pieces, from `start`."""
    values, value = [start], start
    for count, step in pieces:
        for _ in range(count):
            value += step
            values.append(round(value, 6))
    return values


def render(values: list[float | str | None]) -> str:
    return " ".join("_" if v is None else str(v) for v in values)


@dataclass
class Case:
    """One promtool test: input series, the recording groups the alert reads, and at
    `eval_time` the label sets that must be firing (every other one must not)."""

    alert: str
    series: dict[str, list]
    eval_time: str
    firing: list[dict[str, str]]
    interval: str = "1m"
    groups: tuple[str, ...] = ("cost",)
    why: str = ""
    extra: list[dict] = field(default_factory=list)


def _groups(suffixes: tuple[str, ...]) -> list[dict]:
    wanted = tuple(f"-{s}" for s in suffixes)
    return [g for g in [*BUILT.rule_groups, *BUILT.alert_groups] if g["name"].endswith(wanted)]


def _alert_group(alert: str) -> str:
    return next(g["name"] for g in BUILT.alert_groups if alert in str(g["rules"]))


def _expected(case: Case) -> list[dict]:
    severity = RULES[case.alert]["labels"]["severity"]
    samples = []
    for found in case.firing:
        every = {"alertname": case.alert, "alertstate": "firing", "severity": severity, **found}
        inner = ", ".join(f'{k}="{v}"' for k, v in sorted(every.items()))
        samples.append({"labels": f"ALERTS{{{inner}}}", "value": 1})
    return samples


def run(case: Case, tmp_path: Path) -> subprocess.CompletedProcess:
    promtool = require_tool("promtool", INSTALL_HINT)
    group = _alert_group(case.alert).removeprefix("ccdash-claude-code-")
    rules = tmp_path / "rules.yml"
    rules.write_text(yaml.safe_dump({"groups": _groups((*case.groups, group))}, width=1e9))
    test = {
        "rule_files": [rules.name],
        "evaluation_interval": case.interval,
        "tests": [
            {
                "interval": case.interval,
                "input_series": [
                    {"series": name, "values": render(values)}
                    for name, values in case.series.items()
                ],
                "promql_expr_test": [
                    {
                        "expr": f'ALERTS{{alertname="{case.alert}", alertstate="firing"}}',
                        "eval_time": case.eval_time,
                        "exp_samples": _expected(case),
                    },
                    *case.extra,
                ],
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test, width=1e9))
    return subprocess.run(
        [promtool, "test", "rules", "test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def with_failed_scrapes(values: list, every: int = 10) -> list:
    """Every `every`-th scrape failed: Prometheus writes a stale marker."""
    return ["stale" if i % every == every // 2 else v for i, v in enumerate(values)]


def restarted(values: list, at: int, gap: int) -> list:
    """The collector restarted: `gap` samples missing, then the same values again."""
    return values[:at] + [None] * gap + values[at + gap :]


def prompt_tokens(session: str, user: str, team: str, amounts: tuple[float, ...], n: int = 460):
    """Input, cache-read and cache-creation tokens per sample."""
    return tokens(session, user, team, dict(zip(TOKEN_TYPES, amounts, strict=True)), n)


def tokens(session: str, user: str, team: str | None, per_sample: dict[str, float], n: int):
    return {
        f"{TOKENS}{labels(session, user, team, type=kind)}": counter((n, amount))
        for kind, amount in per_sample.items()
    }


CASES = [
    Case(
        "ClaudeCodeUserSpendHourly",
        {
            f"{COST}{labels('s1', 'u1')}": counter((100, 0.5)),
            # $15 an hour, with failed scrapes and a collector restart: must not page.
            f"{COST}{labels('s2', 'u2')}": restarted(
                with_failed_scrapes(counter((100, 0.25))), 40, 10
            ),
        },
        "80m",
        [{"team": "payments", "user_id": "u1"}],
    ),
    Case(
        "ClaudeCodeUserSpendDaily",
        {
            f"{COST}{labels('s1', 'u1')}": counter((300, 0.5)),  # $144 a day
            f"{COST}{labels('s2', 'u2')}": with_failed_scrapes(counter((300, 0.25))),  # $72
        },
        "24h30m",
        [{"team": "payments", "user_id": "u1"}],
        interval="5m",
    ),
    Case(
        "ClaudeCodeTeamSpendHourly",
        {
            f"{COST}{labels('s1', 'u1')}": counter((100, 1.0)),
            f"{COST}{labels('s2', 'u2')}": with_failed_scrapes(counter((100, 1.0))),
            f"{COST}{labels('s3', 'u3', 'mobile')}": counter((100, 0.5)),
            f"{COST}{labels('s4', 'u4', None)}": counter((100, 2.0)),  # no team: no team alert
        },
        "80m",
        [{"team": "payments"}],
    ),
    Case(
        "ClaudeCodeTeamSpendDaily",
        {
            f"{COST}{labels('s1', 'u1')}": counter((300, 1.0)),
            f"{COST}{labels('s2', 'u2')}": counter((300, 1.0)),  # $576 a day together
            f"{COST}{labels('s3', 'u3', 'mobile')}": counter((300, 1.0)),  # $288
        },
        "24h30m",
        [{"team": "payments"}],
        interval="5m",
    ),
    Case(
        "ClaudeCodeTeamSpendAnomaly",
        {
            # A quiet week ($14.40 a day), then $72 in a day: 5x the usual (the two weeks
            # before it have no data, so they are left out of the baseline).
            f"{COST}{labels('s1', 'u1')}": counter((7 * 288, 0.05), (300, 0.25)),
            # $72 every day: high, but usual for this team.
            f"{COST}{labels('s2', 'u2', 'mobile')}": counter((7 * 288 + 300, 0.25)),
            # A new team: no baseline, no anomaly (the daily threshold is its alert).
            f"{COST}{labels('s3', 'u3', 'new')}": [None] * (7 * 288) + counter((300, 0.5)),
        },
        "8d1h",
        [{"team": "payments"}],
        interval="5m",
    ),
    Case(
        "ClaudeCodeSessionRunaway",
        {
            f"{COST}{labels('s1', 'u1')}": counter((400, 0.1)),  # $36 in 6 h
            f"{COST}{labels('s2', 'u2')}": counter((400, 0.05)),  # $18
            # Resumed halfway: the counter restarts; $21.60 in 6 h, counted once.
            f"{COST}{labels('s3', 'u3')}": counter((200, 0.06)) + counter((199, 0.06)),
        },
        "6h30m",
        [{"session_id": "s1", "team": "payments", "user_id": "u1"}],
    ),
    Case(
        "ClaudeCodeTeamCacheHitLow",
        {
            # A third of the prompt from cache, 10.8M prompt tokens in 6 h.
            **prompt_tokens("s1", "u1", "payments", (5e3, 1e4, 1.5e4)),
            **prompt_tokens("s2", "u2", "mobile", (5e3, 4e4, 5e3)),
            # Caching badly, but too few tokens to matter.
            **prompt_tokens("s3", "u3", "platform", (500, 500, 500)),
        },
        "7h",
        [{"team": "payments"}],
        groups=("tokens",),
    ),
    Case(
        "ClaudeCodeUserCacheHitLow",
        {
            **prompt_tokens("s1", "u1", "payments", (5e3, 1e4, 1.5e4)),
            **prompt_tokens("s2", "u2", "payments", (5e3, 4e4, 5e3)),
            **prompt_tokens("s3", "u3", "payments", (500, 500, 500)),
        },
        "7h",
        [{"team": "payments", "user_id": "u1"}],
        groups=("tokens",),
    ),
    Case(
        "ClaudeCodeSessionCacheBusting",
        {
            **tokens("s1", "u1", "payments", {"cacheCreation": 2e4, "cacheRead": 2e3}, 100),
            **tokens("s2", "u2", "payments", {"cacheCreation": 2e4, "cacheRead": 1e5}, 100),
            **tokens("s3", "u3", "payments", {"cacheCreation": 5e3}, 100),  # small
        },
        "90m",
        [{"session_id": "s1", "team": "payments", "user_id": "u1"}],
        groups=("tokens",),
    ),
    Case(
        "ClaudeCodeCollectorDown",
        {
            'up{job="otel-collector", instance="collector:8889"}': [1] * 60 + [0] * 40,
            f"{COST}{labels('s1', 'u1')}": counter((59, 0.1)),
            # Some other target is down: not Claude Code's collector.
            'up{job="node", instance="node:9100"}': [0] * 100,
        },
        "80m",
        [{"instance": "collector:8889", "job": "otel-collector"}],
        groups=(),
    ),
]


def presence(days: int, working, per_hour: int = 12) -> list:
    """Claude Code series exposed (1) during working hours (`working(day, hour)`)."""
    return [
        1 if working(day, hour) else None
        for day in range(days)
        for hour in range(24)
        for _ in range(per_hour)
    ]


def silent_for_more_than(seconds: float, at: str) -> dict:
    """A check that the quiet case is quiet for the right reason: the silence is there."""
    return {
        "expr": f"{SILENCE} > bool {seconds:.0f}",
        "eval_time": at,
        "exp_samples": [{"labels": "{}", "value": 1}],
    }


def office(day: int, hour: int) -> bool:
    """Monday to Friday, 9 to 17 (day 0 a Monday)."""
    return day % 7 < 5 and 9 <= hour < 17


STALE = [
    Case(
        "ClaudeCodeTelemetryStale",
        {f"{SESSIONS}{labels('s1', 'u1')}": presence(4, lambda d, h: d < 3 and 8 <= h < 18)},
        "3d18h",  # 24 h since the last sample: nights were 14 h
        [{}],
        interval="5m",
        groups=(),
        why="a silence longer than every night before it",
    ),
    Case(
        "ClaudeCodeTelemetryStale",
        {f"{SESSIONS}{labels('s1', 'u1')}": presence(15, office, per_hour=4)},
        "14d6h",  # Monday 06:00 of the third week: the weekend was as long as the last
        [],
        interval="15m",
        groups=(),
        why="a quiet weekend after a weekend already seen",
        extra=[silent_for_more_than(2 * 86400, "14d6h")],
    ),
    Case(
        "ClaudeCodeTelemetryStale",
        {f"{SESSIONS}{labels('s1', 'u1')}": presence(2, lambda d, h: d < 1 and 8 <= h < 18)},
        "1d7h",  # the first night, 13 h: no night seen yet, so it waits a day
        [],
        interval="5m",
        groups=(),
        why="the first night after install",
        extra=[silent_for_more_than(12 * 3600, "1d7h")],
    ),
]


def _resets(values: list[float], n: int) -> list[float]:
    return (values * (n // len(values) + 1))[:n]


STORMS = [
    Case(
        "ClaudeCodeDeltaTemporality",
        # Delta temporality: each export holds only its own increment.
        {f"{COST}{labels('s1', 'u1')}": _resets([0.3, 0.1, 0.4, 0.1, 0.5, 0.2], 400)},
        "6h20m",
        [{}],
        groups=(),
    ),
    Case(
        "ClaudeCodeDeltaTemporality",
        # Cumulative, resumed once: one fall in 400 changes.
        {f"{COST}{labels('s1', 'u1')}": counter((200, 0.1)) + counter((199, 0.1))},
        "6h20m",
        [],
        groups=(),
        why="a resumed session",
        extra=[
            {
                "expr": f"resets({COST}[6h])",
                "eval_time": "6h20m",
                "exp_samples": [{"labels": labels("s1", "u1"), "value": 1}],
            }
        ],
    ),
    Case(
        "ClaudeCodeCounterCollisions",
        # Two processes without session_id overwrite one series in turn.
        {
            f"{COST}{labels('', 'u1')}": [
                v
                for pair in zip(counter((200, 0.2)), counter((200, 0.1)), strict=True)
                for v in pair
            ][:400]
        },
        "6h20m",
        [{}],
        groups=(),
    ),
    Case(
        "ClaudeCodeCounterCollisions",
        {f"{COST}{labels('', 'u1')}": counter((400, 0.1))},  # one writer: no collision
        "6h20m",
        [],
        groups=(),
        why="a single writer without session_id",
    ),
]
ALL = [*CASES, *STALE, *STORMS]


@pytest.mark.parametrize(
    "case",
    ALL,
    ids=[f"{c.alert}-{'fires' if c.firing else 'quiet'}-{i}" for i, c in enumerate(ALL)],
)
def test_alert(case: Case, tmp_path: Path):
    result = run(case, tmp_path)
    assert result.returncode == 0, f"{case.why}\n{result.stdout}{result.stderr}"


def test_every_alert_has_a_case_that_fires_and_one_that_must_not():
    fires = {c.alert for c in ALL if c.firing}
    quiet = {c.alert for c in ALL if not c.firing} | {
        c.alert for c in CASES if len(c.series) > len(c.firing)
    }
    assert fires == quiet == set(RULES)


def test_a_case_that_should_not_pass_fails(tmp_path: Path):
    """The harness can fail: the same series, with the wrong alert expected."""
    case = CASES[0]
    wrong = Case(case.alert, case.series, case.eval_time, [{"team": "payments", "user_id": "u2"}])
    assert run(wrong, tmp_path).returncode != 0


def test_the_rules_files_pass_promtool():
    promtool = require_tool("promtool", INSTALL_HINT)
    alerts = ROOT / "rules" / "claude-code.alerts.yml"
    result = subprocess.run(
        [promtool, "check", "rules", str(alerts)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {sum(len(g['rules']) for g in BUILT.alert_groups)} rules" in result.stdout


def test_every_alert_says_what_it_means():
    for name, rule in RULES.items():
        annotations = rule["annotations"]
        assert annotations["summary"] and annotations["description"], name
        if name in SPEND:
            assert "not a bill" in annotations["description"], name
        if "doctor_finding" in annotations:
            assert f"`{annotations['doctor_finding']}`" in annotations["runbook"], name


# --- ccdash.yaml's alerts: section -------------------------------------------


def _build(project: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(project), "build", *args])


def _alerts(project: Path) -> dict[str, dict]:
    text = (project / "rules" / "claude-code.alerts.yml").read_text()
    return {
        r["alert"]: r for g in yaml.safe_load(text)["groups"] for r in g["rules"] if "alert" in r
    }


def test_alerts_are_tuned_from_ccdash_yaml(project: Path):
    edit(
        project / "ccdash.yaml",
        "outputs:",
        "alerts:\n"
        "  labels: {route: claude-code}\n"
        "  runbook_url: https://wiki.example.com/claude-code#{alert}\n"
        "  rules:\n"
        "    ClaudeCodeUserSpendHourly: {threshold_usd: 42, for: 20m, labels: {severity: page}}\n"
        "    ClaudeCodeTeamSpendAnomaly: {enabled: false}\n"
        "outputs:",
    )
    result = _build(project)
    assert result.exit_code == 0, result.output
    alerts = _alerts(project)
    hourly = alerts["ClaudeCodeUserSpendHourly"]
    assert hourly["expr"].endswith("> 42") and hourly["for"] == "20m"
    assert hourly["labels"] == {"severity": "page", "route": "claude-code"}
    assert alerts["ClaudeCodeUserSpendDaily"]["labels"]["route"] == "claude-code"
    assert hourly["annotations"]["runbook_url"].endswith("#ClaudeCodeUserSpendHourly")
    assert "ClaudeCodeTeamSpendAnomaly" not in alerts
    rule = yaml.safe_load(
        (project / "k8s" / "rules" / "ccdash-claude-code.yaml").read_text().split("\n", 5)[-1]
    )
    in_k8s = {r.get("alert") for g in rule["spec"]["groups"] for r in g["rules"]}
    assert set(alerts) <= in_k8s


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("ClaudeCodeUserSpendHoruly: {threshold_usd: 1}", "no dashboard defines this alert"),
        ("ClaudeCodeUserSpendHourly: {threshold: 1}", "has no such setting"),
        ("ClaudeCodeUserSpendHourly: {threshold_usd: lots}", "must be a number"),
        ("ClaudeCodeUserSpendHourly: {for: soon}", "must be a Prometheus duration"),
        ("ClaudeCodeUserSpendHourly: {enabled: maybe}", "must be true or false"),
    ],
)
def test_a_wrong_alert_setting_is_an_error_that_writes_nothing(project, setting, message):
    assert _build(project).exit_code == 0
    before = (project / "rules" / "claude-code.alerts.yml").read_bytes()
    edit(project / "ccdash.yaml", "outputs:", f"alerts:\n  rules:\n    {setting}\noutputs:")
    result = _build(project)
    assert result.exit_code != 0 and message in result.output, result.output
    assert "alerts.rules.ClaudeCodeUserSpend" in result.output
    assert (project / "rules" / "claude-code.alerts.yml").read_bytes() == before


# --- on the simulated fleets ---------------------------------------------------

PIPELINE = {
    name: rule["annotations"]["doctor_finding"]
    for name, rule in RULES.items()
    if "doctor_finding" in rule["annotations"]
}


@pytest.mark.parametrize(("name", "findings"), [(f[0], f[2]) for f in DOCTOR_FAULTS])
def test_pipeline_alerts_fire_where_the_doctor_finds_the_fault(serve, name, findings):
    """On each simulated fault fleet, at the time the doctor reports its findings, the
    pipeline alerts naming those findings fire, and no other pipeline alert does."""
    _, client, _ = serve(name, rules=False, alerts=True)
    fired = {alert for alert in PIPELINE if firing(client, RULES[alert], end_of(name))}
    assert fired == {alert for alert, finding in PIPELINE.items() if finding in findings}


@pytest.mark.parametrize(("name", "from_day"), [("steady", 0), ("office-weekdays", 7.5)])
def test_no_pipeline_alert_on_a_healthy_fleet(serve, name, from_day):
    """Never true, at any time of the history (office-weekdays: from its second Monday, once
    a weekend has been seen; its first weekend does alert, as the doctor would warn)."""
    loaded, client, _ = serve(name, rules=False, alerts=True)
    start = loaded.scenario.start + from_day * 86400 + 3600
    for alert in PIPELINE:
        assert ever_true(client, RULES[alert], start, end_of(name), 600) == [], alert


@pytest.mark.parametrize(
    ("value", "printed"),
    [(500000, "500000"), (5e6, "5e+06"), (1.296e6, "1.296e+06"), (1.5, "1.5"), (0, "0")],
)
def test_numbers_are_written_as_prometheus_prints_them(value, printed):
    """Go's shortest %g: exponent form from 1e6 (checked against the parser's rendering of
    every alert by tests/test_pipeline.py's mimirtool lint test)."""
    assert number(value) == printed
