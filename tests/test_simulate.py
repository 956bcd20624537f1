"""The fleet simulator: deterministic, faithful to the exporter's behaviour, and self-consistent."""

from __future__ import annotations

import itertools
import json
import math

import pytest

from agents.claude_code.simulate import exposition, fleet, scenarios, truth
from agents.claude_code.simulate.exposition import Export, exposed_samples, first_scrape_after
from agents.claude_code.telemetry import Profile
from tests.conftest import run_script


def test_same_seed_same_bytes(tmp_path):
    outputs = []
    for run in ("a", "b"):
        simulated = fleet.generate(scenarios.get("short-sessions"))
        files, _ = exposition.write_openmetrics(simulated, Profile(), tmp_path / run)
        outputs.append(
            ([f.read_bytes() for f in files], json.dumps(truth.truth(simulated), sort_keys=True))
        )
    assert outputs[0] == outputs[1]


def test_exporter_re_exposes_until_expiration():
    process = object()
    series = [Export(100.0, 1, process, ("cost", ())), Export(160.0, 3, process, ("cost", ()))]
    samples = list(exposed_samples(series, expiration=300, until=10_000))
    times = [t for t, _ in samples]
    assert times[0] == first_scrape_after(100.0) == 112  # scrapes at 7 s past each 15 s
    assert all(b - a == 15 for a, b in itertools.pairwise(times))
    assert [v for t, v in samples if t <= 160] == [1, 1, 1, 1]
    assert {v for t, v in samples if t > 160} == {3}
    assert times[-1] < 160 + 300 <= times[-1] + 15  # gone once metric_expiration passes


def test_short_session_has_one_export():
    simulated = fleet.generate(scenarios.get("short-sessions"))
    short = [p for p in simulated.processes if p.end - p.start < 60]
    assert len(short) > 50
    assert all(p.export_times() == [p.end] for p in short)


def test_resumed_processes_share_series_and_restart_from_zero():
    simulated = fleet.generate(scenarios.get("resumed"))
    shared = [
        s
        for s in exposition.exports(simulated, Profile()).values()
        if len({id(e.process) for e in s}) > 1
    ]
    assert shared
    drops = sum(b.value < a.value for s in shared for a, b in itertools.pairwise(s))
    assert drops > 0  # counter resets Prometheus will see


def test_no_session_id_merges_sessions_into_one_series():
    simulated = fleet.generate(scenarios.get("no-session-id"))
    series = exposition.exports(simulated, Profile())
    assert all("session_id" not in dict(labels) for _, labels in series)
    sessions_per_series = [len({e.process.session_id for e in s}) for s in series.values()]
    assert max(sessions_per_series) > 3


def test_identity_labels():
    simulated = fleet.generate(scenarios.get("identity"))
    labels = [dict(lbl) for _, lbl in exposition.exports(simulated, Profile())]
    assert any("user_email" not in lbl for lbl in labels)  # API-key users
    assert any(lbl["job"] == "claude-code-desktop" for lbl in labels)
    assert any(lbl.get("model") == "claude-opus-4-7[1m]" for lbl in labels)
    assert any("team" not in lbl for lbl in labels) and any("team" in lbl for lbl in labels)


def test_truth_is_self_consistent():
    simulated = fleet.generate(scenarios.get("steady"))
    t, r = scenarios.get("steady").evaluation_windows()[0]
    w = truth.figures(simulated, t, r)
    assert math.isclose(sum(w["cost_by_model"].values()), w["notional_cost_usd"])
    assert math.isclose(sum(w["cost_by_query_source"].values()), w["notional_cost_usd"])
    assert math.isclose(
        sum(s["notional_cost_usd"] for s in w["per_session"].values()), w["notional_cost_usd"]
    )
    assert sum(w["tokens_by_type"].values()) == w["total_tokens"]
    assert w["sessions"] == len({p.session_id for p in simulated.processes})
    assert 0.5 < w["cache_hit_ratio"] < 1
    # A team's figures are a part of the whole.
    team = truth.figures(simulated, t, r, team="payments")
    assert 0 < team["notional_cost_usd"] < w["notional_cost_usd"]


def test_simulate_script(tmp_path):
    out = tmp_path / "sim"
    result = run_script("simulate", "identity", "--out", str(out))
    assert result.returncode == 0, result.stderr
    data = json.loads((out / "truth.json").read_text())
    assert data["scenario"] == "identity" and data["windows"]
    files = sorted((out / "openmetrics").glob("*.om"))
    assert files and all(f.read_text().endswith("# EOF\n") for f in files)


@pytest.mark.parametrize("args", [["nonsense"], []])
def test_simulate_lists_or_rejects(args):
    result = run_script("simulate", *args)
    if args:
        assert result.returncode == 2 and "unknown scenario 'nonsense'" in result.stderr
    else:
        assert result.returncode == 0 and "steady" in result.stdout


def test_reference_fleets_scale_one_team():
    """fleet-s and fleet-xs are a quarter and a sixteenth of fleet-m, otherwise alike."""
    m, s, xs = (scenarios.get(n) for n in ("fleet-m", "fleet-s", "fleet-xs"))
    assert (m.users, m.days, m.sessions_per_day, m.metric_expiration) == (50, 7, (8, 8), 1800)
    assert abs(s.users - m.users / 4) <= 0.5 and abs(xs.users - m.users / 16) <= 0.5
    assert {(f.days, f.sessions_per_day, f.metric_expiration) for f in (m, s, xs)} == {
        (7, (8, 8), 1800)
    }
    assert all(name not in scenarios.SCENARIOS for name in scenarios.FLEETS)


def test_reference_fleet_sessions_and_spans():
    xs = fleet.generate(scenarios.get("fleet-xs"))
    sessions = {p.session_id for p in xs.processes}
    # 8 a day per user, each placed in working hours, none cut by the week's end.
    assert len(sessions) == 3 * 7 * 8
    per_day = {(p.user.id, int((p.start - xs.start) // 86400)) for p in xs.processes}
    assert len(per_day) == 3 * 7
    # Every session exported usage, and its requests and tools made spans.
    with_spans = {p.session_id for p in xs.processes if p.increments}
    assert with_spans == sessions and len(xs.spans) > len(sessions)
