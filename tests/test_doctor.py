"""`ccdash doctor` against a real Prometheus: each pipeline fault, simulated, is reported exactly.

Every fault scenario is a small fleet with one fault (ccdash/simulate/
scenarios.py DOCTOR_FAULTS), backfilled without recording rules (hence
`--raw`) and served by a real Prometheus. The doctor must report exactly
the expected finding ids, and nothing on the healthy `steady` fleet.
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from agents.claude_code.doctor import diagnose
from agents.claude_code.doctor.context import Context, ago
from agents.claude_code.doctor.identity import accepts
from agents.claude_code.doctor.panels import TargetUse, affected, target_uses
from agents.claude_code.doctor.presence import matching_naming
from agents.claude_code.doctor.series import (
    SAMPLED_SESSIONS,
    clustered,
    freshness,
    session_sample,
    session_tails,
)
from agents.claude_code.simulate import scenarios
from agents.claude_code.simulate.exposition import SCRAPE_INTERVAL
from agents.claude_code.simulate.scenarios import NOW_PHASE, ORIGIN
from agents.claude_code.telemetry import NAMINGS, Profile
from ccdash.check.doctor.findings import EXIT_CODES, SPANS, Breaks
from ccdash.check.interpolate import prometheus_targets
from ccdash.cli import cli
from devtools.harness import INSTALL_HINT, LocalPrometheus, backfill
from devtools.openmetrics import BlockWriter
from tests.conftest import ROOT, require_tool, run_script

TOKEN = "s3cr3t-doctor-token-value"


def doctor(url: str, at: float, *args: str, range_: str = "1d", env: dict | None = None):
    return CliRunner().invoke(
        cli,
        [
            "--project",
            str(ROOT),
            "doctor",
            "--prometheus",
            url,
            "--at",
            f"{at:.0f}",
            "--range",
            range_,
            "--format",
            "json",
            *args,
        ],
        env=env,
    )


# The CLI's convention: 0 success, 1 a finding, 2 usage or configuration, 3
# unreachable; the doctor's error findings need a code of their own.
NOTHING, WARNING_CODE, ERROR_CODE = 0, 1, 4


def report(result) -> dict:
    assert result.exit_code in (NOTHING, WARNING_CODE, ERROR_CODE), result.output
    return json.loads(result.output)


def ids(found: dict, *severities: str) -> set[str]:
    return {f["id"] for f in found["findings"] if not severities or f["severity"] in severities}


def end_of(name: str) -> float:
    return scenarios.get(name).end + NOW_PHASE


def span_panels(model: dict) -> set[str]:
    """Panels reading span metrics, found independently of the doctor: by metric-name prefix."""
    return {p["title"] for p, t in prometheus_targets(model) if "traces_spanmetrics" in t["expr"]}


# (scenario, extra options, expected finding ids, expected exit code)
FAULTS = [
    ("fault-delta", [], {"delta-temporality"}, ERROR_CODE),
    ("fault-no-session-id", [], {"no-session-id", "counter-collisions"}, ERROR_CODE),
    ("fault-expiration", [], {"short-expiration"}, WARNING_CODE),
    ("fault-no-spans", ["--tempo-metrics"], {"span-metrics-absent"}, ERROR_CODE),
    ("fault-span-dimensions", ["--tempo-metrics"], {"span-dimensions-missing"}, ERROR_CODE),
    ("fault-collector-spans", [], {"span-metrics-flavour"}, WARNING_CODE),
    ("fault-token-type", [], {"token-label-mismatch"}, ERROR_CODE),
    ("fault-collector-down", [], {"collector-down"}, ERROR_CODE),
]


def test_exit_codes_keep_the_cli_convention():
    # 2 and 3 mean the doctor could not run (bad option, unreachable server):
    # no finding may share them.
    assert set(EXIT_CODES.values()).isdisjoint({2, 3})
    assert EXIT_CODES["error"] > EXIT_CODES["warning"] > EXIT_CODES["info"] == 0


@pytest.mark.parametrize(
    ("name", "options", "expected", "code"), FAULTS, ids=[f[0] for f in FAULTS]
)
def test_each_fault_is_reported_exactly(serve, name, options, expected, code):
    _, client, _ = serve(name, rules=False)
    result = doctor(client.url, end_of(name), "--raw", *options)
    found = report(result)
    assert ids(found) == expected, found
    assert result.exit_code == code == found["exit_code"]
    for finding in found["findings"]:
        assert finding["evidence"] and finding["fix"]


def test_short_expiration_is_measured_as_configured(serve):
    name = "fault-expiration"
    _, client, _ = serve(name, rules=False)
    (finding,) = report(doctor(client.url, end_of(name), "--raw"))["findings"]
    assert f"about {ago(scenarios.get(name).metric_expiration)} after" in finding["title"]


def test_json_output_is_the_same_on_the_same_data(serve):
    _, client, _ = serve("fault-delta", rules=False)
    first, second = (doctor(client.url, end_of("fault-delta"), "--raw") for _ in range(2))
    assert first.output == second.output
    assert "seconds" not in json.loads(first.output)


def test_a_fleet_off_at_weekends_is_not_stale_on_monday_morning(serve):
    # Two weeks of a Monday-to-Friday fleet, evaluated on Monday before work:
    # the silence since Friday is as long as the previous weekend's.
    name = "office-weekdays"
    scenario = scenarios.get(name)
    at = end_of(name)
    assert datetime.fromtimestamp(at, UTC).strftime("%A %H") == "Monday 06"
    assert set(scenario.weekdays) == {0, 1, 2, 3, 4}
    _, client, _ = serve(name, rules=False)
    result = doctor(client.url, at, "--raw", "--tempo-metrics", range_="7d")  # the default
    assert report(result)["findings"] == []
    assert result.exit_code == NOTHING


def test_healthy_fleet_has_no_findings(serve):
    _, client, _ = serve("steady")
    result = doctor(client.url, end_of("steady"), "--tempo-metrics", range_="3d")
    assert report(result)["findings"] == []
    assert result.exit_code == 0


def test_data_ending_hours_before_now_is_stale(serve):
    # The steady fleet's data ends ~19:30 on its last day; 12 h after the end
    # the silence is longer than any night in its three days.
    _, client, _ = serve("steady")
    found = report(doctor(client.url, end_of("steady") + 12 * 3600, range_="3d"))
    assert ids(found) == {"stale-data"}
    (stale,) = found["findings"]
    assert stale["severity"] == "warning"
    assert re.search(r"about 1[6-7]\.\d h old", stale["evidence"][0]), stale["evidence"]


def test_naming_mismatch_names_the_profile(serve):
    _, client, _ = serve("steady")
    found = report(doctor(client.url, end_of("steady"), "--profile", "mimir", range_="3d"))
    assert ids(found) == {"naming-mismatch"}
    (finding,) = found["findings"]
    assert "`ccdash build --profile collector`" in finding["fix"]
    assert "claude_code_cost_usage" in " ".join(finding["evidence"])


def test_missing_recording_rules(serve):
    """Without the rules the panels read raw counters: slower, not wrong (exit 1, not 4)."""
    _, client, _ = serve("fault-no-spans", rules=False)
    result = doctor(client.url, end_of("fault-no-spans"))
    found = report(result)
    assert ids(found, "warning", "error") == {"rules-missing"}
    assert ids(found, "info") == {"span-metrics-absent"}
    rules = next(f for f in found["findings"] if f["id"] == "rules-missing")
    assert rules["severity"] == "warning"
    assert rules["panels"] == [] and rules["variables"] == []
    assert result.exit_code == 1


def test_absent_span_metrics_are_information_unless_expected(serve):
    _, client, model = serve("fault-no-spans", rules=False)
    result = doctor(client.url, end_of("fault-no-spans"), "--raw")
    found = report(result)
    assert [(f["id"], f["severity"]) for f in found["findings"]] == [
        ("span-metrics-absent", "info")
    ]
    assert result.exit_code == 0
    assert set(found["findings"][0]["panels"]) == span_panels(model)


def test_missing_span_dimensions_name_the_panels_grouping_by_them(serve):
    _, client, model = serve("fault-span-dimensions", rules=False)
    result = doctor(client.url, end_of("fault-span-dimensions"), "--raw")
    (finding,) = report(result)["findings"]
    assert finding["severity"] == "warning" and result.exit_code == 1
    evidence = " ".join(finding["evidence"])
    assert "no model label" in evidence and "no tool_name label" in evidence
    grouping = {
        p["title"]
        for p, t in prometheus_targets(model)
        if "traces_spanmetrics" in t["expr"] and re.search(r"\b(model|tool_name)\b", t["expr"])
    }
    assert set(finding["panels"]) == grouping
    assert "Time blocked on user approval (p95)" not in finding["panels"]


def test_findings_name_only_the_panels_they_break(serve):
    _, client, model = serve("fault-token-type", rules=False)
    (finding,) = report(doctor(client.url, end_of("fault-token-type"), "--raw"))["findings"]
    assert "--set token_label=token_type" in finding["fix"]
    assert "Cache hit ratio" in finding["panels"]
    assert "Active time" not in finding["panels"]  # `type` there is active time's own label
    assert not set(finding["panels"]) & span_panels(model)
    _, client, _ = serve("fault-no-session-id", rules=False)
    found = report(doctor(client.url, end_of("fault-no-session-id"), "--raw"))
    by_id = {f["id"]: f for f in found["findings"]}
    assert "Sessions" in by_id["no-session-id"]["panels"]
    assert "Notional cost (USD)" not in by_id["no-session-id"]["panels"]
    assert "Notional cost (USD)" in by_id["counter-collisions"]["panels"]


def test_identity_variants_are_information_only(serve):
    _, client, _ = serve("identity")
    found = report(doctor(client.url, end_of("identity")))
    assert ids(found) == {"no-user-email", "no-attribution", "service-names"}
    assert ids(found, "warning", "error") == set()
    names = " ".join(next(f for f in found["findings"] if f["id"] == "service-names")["evidence"])
    assert "claude-code-desktop" in names


@pytest.mark.prometheus
def test_no_claude_code_metrics_at_all():
    require_tool("prometheus", INSTALL_HINT)
    with tempfile.TemporaryDirectory() as tmp, LocalPrometheus(Path(tmp)) as prom:
        result = doctor(prom.url, end_of("steady"))
    found = report(result)
    assert ids(found) == {"no-metrics"}
    assert result.exit_code == ERROR_CODE
    fix = found["findings"][0]["fix"]
    assert "CLAUDE_CODE_ENABLE_TELEMETRY=1" in fix
    # The endpoint as Claude Code takes it: a URL, scheme included.
    endpoint = re.search(r"OTEL_EXPORTER_OTLP_ENDPOINT=(\S+)", fix).group(1)
    assert urlsplit(endpoint).scheme in ("http", "https"), endpoint


def test_text_output_and_token_never_shown(serve):
    _, client, _ = serve("fault-delta", rules=False)
    args = [
        "--project",
        str(ROOT),
        "doctor",
        "--prometheus",
        client.url,
        "--at",
        f"{end_of('fault-delta'):.0f}",
        "--raw",
    ]
    result = CliRunner().invoke(cli, args, env={"PROMETHEUS_TOKEN": TOKEN})
    assert result.exit_code == ERROR_CODE
    assert "ERROR   delta-temporality" in result.output
    assert "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative" in result.output
    assert TOKEN not in result.output
    unreachable = doctor("http://127.0.0.1:9", 0, env={"PROMETHEUS_TOKEN": TOKEN})
    assert unreachable.exit_code == 3
    assert TOKEN not in unreachable.output
    assert "cannot reach Prometheus" in unreachable.output


def test_bad_options_are_configuration_errors():
    result = doctor("http://127.0.0.1:9", 0, range_="soon")
    assert result.exit_code == 2 and "--range" in result.output
    # verify and doctor share the Prometheus options: same names, same errors.
    for command in ("doctor", "verify"):
        for option in ("--at", "--time"):
            bad_time = CliRunner().invoke(
                cli,
                ["--project", str(ROOT), command, "--prometheus", "http://x:1", option, "later"],
            )
            assert bad_time.exit_code == 2 and "--at: 'later'" in bad_time.output, command
        bad_range = CliRunner().invoke(
            cli,
            ["--project", str(ROOT), command, "--prometheus", "http://x:1", "--range", "soon"],
        )
        assert bad_range.exit_code == 2 and "--range: " in bad_range.output, command


# Pure logic.


def test_naming_ties_prefer_the_built_profile():
    exporter = set(NAMINGS["claude-code-exporter"].values())
    collector = set(NAMINGS["collector"].values())
    shared = exporter & collector
    assert matching_naming(shared, "claude-code-exporter") == "claude-code-exporter"
    assert matching_naming(shared, "collector") == "collector"
    # The exporter's cost name breaks the tie even for a collector-built dashboard.
    assert matching_naming(exporter, "collector") == "claude-code-exporter"
    assert matching_naming({"claude_code.token.usage_tokens_total"}, "collector") is None


def test_expiration_needs_a_cluster():
    # Series exposed `expiration` after their last change are last seen up to
    # one scrape earlier: the estimate must land within a scrape of it.
    expiration = 300.0
    tails = [expiration - lag for lag in (0, 3, 7, 11, 14)]
    assert abs(clustered(tails) - expiration) <= SCRAPE_INTERVAL
    assert clustered([290.0, 295, 288, 299]) is None  # too few sessions
    assert clustered([60.0, 600, 1800, 3000, 4000, 7000]) is None  # no common tail


def test_session_tails_use_the_last_change():
    def series(sid, values):
        return {"metric": {"session_id": sid}, "values": [[t, str(v)] for t, v in values]}

    matrix = [
        series("a", [(100, 1), (115, 2), (130, 2), (145, 2)]),  # changed at 115, last 145
        series("a", [(100, 1), (115, 1), (130, 1), (145, 1)]),  # no change since 100
        series("b", [(100, 1), (115, 1), (9990, 1)]),  # still exposed at the window's end
        series("c", [(40, 1), (55, 1)]),  # born at 40: a change, unless the window starts late
    ]
    assert session_tails(matrix, start=0, end=10_000) == {"a": 30.0, "c": 15.0}
    # A series whose first sample is at the window's start may have changed before it.
    assert session_tails(matrix, start=20, end=10_000) == {"a": 30.0}


def test_service_filters():
    def use(*matchers):
        return TargetUse("p", frozenset({SPANS}), frozenset(), matchers)

    assert accepts(use(("service", "=~", "claude-code.*")), "service", "claude-code-desktop")
    assert not accepts(use(("service", "=", "claude-code")), "service", "claude-code-desktop")
    assert accepts(use(("service", "=", "claude-code")), "job", "claude-code-desktop")
    assert not accepts(use(("job", "!~", ".*desktop")), "job", "claude-code-desktop")


def test_panel_mapping_is_derived_from_queries(flagship):
    uses = target_uses(flagship, Profile())
    sessions = affected(uses, Breaks(frozenset(NAMINGS["collector"]), frozenset({"session_id"})))
    expected = {p["title"] for p, t in prometheus_targets(flagship) if "session_id" in t["expr"]}
    assert set(sessions) == expected and "Sessions" in sessions
    assert affected(uses, Breaks(frozenset({"commits"}))) == ["Commits and pull requests"]


def test_a_filter_dropping_desktop_sessions_is_found(serve):
    # The identity fleet has claude-code-desktop sessions; a recording rule
    # that keeps only service="claude-code" would drop them before any panel.
    _, client, model = serve("identity")
    rule = {
        "record": "ccdash:traces_spanmetrics_calls_total:delta1m_by_span",
        "expr": 'sum by (span_name) (traces_spanmetrics_calls_total{service="claude-code"})',
    }
    groups = [{"name": "narrow", "rules": [rule]}]
    found = diagnose(client, model, Profile(), end_of("identity"), 86400, rule_groups=groups)
    assert found.ids("warning", "error") == {"service-filtered"}
    (filtered,) = [f for f in found.findings if f.id == "service-filtered"]
    assert filtered.evidence == [
        f'recording rule {rule["record"]} filters out service="claude-code-desktop"'
    ]
    assert found.exit_code == 1


@pytest.mark.parametrize("sessions", [40, 301, 1200, 4801, 20_000, 10**6, 10**7])
def test_large_fleets_are_sampled_to_about_the_stated_size(sessions):
    # Session ids are uniform hex: the sample's expected size is the share of
    # 4-hex-digit prefixes the regex accepts, times the fleet.
    pattern = re.compile(session_sample(sessions))
    prefixes = ["".join(p) for p in product("0123456789abcdef", repeat=4)]
    share = sum(bool(pattern.fullmatch(f"{p}0ffe-0000-4000-a000-000000000000")) for p in prefixes)
    expected = sessions * share / len(prefixes)
    if sessions <= SAMPLED_SESSIONS:
        assert expected == sessions
    else:
        assert SAMPLED_SESSIONS / 2 <= expected <= SAMPLED_SESSIONS, (pattern, expected)


def test_fault_scenarios_are_listed_apart_and_generated(tmp_path):
    listed = run_script("simulate", "--list")
    assert listed.returncode == 0
    faults_at = listed.stdout.index("Pipeline faults")
    assert listed.stdout.index("fault-delta") > faults_at > listed.stdout.index("steady")
    assert "fault-delta" not in scenarios.SCENARIOS  # kept out of the accuracy report
    assert listed.stdout.index("office-weekdays") > faults_at
    assert "office-weekdays" not in scenarios.SCENARIOS
    made = run_script("simulate", "fault-collector-down", "--out", str(tmp_path))
    assert made.returncode == 0, made.stderr
    text = "".join(p.read_text() for p in sorted((tmp_path / "openmetrics").glob("*.om")))
    assert 'up{instance="otel-collector:8889",job="otel-collector"} 0 ' in text


def test_the_no_session_id_fleet_with_rules(serve):
    # The truth tests' fleet: interleaved writers, recording rules loaded, no span metrics.
    _, client, _ = serve("no-session-id")
    noon = scenarios.get("no-session-id").start + 12 * 3600 + NOW_PHASE  # mid-activity
    found = report(doctor(client.url, noon))
    assert ids(found, "error") == {"no-session-id", "counter-collisions"}
    assert ids(found, "info") == {"span-metrics-absent"}
    assert ids(found, "warning") == set()


# `up`: the collector's target, not its past instances nor other collectors.

INSTANT = ORIGIN + 6 * 3600  # the evaluation time of the hand-made series below
CLAUDE = Profile().metric("active_time")


def scrapes(start: float, end: float) -> range:
    return range(int(start), int(end) + 1, SCRAPE_INTERVAL)


def claude_series(instance: str, start: float, end: float) -> tuple:
    labels = {"job": "claude-code", "instance": instance, "session_id": instance, "user_id": "u"}
    return (CLAUDE, labels, [(t, float(t - start)) for t in scrapes(start, end)])


def up_series(job: str, instance: str, values: list[tuple[int, float]]) -> tuple:
    return ("up", {"job": job, "instance": instance}, values)


def freshness_of(tmp_path: Path, series: list[tuple], *times: float) -> list[list]:
    """The doctor's freshness findings at each time, on exactly these series."""
    require_tool("promtool", INSTALL_HINT)
    require_tool("prometheus", INSTALL_HINT)
    writer = BlockWriter(tmp_path / "om", "up")
    for name, labels, samples in sorted(series, key=lambda s: s[0]):
        writer.start_family(name)
        writer.write(name, tuple(sorted(labels.items())), samples)
    backfill(writer.close(), tmp_path / "tsdb")
    with LocalPrometheus(tmp_path / "tsdb") as prom:
        client = prom.client()
        return [freshness(Context(client, Profile(), {}, t, 86400.0)) for t in times]


@pytest.mark.prometheus
def test_a_replaced_collector_pod_is_not_down(tmp_path):
    # A rollout: the old pod's last scrape failed (0), then it left service
    # discovery 10 minutes ago; the new pod is up and Claude Code's series moved.
    old, new = "10.0.0.1:8889", "10.0.0.2:8889"
    gone = INSTANT - 600
    old_up = [(t, 1.0) for t in scrapes(INSTANT - 7200, gone - 15)] + [(int(gone), 0.0)]
    series = [
        up_series("otel-collector", old, old_up),
        up_series("otel-collector", new, [(t, 1.0) for t in scrapes(gone + 30, INSTANT)]),
        claude_series(old, INSTANT - 7200, gone - 15),
        claude_series(new, gone + 30, INSTANT),
    ]
    (found,) = freshness_of(tmp_path, series, INSTANT + NOW_PHASE)
    assert found == []


@pytest.mark.prometheus
def test_other_collectors_count_only_when_claude_code_data_is_stale(tmp_path):
    # A shared Prometheus: an unrelated Alloy is down; Claude Code's series
    # carry their own instance (service.instance.id), which no `up` has.
    later = INSTANT + 3 * 86400
    series = [
        up_series("alloy", "alloy:12345", [(t, 0.0) for t in scrapes(INSTANT - 7200, later)]),
        claude_series("claude-host-1", INSTANT - 7200, INSTANT),
    ]
    fresh, stale = freshness_of(tmp_path, series, INSTANT + NOW_PHASE, later + NOW_PHASE)
    assert fresh == []
    # Days later, with Claude Code silent, a down collector-like job is the best lead.
    assert [f.id for f in stale] == ["collector-down"]
    assert 'up{job="alloy", instance="alloy:12345"} is 0' in stale[0].evidence
