"""Headline figures on a live Prometheus scraping a live exporter, under each fault.

Every case runs at once, in the background from the start of the session
(about 6 minutes of wall time, mostly waiting; conftest runs these tests
last), then each is checked: the dashboard as built (reading the rules,
which must have covered the range), and the same dashboard without rules
(raw counters), both within 1% of what reached Prometheus and never above
what the exports added. Faults where the truth
is knowable leave nothing to excuse: every export reached Prometheus.
"""

from __future__ import annotations

import shutil
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from agents.claude_code.simulate.figures import PANEL_FIGURES
from ccdash.build.counters import SOURCE_RULES
from ccdash.check.evaluate import evaluate, query_values
from ccdash.check.interpolate import variables_of
from devtools.accuracy import Figure, panel_figures, query
from devtools.harness import INSTALL_HINT
from queries.claude_code import cost_total
from tests import live
from tests.conftest import ROOT, flagship_for, require_tool

pytestmark = pytest.mark.prometheus
TOLERANCE_PCT = 1.0
HEADLINES = ("notional_cost_usd", "total_tokens", "sessions", "active_users")


def start(workdir: Path) -> Future:
    """Play every case in a background thread: called when the session's tests are known
    (conftest), so the few minutes of real time overlap the rest of the suite."""
    rules = {"claude-code.rules.yml": (ROOT / "rules" / "claude-code.rules.yml").read_text()}
    return ThreadPoolExecutor(max_workers=1).submit(live.run_all, rules, workdir)


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    require_tool("prometheus", INSTALL_HINT)
    playing = getattr(request.config, "live_runs", None)
    played = (playing or start(tmp_path_factory.mktemp("live"))).result()
    yield played
    for run in played.values():
        run.prometheus.__exit__()
    shutil.rmtree(getattr(request.config, "live_workdir", ""), ignore_errors=True)


def figures(run: live.LiveRun, model: dict, reached: bool = True) -> list[Figure]:
    """The dashboard's headline panels and cost per session, against the exports' truth
    (by default, what reached Prometheus)."""
    client = run.prometheus.client()
    range_s = run.end - run.start
    true = live.truth(run.exporter, run.start, run.end, reached)
    evals = evaluate(model, client, run.end, range_s)
    shown = [
        f for f in panel_figures(evals, {**true, **_unused()}, PANEL_FIGURES) if f.name in HEADLINES
    ]
    built = replace(live.P, recording_rules=SOURCE_RULES in variables_of(model))
    per_session = query(client, model, cost_total(built, ("session_id",)), run.end, range_s,
                        "session_id")  # fmt: skip
    for sid in sorted(set(true["cost_by_session"]) | set(per_session)):
        shown.append(Figure(f"cost[{sid}]", true["cost_by_session"].get(sid), per_session.get(sid)))
    return shown


def _unused() -> dict:
    """Truth keys of the panels this test does not check (no cache or model slices)."""
    return {"cache_hit_ratio": None, "cost_by_model": {}, "cost_by_query_source": {}}


def _above(shown: list[Figure]) -> list[str]:
    """Figures above the whole truth (what was exported, reached or not)."""
    return [
        f"{f.name}: {f.truth} < {f.measured}"
        for f in shown
        if f.truth is not None and f.measured is not None and f.measured > f.truth * 1.0001
    ]


def _off(shown: list[Figure]) -> list[str]:
    return [
        f"{f.name}: truth {f.truth} measured {f.measured} ({f.error_pct}%)"
        for f in shown
        if f.error_pct is None or abs(f.error_pct) > TOLERANCE_PCT
    ]


@pytest.mark.parametrize("case", [c.name for c in live.CASES])
def test_recorded_figures_survive(runs, flagship, case):
    run = runs[case]
    values = query_values(flagship, run.prometheus.client(), run.end, run.end - run.start)
    assert values[SOURCE_RULES] == "()", "the rules did not cover the range: nothing was tested"
    assert _off(figures(run, flagship)) == []
    assert _above(figures(run, flagship, reached=False)) == []


@pytest.mark.parametrize("case", [c.name for c in live.CASES])
def test_raw_figures_survive(runs, case):
    raw = flagship_for(recording_rules=False)
    assert _off(figures(runs[case], raw)) == []
    assert _above(figures(runs[case], raw, reached=False)) == []


def test_the_cases_hold_what_they_claim(runs):
    """Sessions born, resumed and idle in the window, and each fault really happened."""
    run = runs["clean"]
    true = live.truth(run.exporter, run.start, run.end)
    assert {"new-oneshot", "old-resumed", "old-growing"} <= set(true["cost_by_session"])
    assert "old-idle" not in true["cost_by_session"]
    # Only a restart loses exports; everything else reached Prometheus.
    for name, played in runs.items():
        lost = true != live.truth(played.exporter, played.start, played.end, reached=True)
        assert lost is (name == "exporter restart"), name
    client = runs["one failed scrape (HTTP 500)"].prometheus.client()
    down = client.query(f"count_over_time((up == 0)[{int(run.end - run.start)}s:5s])", run.end)
    assert down.series, "no failed scrape was recorded"
