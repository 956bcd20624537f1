"""The generated recording rules: valid, and exact on first exports, resets, idling and expiry."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from ccdash.build.config import load
from ccdash.build.counters import HEARTBEAT
from ccdash.build.project import compile_project
from devtools.harness import INSTALL_HINT
from tests.conftest import ROOT, require_tool

RULES = ROOT / "rules" / "claude-code.rules.yml"
COST = "claude_code_cost_usage_USD_total"
DELTA = f"ccdash:{COST}:growth_by_session"
USER_DELTA = f"ccdash:{COST}:growth_by_user"
SESSIONS = "claude_code_session_count_total"
ACTIVE = "claude_code_active_time_seconds_total"
ACTIVITY = f"ccdash:{SESSIONS}:active_by_session"
CALLS = "traces_spanmetrics_calls_total"
SPAN_DELTA = f"ccdash:{CALLS}:growth_by_span"


def test_rules_file_is_valid():
    promtool = require_tool("promtool", INSTALL_HINT)
    result = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    count = sum(len(g["rules"]) for g in yaml.safe_load(RULES.read_text())["groups"])
    assert count > 0 and f"SUCCESS: {count} rules found" in result.stdout


def test_every_rule_is_read():
    """The Claude Code dashboards and alerts read every level rule and the heartbeat (the
    rules keep only the breakdowns a panel or an alert shows); the others feed the levels."""
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    recorded = {r["record"] for r in rules}
    built = [d for d in compile_project(load(ROOT)).dashboards if d.pack.name == "claude_code"]
    assert len(built) == 2
    readers = [[d.model, d.alert_groups] for d in built]
    own = {r["record"] for d in built for g in d.alert_groups for r in g["rules"] if "record" in r}
    used = set(re.findall(r"ccdash:[a-zA-Z_]+:\w+", yaml.safe_dump(readers))) - own
    assert used <= recorded  # every name a panel or variable reads is recorded
    assert {name for name in recorded if "_by_" in name} | {HEARTBEAT} == used
    exprs = " ".join(r["expr"] for r in rules)
    for name in recorded - used:
        assert re.search(rf"{re.escape(name)}\b", exprs), f"{name} is read by nothing"


def _series(values: str, session: str) -> dict:
    return {"series": f'{COST}{{session_id="{session}"}}', "values": values}


def _expect(expr: str, at: str, **values: float) -> dict:
    samples = [
        {"labels": f'{{session_id="{session}"}}', "value": value}
        for session, value in values.items()
    ]
    return {"expr": expr, "eval_time": at, "exp_samples": samples}


# Per session: its input series (15 s apart from 0 s) and the total the rules
# must record by 15 min. `_` is no sample, `stale` a failed scrape's marker.
# The rules start at 0 s: what is exposed then predates them (the dashboard
# reads that part from the raw counters), so every series starts later.
CASES = {
    # First export 5 (what increase() misses), growth to 8, a resumed process
    # restarting at 2, growth to 6: 5 + 3 + 2 + 4 = 14.
    "resumed": ("_ 5 5 5 8 8 8 8 2 2 2 2 6 6 6 6", 14),
    # A one-shot `claude -p` run: its only export is everything.
    "oneshot": ("_ _ _ 0.25 0.25 0.25 0.25", 0.25),
    # A finished session re-exposed unchanged: counted once.
    "idle": ("_ 4x40", 4),
    # Expired for longer than the lookback, then reborn from 0 by a new process
    # whose first export is below the old value (a visible reset): 3 + 7.
    "reborn": ("_ 3 3 3 _x24 2 7 7", 10),
    # Failed scrapes stale-mark the series; the value comes back unchanged
    # (counted once), then grows: 1 + 3 + 2.
    "failed": ("_ 1 1 stale 1 1 4 4 stale stale 4 6 6", 6),
    # Prometheus down for 10 min (no samples, longer than the 5 min lookback):
    # the growth across the gap counts once, when it is seen: 2 + 3.
    "outage": ("_ 2 2 _x40 5 5 5", 5),
    # Exposed when the rules were loaded: only the growth after that counts.
    "preexisting": ("9 9 9 12 12 12", 3),
}


def _unit_test(interval: str) -> dict:
    total = f"sum by (session_id) (sum_over_time({DELTA}[30m]))"
    return {
        "interval": "15s",
        "input_series": [_series(values, session) for session, (values, _) in CASES.items()],
        "promql_expr_test": [
            _expect(total, "15m", **{s: total for s, (_, total) in CASES.items()}),
            # The user level adds the sessions up.
            {
                "expr": f"sum(sum_over_time({USER_DELTA}[30m]))",
                "eval_time": "15m",
                "exp_samples": [{"labels": "{}", "value": sum(t for _, t in CASES.values())}],
            },
        ],
    }


@pytest.mark.parametrize("interval", ["15s", "30s", "1m"])
def test_rules_unit(tmp_path, interval):
    """promtool test rules: what the rules record on known series, whatever the
    evaluation interval (promtool runs every group at `evaluation_interval`)."""
    promtool = require_tool("promtool", INSTALL_HINT)
    tests = {"rule_files": [str(RULES)], "evaluation_interval": interval}
    _promtool_test(promtool, tmp_path, {**tests, "tests": [_unit_test(interval)]})


def test_rules_unit_activity(tmp_path):
    """One activity sample per change or birth: what Sessions counts."""
    promtool = require_tool("promtool", INSTALL_HINT)
    seen = f"sum by (session_id) (count_over_time({DELTA}[30m]))"
    test = {
        "interval": "15s",
        "input_series": [
            _series(CASES["resumed"][0], "resumed"),
            _series(CASES["failed"][0], "failed"),
            # A session starts at 15 s, adds active time at 30 s (a new series),
            # 60 s and 120 s; another is only re-exposed after its start.
            {"series": f'{SESSIONS}{{session_id="worker"}}', "values": "_ 1x20"},
            {"series": f'{ACTIVE}{{session_id="worker"}}', "values": "_ _ 2 2 5 5 5 5 9x12"},
            {"series": f'{SESSIONS}{{session_id="idler"}}', "values": "_ 1x20"},
        ],
        "promql_expr_test": [
            _expect(seen, "10m", resumed=4, failed=3),
            _expect(f"count_over_time({ACTIVITY}[10m])", "10m", worker=4, idler=1),
            # A window from 75 s to 225 s holds the restart at 2 (120 s) and the
            # growth to 6 (180 s), not the growth to 8 at 60 s: 2 + 4 = 6; and of
            # `failed`, the growth to 4 (90 s) and to 6 (165 s): 3 + 2.
            _expect(
                f"sum by (session_id) (sum_over_time({DELTA}[150s]))", "225s", resumed=6, failed=5
            ),
        ],
    }
    tests = {"rule_files": [str(RULES)], "evaluation_interval": "15s", "tests": [test]}
    _promtool_test(promtool, tmp_path, tests)


def _promtool_test(promtool: str, tmp_path, tests: dict) -> None:
    path = tmp_path / "rules_test.yml"
    path.write_text(yaml.safe_dump(tests))
    result = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_span_rules_unit(tmp_path):
    """The span rules, at their own 1-minute interval (promtool evaluates every group at
    `evaluation_interval`, so they get a file of their own)."""
    promtool = require_tool("promtool", INSTALL_HINT)
    tests = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [
            {
                # Tempo's span counters (created a minute after the rules started):
                # a leading zero, growth, a Tempo restart, and a span of another
                # service, which the rule leaves out.
                "interval": "15s",
                "input_series": [
                    {
                        "series": f'{CALLS}{{service="claude-code", span_name="claude_code.tool",'
                        ' tool_name="Read", instance="tempo-0"}',
                        "values": "_x4 0 0 2 2 3 3 3 3 7 7 7 7 1 1 1 1 4 4 4 4",
                    },
                    {
                        "series": f'{CALLS}{{service="checkout", span_name="GET /cart"}}',
                        "values": "0 5 10 15 20 25 30 35 40 45 50 55 60 65 70 75 80 85 90 95",
                    },
                ],
                "promql_expr_test": [
                    # 7 before the restart, then 4 after it.
                    {
                        "expr": f"sum by (tool_name) (sum_over_time({SPAN_DELTA}[10m]))",
                        "eval_time": "6m",
                        "exp_samples": [{"labels": '{tool_name="Read"}', "value": 11}],
                    },
                    # One sample per minute with growth or a birth: the leading zero at
                    # 1m, then 2m (+3), 3m (+4), 4m (restart: 1), 5m (+3); none at 6m.
                    {
                        "expr": f"count_over_time({SPAN_DELTA}[10m])",
                        "eval_time": "6m",
                        "exp_samples": [
                            {
                                "labels": '{span_name="claude_code.tool", tool_name="Read"}',
                                "value": 5,
                            }
                        ],
                    },
                ],
            },
        ],
    }
    _promtool_test(promtool, tmp_path, tests)
