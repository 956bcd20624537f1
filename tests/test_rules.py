"""The generated recording rules: valid, and exact on first exports, resets, idling and expiry."""

from __future__ import annotations

import re
import subprocess

import yaml

from ccdash.harness import INSTALL_HINT
from tests.conftest import ROOT, require_tool

RULES = ROOT / "rules" / "claude-code.rules.yml"
COST = "claude_code_cost_usage_USD_total"
DELTA = f"ccdash:{COST}:delta15s_by_session"
USER_DELTA = f"ccdash:{COST}:delta15s_by_user"
SESSIONS = "claude_code_session_count_total"
ACTIVE = "claude_code_active_time_seconds_total"
ACTIVITY = f"ccdash:{SESSIONS}:active15s_by_session"
CALLS = "traces_spanmetrics_calls_total"
SPAN_DELTA = f"ccdash:{CALLS}:delta1m_by_span"


def test_rules_file_is_valid():
    promtool = require_tool("promtool", INSTALL_HINT)
    result = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    count = sum(len(g["rules"]) for g in yaml.safe_load(RULES.read_text())["groups"])
    assert count > 0 and f"SUCCESS: {count} rules found" in result.stdout


def test_every_rule_a_panel_reads_exists(flagship):
    recorded = {
        r["record"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]
    }
    text = yaml.safe_dump(flagship)
    used = set(re.findall(r"ccdash:[a-zA-Z_]+:\w+", text))
    assert used == recorded  # every rule is read by a panel, every name read is a rule


def _series(values: str, session: str) -> dict:
    return {"series": f'{COST}{{session_id="{session}"}}', "values": values}


def _expect(expr: str, at: str, **values: float) -> dict:
    samples = [
        {"labels": f'{{session_id="{session}"}}', "value": value}
        for session, value in values.items()
    ]
    return {"expr": expr, "eval_time": at, "exp_samples": samples}


def test_rules_unit(tmp_path):
    """promtool test rules: what the rules record, sample by sample, on known series."""
    promtool = require_tool("promtool", INSTALL_HINT)
    total = f"sum by (session_id) (sum_over_time({DELTA}[30m]))"
    seen = f"sum by (session_id) (count_over_time({DELTA}[30m]))"
    tests = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "15s",
        "tests": [
            {
                "interval": "15s",
                "input_series": [
                    # First export 5 (what increase() misses), growth to 8, a resumed
                    # process restarting at 2, growth to 6: 5 + 3 + 2 + 4 = 14.
                    _series("5 5 5 8 8 8 8 2 2 2 2 6 6 6 6", "resumed"),
                    # A one-shot `claude -p` run: its only export is everything.
                    _series("_ _ _ 0.25 0.25 0.25 0.25", "oneshot"),
                    # A finished session re-exposed unchanged: one activity, counted once.
                    _series("4 4 4 4 4 4 4 4 4 4 4 4 4 4 4 4 4 4 4 4", "idle"),
                    # Expired for longer than the lookback, then reborn from 0 by a new
                    # process: 3 + 7 = 10.
                    _series("3 3 3 _x24 7 7 7", "reborn"),
                    # Activity: a session starts at 0 s, adds active time at 15 s (a new
                    # series), 45 s and 105 s; another is only re-exposed after its start.
                    {"series": f'{SESSIONS}{{session_id="worker"}}', "values": "1x20"},
                    {"series": f'{ACTIVE}{{session_id="worker"}}', "values": "_ 2 2 5 5 5 5 9x12"},
                    {"series": f'{SESSIONS}{{session_id="idler"}}', "values": "1x20"},
                ],
                "promql_expr_test": [
                    _expect(total, "10m", resumed=14, oneshot=0.25, idle=4, reborn=10),
                    # One rule sample per change or birth: what Sessions counts as activity.
                    _expect(seen, "10m", resumed=4, oneshot=1, idle=1, reborn=2),
                    # A window from 60 s to 210 s holds the restart at 2 (105 s) and the
                    # growth to 6 (165 s), not the growth to 8 at 45 s: 2 + 4 = 6.
                    _expect(
                        f"sum by (session_id) (sum_over_time({DELTA}[150s]))", "210s", resumed=6
                    ),
                    _expect(f"count_over_time({ACTIVITY}[10m])", "10m", worker=4, idler=1),
                    # The user level adds the sessions up: 14 + 0.25 + 4 + 10.
                    {
                        "expr": f"sum(sum_over_time({USER_DELTA}[30m]))",
                        "eval_time": "10m",
                        "exp_samples": [{"labels": "{}", "value": 28.25}],
                    },
                ],
            },
        ],
    }
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
                # Tempo's span counters: a leading zero, growth, a Tempo restart, and a
                # span of another service, which the rule leaves out.
                "interval": "15s",
                "input_series": [
                    {
                        "series": f'{CALLS}{{service="claude-code", span_name="claude_code.tool",'
                        ' tool_name="Read", instance="tempo-0"}',
                        "values": "0 0 2 2 3 3 3 3 7 7 7 7 1 1 1 1 4 4 4 4",
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
                        "eval_time": "5m",
                        "exp_samples": [{"labels": '{tool_name="Read"}', "value": 11}],
                    },
                    # One sample per minute with growth or a birth: the leading zero at
                    # 0, then 1m (+3), 2m (+4), 3m (restart: 1), 4m (+3); none at 5m.
                    {
                        "expr": f"count_over_time({SPAN_DELTA}[10m])",
                        "eval_time": "5m",
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
