"""The spend-attribution dashboard: its figures on a real Prometheus against the truth,
its tables, filters and the links that tie it to the flagship."""

from __future__ import annotations

import pytest

from agents.claude_code.simulate import fleet, truth
from agents.claude_code.simulate.figures import (
    ATTRIBUTION_FIGURES,
    attribution_truth,
    costliest_subagent_figures,
    subagent_cache_figures,
    true_costliest_subagents,
    true_subagent_cache_sessions,
)
from agents.claude_code.telemetry import ABSENT_MEANS, ATTRIBUTION_LABELS, REDACTED_CUSTOM
from ccdash.check.evaluate import evaluate, instant_by
from ccdash.check.interpolate import prometheus_targets
from dashboards.claude_code_attribution import SUBAGENT_COST, SUBAGENT_RATIO
from devtools.accuracy import panel_figures, unexcused
from queries.attribution import SUBAGENT_MIN_PROMPT
from tests.conftest import ATTRIBUTION, FLAGSHIP, built
from tests.test_truth import KNOWABLE, RAW_BREAKDOWN_TOLERANCE_PCT, visible_truth

MODEL = built(ATTRIBUTION).model


def _figures(evals, loaded, window):
    seen = attribution_truth(visible_truth(loaded, window))
    return (
        panel_figures(evals, attribution_truth(window), ATTRIBUTION_FIGURES),
        panel_figures(evals, seen, ATTRIBUTION_FIGURES),
    )


# --- structure (no server) -------------------------------------------------


def _link_to(model: dict, uid: str) -> dict:
    (link,) = [link for link in model["links"] if link["url"] == f"/d/{uid}"]
    return link


def test_linked_both_ways_keeping_time_and_filters(flagship):
    for source, target in ((flagship, ATTRIBUTION), (MODEL, FLAGSHIP)):
        link = _link_to(source, target)
        assert link["keepTime"] and link["includeVars"]
    assert MODEL["title"] == "Claude Code: where the spend comes from"
    assert [v["name"] for v in MODEL["templating"]["list"]] == [
        v["name"] for v in flagship["templating"]["list"]
    ]


def test_every_breakdown_says_what_absent_and_redacted_values_mean():
    labels = {label: f"{{{{{label}}}}}" for label in ATTRIBUTION_LABELS}
    for panel, target in prometheus_targets(MODEL):
        for label in (
            label for label, legend in labels.items() if legend in target.get("legendFormat", "")
        ):
            description = panel["description"]
            if target["expr"].startswith("label_replace("):
                assert ABSENT_MEANS[label] in description, panel["title"]
            if label.endswith("_name"):
                assert f"`{REDACTED_CUSTOM}`" in description, panel["title"]
    costs = [
        p
        for p in MODEL["panels"]
        if p.get("fieldConfig", {}).get("defaults", {}).get("unit") == "currencyUSD"
    ]
    assert costs and all("Notional" in p["description"] for p in costs)


def test_the_model_filter_cannot_empty_the_start_type_panel():
    (target,) = [t for p, t in prometheus_targets(MODEL) if p["title"] == "Sessions by start type"]
    assert "${model}" not in target["expr"] and "${user}" in target["expr"]


# --- on a real Prometheus --------------------------------------------------


def test_every_panel_has_data_and_no_errors(serve):
    loaded, client, _ = serve("steady")
    for window in loaded.truth["windows"]:
        evals = evaluate(MODEL, client, window["time"], window["range_s"])
        assert {e.panel_id for e in evals} == {p["id"] for p, _ in prometheus_targets(MODEL)}
        assert [e.result.error for e in evals if e.result.error] == []
        assert sorted({e.panel_title for e in evals if e.result.empty}) == []


@pytest.mark.parametrize("name", KNOWABLE)
def test_breakdowns_within_one_percent(serve, name):
    loaded, client, _ = serve(name)
    for window in loaded.truth["windows"]:
        evals = evaluate(MODEL, client, window["time"], window["range_s"])
        figures, seen = _figures(evals, loaded, window)
        shown = attribution_truth(window)
        true = {n for n, _, _ in ATTRIBUTION_FIGURES if shown[n]}
        assert {f.name.split("[")[0] for f in figures} == true and len(true) > 10
        assert unexcused(figures, seen) == [], f"{name} range {window['range_s'] / 3600:g}h"


@pytest.mark.parametrize("name", ["steady", "resumed", "range-edge"])
def test_raw_formulation_without_rules(serve, name):
    loaded, client, _ = serve(name)
    model = built(ATTRIBUTION, recording_rules=False).model
    for window in loaded.truth["windows"]:
        evals = evaluate(model, client, window["time"], window["range_s"])
        figures, seen = _figures(evals, loaded, window)
        assert unexcused(figures, seen, RAW_BREAKDOWN_TOLERANCE_PCT) == []


@pytest.mark.parametrize("name", ["steady", "resumed", "identity"])
def test_subagent_tables(serve, name):
    loaded, client, _ = serve(name)
    window = loaded.truth["windows"][0]
    evals = evaluate(MODEL, client, window["time"], window["range_s"])
    visible = visible_truth(loaded, window)
    costliest = costliest_subagent_figures(evals, window)
    rows = {f.name.removeprefix("subagent[").removesuffix("]") for f in costliest}
    tops = ({*true_costliest_subagents(window)}, {*true_costliest_subagents(visible)})
    assert rows in tops and len(rows) == 20
    assert unexcused(costliest, costliest_subagent_figures(evals, visible)) == []
    low = subagent_cache_figures(evals, window, SUBAGENT_RATIO, SUBAGENT_COST)
    listed = {f.name.split("]")[0].removeprefix("subagent_cache[") for f in low}
    expected = true_subagent_cache_sessions(window, SUBAGENT_MIN_PROMPT)
    seen = true_subagent_cache_sessions(visible, SUBAGENT_MIN_PROMPT)
    assert listed in ({*expected}, {*seen}) and len(listed) == min(20, len(expected)) > 5
    assert (
        unexcused(low, subagent_cache_figures(evals, visible, SUBAGENT_RATIO, SUBAGENT_COST)) == []
    )


def test_redacted_subagents_read_least_from_cache(serve):
    """The story the simulator tells, read back: custom subagents cache poorly."""
    loaded, client, _ = serve("steady")
    window = loaded.truth["windows"][0]
    evals = evaluate(MODEL, client, window["time"], window["range_s"])
    (ratio,) = [e for e in evals if e.panel_title == "Cache hit ratio by agent"]
    by_agent = instant_by(ratio.result, "agent_name")
    assert min(by_agent, key=by_agent.get) == REDACTED_CUSTOM
    assert ABSENT_MEANS["agent_name"] in by_agent


def test_team_filter_narrows_and_model_filter_keeps_sessions(serve):
    loaded, client, _ = serve("identity")
    window = loaded.truth["windows"][0]
    time, range_s = window["time"], window["range_s"]
    team = truth.figures(fleet.generate(loaded.scenario), time, range_s, team="payments")

    def read(title: str, label: str, **values) -> dict[str, float]:
        evals = evaluate(MODEL, client, time, range_s, values)
        (e,) = [e for e in evals if e.panel_title == title]
        return instant_by(e.result, label)

    measured = read("Notional cost by agent", "agent_name", team="payments")
    for agent, cost in team["cost_by_agent_name"].items():
        assert measured[agent] == pytest.approx(cost, rel=0.01)
    starts = read("Sessions by start type", "start_type")
    assert starts == window["sessions_by_start_type"]
    any_model = sorted(window["cost_by_model"])[0]
    assert read("Sessions by start type", "start_type", model=any_model) == starts
