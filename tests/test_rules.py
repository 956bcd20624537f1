"""The generated recording rules: valid, and exact on first exports, resets, idling and expiry."""

from __future__ import annotations

import re
import subprocess

import yaml

from ccdash.harness import INSTALL_HINT
from tests.conftest import ROOT, require_tool

RULES = ROOT / "rules" / "claude-code.rules.yml"
COST = "claude_code_cost_usage_USD_total"
DELTA = f"ccdash:{COST}:delta15s"


def test_rules_file_is_valid():
    promtool = require_tool("promtool", INSTALL_HINT)
    result = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 8 rules found" in result.stdout


def test_every_rule_a_panel_reads_exists(flagship):
    recorded = {
        r["record"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]
    }
    text = yaml.safe_dump(flagship)
    used = set(re.findall(r"ccdash:[a-zA-Z_]+:delta15s", text))
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
                ],
            }
        ],
    }
    path = tmp_path / "rules_test.yml"
    path.write_text(yaml.safe_dump(tests))
    result = subprocess.run(
        [promtool, "test", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
