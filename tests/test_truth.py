"""Every figure the dashboard shows, checked on a real Prometheus against the simulator's truth.

Each scenario is generated, backfilled into a temporary TSDB with promtool
(samples, then the recording rules over them) and served by Debian's
prometheus on a loopback port; panels are evaluated the way Grafana would.
"""

from __future__ import annotations

import bisect

import pytest

from agents.claude_code.simulate import fleet, scenarios, truth
from agents.claude_code.simulate.figures import (
    PANEL_FIGURES,
    top_session_figures,
    true_top_sessions,
)
from agents.claude_code.telemetry import SPAN_LATENCY_BUCKETS, SPAN_LLM_REQUEST
from ccdash.build.counters import SOURCE_RULES, UNUSED
from ccdash.check.evaluate import evaluate, instant_value, query_values
from ccdash.check.interpolate import prometheus_targets
from devtools.accuracy import TOLERANCE_PCT, Figure, panel_figures, query, unexcused, within
from queries.checks import (
    canonical_token_type,
    checks,
    llm_error_rate_over_range,
    llm_latency_over_range,
)
from tests.conftest import flagship_build, flagship_for

KNOWABLE = ["steady", "short-sessions", "resumed", "range-edge", "identity", "outage"]


def visible_truth(loaded, window: dict) -> dict:
    """The truth minus what invisible counter resets hide from every PromQL query."""
    simulated = fleet.generate(loaded.scenario)
    return truth.figures(simulated, window["time"], window["range_s"], visible=True)


def test_every_panel_has_data_and_no_errors(serve):
    loaded, client, model = serve("steady")
    for window in loaded.truth["windows"]:
        evals = evaluate(model, client, window["time"], window["range_s"])
        queried = {panel["id"] for panel, _ in prometheus_targets(model)}
        assert {e.panel_id for e in evals} == queried  # every panel but the TraceQL one
        assert [e for e in evals if e.result.error] == []
        assert sorted({e.panel_title for e in evals if e.result.empty}) == []


@pytest.mark.parametrize("name", KNOWABLE)
def test_headline_figures_within_one_percent(serve, name):
    loaded, client, model = serve(name)
    profile = flagship_build().profile
    for window in loaded.truth["windows"]:
        time, range_s = window["time"], window["range_s"]
        visible = visible_truth(loaded, window)
        evals = evaluate(model, client, time, range_s)
        figures = panel_figures(evals, window, PANEL_FIGURES)
        seen = panel_figures(evals, visible, PANEL_FIGURES)
        for check in checks(profile):
            if check.name.startswith("peer."):
                continue
            measured = query(client, model, check.expr, time, range_s, check.label)
            measured = {canonical_token_type(profile, k): v for k, v in measured.items()}
            for key, true in window[check.truth_key].items():
                figures.append(Figure(f"{check.name}[{key}]", true, measured.get(key)))
                seen.append(
                    Figure(f"{check.name}[{key}]", visible[check.truth_key][key], measured.get(key))
                )
        assert unexcused(figures, seen) == [], f"{name} range {range_s / 3600:g}h"


@pytest.mark.parametrize("name", KNOWABLE)
def test_top_sessions_table(serve, name):
    loaded, client, model = serve(name)
    window = loaded.truth["windows"][0]
    evals = evaluate(model, client, window["time"], window["range_s"])
    figures = top_session_figures(evals, window)
    rows = {f.name.split("]")[0].removeprefix("top_session[") for f in figures}
    visible = visible_truth(loaded, window)
    # The true top 20, or the top 20 of what any query can read: on `resumed` an
    # invisible reset hides $0.41 of one session, which ranks it 21st.
    assert rows in ({*true_top_sessions(window)}, {*true_top_sessions(visible)})
    assert len(rows) == min(20, len(window["per_session"]))
    seen = top_session_figures(evals, visible)
    assert unexcused(figures, seen) == []


def test_no_session_id_reads_wrong_and_says_why(serve):
    """Without session ids the figures cannot be right; record what the dashboard reads."""
    loaded, client, model = serve("no-session-id")
    window = loaded.truth["windows"][0]
    evals = evaluate(model, client, window["time"], window["range_s"])
    figures = {f.name: f for f in panel_figures(evals, window, PANEL_FIGURES)}
    # Every session collapses into one empty session_id.
    assert figures["sessions"].measured == 1
    assert window["sessions"] > 10
    # With recording rules the totals depend on how the processes' export phases
    # interleave; read from raw counters, interleaving looks like reset storms
    # and inflates them. Either way the number is luck, not measurement.
    raw_model = flagship_for(recording_rules=False)
    raw_evals = evaluate(raw_model, client, window["time"], window["range_s"])
    raw_figures = {f.name: f for f in panel_figures(raw_evals, window, PANEL_FIGURES)}
    assert raw_figures["notional_cost_usd"].error_pct > 2
    assert raw_figures["total_tokens"].error_pct > 2
    sessions_panel = next(p for p in model["panels"] if p["title"] == "Sessions")
    assert "session_id" in sessions_panel["description"]
    assert "OTEL_METRICS_INCLUDE_SESSION_ID" in sessions_panel["description"]


@pytest.mark.parametrize("name", ["identity", "steady"])
def test_filters(serve, name):
    loaded, client, model = serve(name)
    window = loaded.truth["windows"][0]
    time, range_s = window["time"], window["range_s"]

    def read(title: str, **values) -> float | None:
        evals = evaluate(model, client, time, range_s, values)
        return instant_value(next(e for e in evals if e.panel_title == title).result)

    model_name = max(window["cost_by_model"], key=window["cost_by_model"].get)
    if loaded.scenario.name == "identity":
        model_name = "claude-opus-4-7[1m]"
        assert "claude-opus-4-7" in window["cost_by_model"]  # a name it must not also match
    # One model: Sessions and Active users unchanged, cost narrowed to that model exactly.
    assert read("Sessions", model=model_name) == window["sessions"]
    assert read("Active users", model=model_name) == window["active_users"]
    cost = read("Notional cost (USD)", model=model_name)
    assert cost == pytest.approx(window["cost_by_model"][model_name], rel=0.01)
    # Two models at once (a multi-value selection).
    two = sorted(window["cost_by_model"])[:2]
    both = read("Notional cost (USD)", model=two)
    assert both == pytest.approx(sum(window["cost_by_model"][m] for m in two), rel=0.01)
    # A team narrows every figure that carries the label.
    team = "payments"
    team_truth = truth.figures(fleet.generate(loaded.scenario), time, range_s, team=team)
    assert read("Notional cost (USD)", team=team) == pytest.approx(
        team_truth["notional_cost_usd"], rel=0.01
    )
    assert read("Total tokens", team=team) == pytest.approx(team_truth["total_tokens"], rel=0.01)
    assert read("Sessions", team=team) == team_truth["sessions"]
    assert read("Active users", team=team) == team_truth["active_users"]
    # Every other amount or count that filters by team reads at most what the
    # whole fleet reads, and most read less (ratios are left out: a team's
    # cache hit ratio may well be higher than the fleet's).
    panels = {p["id"]: p for p in model["panels"]}
    everyone = evaluate(model, client, time, range_s)
    narrowed = evaluate(model, client, time, range_s, {"team": team})
    filtered = [
        (a, b)
        for a, b in zip(everyone, narrowed, strict=True)
        if "${team}" in _target(panels[a.panel_id], a.ref_id)["expr"]
        and panels[a.panel_id]["fieldConfig"]["defaults"]["unit"] != "percentunit"
        and "per session" not in a.panel_title
        and "Top sessions" not in a.panel_title
    ]
    assert len(filtered) > 15
    sizes = [(_volume(a.result), _volume(b.result)) for a, b in filtered]
    assert all(small <= big + 1e-9 for big, small in sizes)
    assert sum(small < big for big, small in sizes) > len(sizes) // 2


def _target(panel: dict, ref_id: str) -> dict:
    return next(t for t in panel["targets"] if t["refId"] == ref_id)


def _volume(result) -> float:
    """The sum of every value of an instant or range result: a size to compare."""
    total = 0.0
    for series in result.series:
        points = series.get("values") or [series["value"]]
        total += sum(abs(float(v)) for _, v in points if v not in ("NaN", "+Inf", "-Inf"))
    return total


def _bucket_index(value: float) -> int:
    return bisect.bisect_left(SPAN_LATENCY_BUCKETS, value)


@pytest.mark.parametrize("name", [n for n in KNOWABLE if scenarios.get(n).span_metrics])
def test_span_metric_panels(serve, name):
    loaded, client, model = serve(name)
    profile = flagship_build().profile
    window = loaded.truth["windows"][0]
    time, range_s = window["time"], window["range_s"]
    llm = window["spans"][SPAN_LLM_REQUEST]
    p95 = query(client, model, llm_latency_over_range(profile, 0.95), time, range_s)
    assert abs(_bucket_index(p95) - _bucket_index(llm["p95"])) <= 1, (p95, llm["p95"])
    by_model = query(
        client, model, llm_latency_over_range(profile, 0.95, True), time, range_s, "model"
    )
    for name, measured in by_model.items():
        true = window["spans"][f"{SPAN_LLM_REQUEST}/{name}"]["p95"]
        assert abs(_bucket_index(measured) - _bucket_index(true)) <= 1, (name, measured, true)
    rate = query(client, model, llm_error_rate_over_range(profile), time, range_s)
    assert abs(rate - llm["error_rate"]) <= 0.01, (rate, llm["error_rate"])


# Without rules, totals come from increase() plus the first value of series
# born in the window (min_over_time). Two errors remain, both measured:
# - a resumed process whose first export is lower than the first process's:
#   min_over_time takes the smaller (PromQL 2.x has no first_over_time);
#   on `resumed` (80% of sessions resumed) tokens read -1.1%;
# - increase() extrapolates at the range start for series crossing it, about
#   one export's worth per series: invisible in totals, but a small slice
#   (the haiku/auxiliary cost, ~4% of spend) moved -1.5% (range-edge) to
#   -4.4% (resumed).
# So raw totals are held to 1% (1.5% on resumed) and breakdowns to 5%; the
# recording rules (the default) are exact to the 1% everywhere.
RAW_TOTALS_TOLERANCE_PCT = {"resumed": 1.5}
RAW_BREAKDOWN_TOLERANCE_PCT = 5.0


@pytest.mark.parametrize("name", KNOWABLE)
def test_raw_formulation_without_rules(serve, name):
    """Users without the recording rules build with recording_rules: false."""
    loaded, client, _ = serve(name)
    model = flagship_for(recording_rules=False)
    totals_tolerance = RAW_TOTALS_TOLERANCE_PCT.get(name, TOLERANCE_PCT)
    for window in loaded.truth["windows"]:
        evals = evaluate(model, client, window["time"], window["range_s"])
        visible = visible_truth(loaded, window)
        figures, seen = (
            panel_figures(evals, window, PANEL_FIGURES),
            panel_figures(evals, visible, PANEL_FIGURES),
        )
        totals = [(f, v) for f, v in zip(figures, seen, strict=True) if "[" not in f.name]
        slices = [(f, v) for f, v in zip(figures, seen, strict=True) if "[" in f.name]
        where = f"range {window['range_s'] / 3600:g}h"
        assert unexcused(*zip(*totals, strict=True), totals_tolerance) == [], where
        assert unexcused(*zip(*slices, strict=True), RAW_BREAKDOWN_TOLERANCE_PCT) == [], where


def test_rules_loaded_late_read_raw_counters_before_them(serve):
    """Rules loaded 4 hours into the history: a range reaching back before them reads the
    raw counters (right), one inside their time reads the rules (right and fast)."""
    loaded, client, model = serve("outage", rules_from_hour=4)
    sources = {}
    for window in loaded.truth["windows"]:
        time, range_s = window["time"], window["range_s"]
        sources[range_s] = query_values(model, client, time, range_s)[SOURCE_RULES]
        figures = panel_figures(evaluate(model, client, time, range_s), window, PANEL_FIGURES)
        off = [f for f in figures if not within(f) and f.truth]
        assert off == [], f"range {range_s / 3600:g}h"
    assert sources == {24 * 3600: UNUSED, 3600: "()"}  # the day starts before the rules
