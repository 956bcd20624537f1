"""The pipeline configs (pipeline/*): valid, consistent with each other and with the profile.

Each test states why a setting matters for the dashboard; no collector or
Tempo binary runs here, so their configs are checked against what the
dashboard's queries and ccdash's catalogue need. Prometheus does run: its
config is checked by promtool and then loaded by a real Prometheus launched
with the stack's own flags.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
import yaml
from click.testing import CliRunner

from agents.claude_code.doctor.panels import rule_uses, target_uses
from agents.claude_code.doctor.presence import SPAN_DEFAULT_LABELS
from agents.claude_code.simulate.scenarios import Scenario
from agents.claude_code.telemetry import (
    OTEL_NAMES,
    SPAN_LATENCY_BUCKETS,
    TOKEN_LABEL_SCHEMAS,
    TOKEN_TYPES,
)
from ccdash.build.config import load as load_config
from ccdash.build.counters import TARGET_LABELS
from ccdash.build.project import compile_project
from ccdash.build.rules import alerts_file, rules_file
from ccdash.check.doctor.findings import SPANS
from ccdash.cli import cli
from devtools.harness import INSTALL_HINT
from devtools.workspace import edit
from tests.conftest import FLAGSHIP, ROOT, flagship_build, flagship_for, require_tool
from tests.pipeline_files import (
    COLLECTOR,
    PROMETHEUS,
    TEMPO,
    go_duration,
    load,
    service,
    to_host,
)

PROFILE = flagship_build().profile
PROJECT = compile_project(load_config(ROOT))
RULES = ROOT / "rules" / rules_file(FLAGSHIP)
ALERTS = ROOT / "rules" / alerts_file(FLAGSHIP)
WEEK = 7 * 24 * 3600
# The OTel->Prometheus translation giving the `collector` naming.
COLLECTOR_STRATEGY = "UnderscoreEscapingWithSuffixes"


def collector() -> dict:
    return load(COLLECTOR)


def metrics_processors() -> list[str]:
    return collector()["service"]["pipelines"]["metrics"]["processors"]


# --- the collector -----------------------------------------------------------


def test_collector_receives_otlp_on_both_standard_ports():
    protocols = collector()["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "0.0.0.0:4317"
    assert protocols["http"]["endpoint"] == "0.0.0.0:4318"
    for pipeline in collector()["service"]["pipelines"].values():
        assert pipeline["receivers"] == ["otlp"]


def test_every_component_a_pipeline_names_is_defined():
    """The collector refuses to start on an undefined component; catch it here."""
    config = collector()
    for name, pipeline in config["service"]["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind, []):
                assert component in config[kind], f"{name}: {kind} {component} undefined"


def test_deltatocumulative_runs_before_batch():
    """Batching first would merge a delta stream's points before they are accumulated."""
    processors = metrics_processors()
    assert "deltatocumulative" in processors and "batch" in processors
    assert processors.index("deltatocumulative") < processors.index("batch")
    assert processors[0] == "memory_limiter"  # refuse data before doing work on it
    assert processors[-1] == "batch"


def test_series_live_long_enough_for_bursty_fleets():
    exporter = collector()["exporters"]["prometheus"]
    expiration = go_duration(exporter["metric_expiration"])
    assert expiration >= WEEK, "the default 5m drops an idle session's series"
    # Forgetting a delta stream's running total earlier than the exporter forgets
    # the series would restart it from one delta: keep both the same.
    max_stale = go_duration(collector()["processors"]["deltatocumulative"]["max_stale"])
    assert max_stale == expiration


def test_go_duration_rejects_days():
    assert go_duration("168h") == WEEK
    with pytest.raises(ValueError):
        go_duration("7d")


def test_resource_attributes_become_labels():
    """team / cost_center arrive as resource attributes; attribution needs them as labels."""
    exporter = collector()["exporters"]["prometheus"]
    converted = exporter.get("resource_to_telemetry_conversion", {}).get("enabled") is True
    constant = PROFILE.attribution_label in exporter.get("resource_constant_labels", {}).get(
        "include", []
    )
    assert converted or constant


def test_exporter_naming_is_the_profile_s():
    """The prometheus exporter appends unit and _total suffixes: the `collector` naming."""
    assert PROFILE.naming == "collector", (
        "ccdash.yaml's naming is not what pipeline/otel-collector.yaml produces"
    )
    exporter = collector()["exporters"]["prometheus"]
    assert exporter.get("add_metric_suffixes", True) is True
    # Newer exporters take `translation_strategy` over add_metric_suffixes: when
    # set it must be the one with underscores and suffixes (the default).
    assert exporter.get("translation_strategy", COLLECTOR_STRATEGY) == COLLECTOR_STRATEGY
    assert collector()["service"]["pipelines"]["metrics"]["exporters"] == ["prometheus"]


def test_token_type_transform_is_in_the_pipeline_iff_the_profile_says_so():
    in_pipeline = "transform/token_type" in metrics_processors()
    assert in_pipeline == (PROFILE.token_label_schema == "token_type"), (
        "ccdash.yaml token_label and the collector's metrics pipeline disagree"
    )
    if in_pipeline:
        processors = metrics_processors()
        assert processors.index("transform/token_type") < processors.index("deltatocumulative")


def test_token_type_transform_produces_the_catalogue_s_schema():
    """The OTTL statements rename what agents.claude_code.telemetry expects, on tokens only."""
    (block,) = collector()["processors"]["transform/token_type"]["metric_statements"]
    assert block["context"] == "datapoint"
    # lines_of_code and active_time carry a `type` label too: they must keep it.
    assert block["conditions"] == [f'metric.name == "{OTEL_NAMES["tokens"]}"']
    label, values = TOKEN_LABEL_SCHEMAS["token_type"]
    statements = block["statements"]
    assert statements[0] == (
        f'set(attributes["{label}"], attributes["type"]) where attributes["type"] != nil'
    )
    renames = dict(
        re.findall(
            rf'replace_pattern\(attributes\["{label}"\], "\^(\w+)\$", "(\w+)"\)',
            " ".join(statements),
        )
    )
    expected = {t: values[t] for t in TOKEN_TYPES if values[t] != t}
    assert renames == expected
    assert statements[-1] == 'delete_key(attributes, "type")'


def test_traces_go_to_tempo_over_otlp():
    (exporter,) = collector()["service"]["pipelines"]["traces"]["exporters"]
    assert exporter.split("/")[0] == "otlp"
    assert collector()["exporters"][exporter]["endpoint"].startswith("tempo:")


# --- Tempo -------------------------------------------------------------------


def tempo() -> dict:
    return load(TEMPO)


def test_span_metrics_are_tempo_s_in_the_profile():
    assert PROFILE.span_metrics == "tempo", (
        "ccdash.yaml's span_metrics is not what pipeline/tempo.yaml produces"
    )


def test_span_metrics_processor_is_switched_on_by_the_overrides():
    """Generator configured without the override: no metrics, no error (a known trap)."""
    overrides = tempo()["overrides"]["defaults"]["metrics_generator"]
    assert "span-metrics" in overrides["processors"]
    assert "span_metrics" in tempo()["metrics_generator"]["processor"]
    assert tempo()["metrics_generator"]["storage"]["remote_write"], "nowhere to send them"


def _span_label_uses() -> set[str]:
    """Labels read by every query over raw span metrics: panels without rules, and
    the rules; extracted as the doctor does, which maps findings by the same reading."""
    uses = target_uses(flagship_for(recording_rules=False), PROFILE)
    uses += rule_uses(flagship_build().rule_groups, PROFILE)
    span_uses = [use for use in uses if SPANS in use.metrics]
    assert span_uses, "no span-metric query found: did the catalogue move?"
    return set().union(*(use.labels for use in span_uses))


def test_dimensions_cover_every_label_the_span_queries_read():
    # The rules also drop the scrape target's labels and mark their heartbeat.
    engine = {*TARGET_LABELS, "rule_group"}
    used = _span_label_uses() - SPAN_DEFAULT_LABELS - engine
    dimensions = tempo()["metrics_generator"]["processor"]["span_metrics"]["dimensions"]
    assert used <= set(dimensions), f"queries read {sorted(used - set(dimensions))}"
    # What the simulated healthy pipeline keeps, on which the doctor finds nothing.
    assert set(Scenario(name="healthy", description="").span_dimensions) <= set(dimensions)
    # A dimension named like a default label would be renamed `__<name>`.
    assert not set(dimensions) & SPAN_DEFAULT_LABELS
    assert len(dimensions) == len(set(dimensions))


def test_histogram_buckets_reach_minutes_and_match_the_catalogue():
    buckets = tempo()["metrics_generator"]["processor"]["span_metrics"]["histogram_buckets"]
    assert buckets == list(SPAN_LATENCY_BUCKETS)
    assert max(buckets) >= 300  # multi-minute interactions and approvals
    assert buckets == sorted(buckets)


def test_tempo_receivers_listen_beyond_localhost():
    """Tempo 2.7+ listens on localhost by default: the collector could not reach it."""
    protocols = tempo()["distributor"]["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"].startswith("0.0.0.0:")
    assert protocols["http"]["endpoint"].startswith("0.0.0.0:")


# --- Prometheus --------------------------------------------------------------


def prometheus_config() -> dict:
    return load(PROMETHEUS)


def test_promtool_checks_the_config_and_the_rules_it_loads():
    promtool = require_tool("promtool", INSTALL_HINT)
    result = subprocess.run(
        [promtool, "check", "config", str(PROMETHEUS)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    files = [*PROJECT.rule_files(), *(d for d in PROJECT.dashboards if d.alert_groups)]
    assert f"SUCCESS: {len(files)} rule files found" in result.stdout
    assert f"Checking {RULES.relative_to(ROOT)}" in result.stdout or str(RULES) in result.stdout


def test_prometheus_loads_the_generated_rules_files():
    """Every dashboard's rule and alerts file, and nothing else, through the two globs."""
    patterns = prometheus_config()["rule_files"]
    loaded = {
        path
        for pattern in patterns
        for path in (PROMETHEUS.parent / pattern).parent.resolve().glob(Path(pattern).name)
    }
    written = {ROOT / "rules" / rules_file(uid) for uid in PROJECT.rule_files()}
    written |= {ROOT / "rules" / alerts_file(d.uid) for d in PROJECT.dashboards if d.alert_groups}
    assert loaded == written and {RULES.resolve(), ALERTS.resolve()} <= loaded


def test_scrape_and_evaluation_interval_are_the_rules_interval():
    """The rules record 15 s growth; a coarser scrape hides a reset plus growth."""
    config = prometheus_config()["global"]
    assert config["scrape_interval"] == config["evaluation_interval"]
    intervals = {g.get("interval") for g in yaml.safe_load(RULES.read_text())["groups"]}
    assert intervals, "no rule groups"
    # Every rule group's interval is a multiple of the scrape interval.
    scrape = go_duration(config["scrape_interval"])
    for interval in intervals:
        assert go_duration(interval) % scrape == 0, interval
    assert scrape == 15


def test_collector_is_scraped_with_honor_labels():
    (job,) = [
        j
        for j in prometheus_config()["scrape_configs"]
        if any(t.endswith(":8889") for sc in j.get("static_configs", []) for t in sc["targets"])
    ]
    assert job["honor_labels"] is True


@pytest.fixture(scope="module")
def stack_prometheus(tmp_path_factory):
    """A real Prometheus started with stack/compose.yaml's command, paths mapped to the repo."""
    binary = require_tool("prometheus", INSTALL_HINT)
    data = tmp_path_factory.mktemp("stack-prometheus")
    port = _free_port()
    args = []
    for arg in service("prometheus")["command"]:
        name, _, value = arg.partition("=")
        if name == "--config.file":
            arg = f"{name}={to_host('prometheus', value)}"
        elif name == "--storage.tsdb.path":
            arg = f"{name}={data / 'tsdb'}"
        args.append(arg)
    args += [f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]
    log = data / "prometheus.log"
    with log.open("w") as stderr:
        process = subprocess.Popen([binary, *args], stdout=subprocess.DEVNULL, stderr=stderr)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"prometheus refused the stack's flags or config: {log.read_text()}")
            try:
                if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "prometheus not ready after 60 s"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loaded_rules(url: str) -> list[dict]:
    answer = requests.get(f"{url}/api/v1/rules", timeout=10).json()
    return [r for g in answer["data"]["groups"] for r in g["rules"]]


def test_stack_prometheus_loads_every_rule(stack_prometheus):
    # The stack loads every dashboard's rules and alerts file, not only the flagship's.
    written = {
        r.get("record") or r["alert"]
        for pattern in ("*.rules.yml", "*.alerts.yml")
        for path in (ROOT / "rules").glob(pattern)
        for g in yaml.safe_load(path.read_text())["groups"]
        for r in g["rules"]
    }
    flagship = {
        r["record"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]
    }
    alerts = {
        r.get("alert") for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]
    }
    assert written > flagship and written > alerts - {None}
    loaded = loaded_rules(stack_prometheus)
    assert {r["name"] for r in loaded} == written
    assert all(r["health"] != "err" for r in loaded)


def test_stack_prometheus_accepts_remote_write(stack_prometheus):
    """Tempo's span metrics arrive by remote write: 404 means the receiver is off."""
    flags = requests.get(f"{stack_prometheus}/api/v1/status/flags", timeout=10).json()["data"]
    assert flags["web.enable-remote-write-receiver"] == "true"
    answer = requests.post(f"{stack_prometheus}/api/v1/write", data=b"", timeout=10)
    assert answer.status_code != 404 and answer.status_code < 500, answer.text


# --- Mimir's ruler -----------------------------------------------------------
# mimirtool is not packaged in any registry this machine reaches (PyPI, npm,
# Debian), so these tests apply what its `rules` commands check, from its source
# (pkg/mimirtool/rules: parser.go, rules.go), to both the rules file and the
# PrometheusRule's spec.groups:
# - ParseBytes: the file is a RuleNamespace {namespace?, groups} decoded with
#   KnownFields(true), then each group validated by Prometheus's rulefmt (which
#   `promtool check rules` runs); group names non-empty and unique per namespace;
# - `rules lint`: every expr must equal the PromQL parser's rendering of it, or
#   lint rewrites it (compared with a real Prometheus's rendering, /api/v1/rules);
# - `rules check`: recording rule names of the level:metric:operation form
#   (--strict: at least two colons);
# - the ruler's default limits: 20 rules per group, 70 groups per tenant.

GROUP_KEYS = {"name", "interval", "query_offset", "limit", "rules", "labels", "remote_write"}
RULE_KEYS = {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
PROMETHEUS_RULE = ROOT / "k8s" / "rules" / "ccdash-claude-code.yaml"


def _namespaces() -> dict[str, dict]:
    """What Mimir would load: the file (namespace = file name stem) and the resource's groups."""
    resource = yaml.safe_load(PROMETHEUS_RULE.read_text())
    return {
        Path(rules_file(FLAGSHIP)).stem: yaml.safe_load(RULES.read_text()),
        Path(alerts_file(FLAGSHIP)).stem: yaml.safe_load(ALERTS.read_text()),
        resource["metadata"]["name"]: {"groups": resource["spec"]["groups"]},
    }


def test_prometheus_rule_holds_exactly_the_rules_and_alerts_files_groups():
    recording, alerting, resource = (ns["groups"] for ns in _namespaces().values())
    assert resource == recording + alerting


def test_rule_groups_parse_as_mimirtool_does():
    for namespace, body in _namespaces().items():
        assert set(body) <= {"namespace", "groups"}, namespace
        names = [g["name"] for g in body["groups"]]
        assert all(names) and len(names) == len(set(names)), namespace
        assert len(names) <= 70
        for group in body["groups"]:
            assert set(group) <= GROUP_KEYS, group["name"]
            assert 0 < len(group["rules"]) <= 20, group["name"]
            for rule in group["rules"]:
                assert set(rule) <= RULE_KEYS and ("record" in rule) != ("alert" in rule)


def test_recording_rule_names_pass_mimirtool_check_strict():
    for body in _namespaces().values():
        for group in body["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    assert len(rule["record"].split(":")) >= 3, rule["record"]


def test_mimirtool_lint_would_change_no_expression(stack_prometheus):
    """lint rewrites an expr unless it is already the parser's own rendering."""
    rendered = {r["name"]: r["query"] for r in loaded_rules(stack_prometheus)}
    for body in _namespaces().values():
        for group in body["groups"]:
            for rule in group["rules"]:
                name = rule.get("record") or rule["alert"]
                assert rule["expr"] == rendered[name], json.dumps(
                    {"ours": rule["expr"], "parser": rendered[name]}, indent=1
                )


def test_kustomize_base_ships_the_prometheus_rule():
    kubectl = require_tool("kubectl", "install kubectl to validate the kustomize base")
    result = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "k8s")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    rules = {
        d["metadata"]["name"]: d
        for d in yaml.safe_load_all(result.stdout)
        if d and d["kind"] == "PrometheusRule"
    }
    assert set(rules) == {f"ccdash-{uid}" for uid in PROJECT.rule_files()}
    rule = rules[f"ccdash-{FLAGSHIP}"]
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    files = [yaml.safe_load(path.read_text())["groups"] for path in (RULES, ALERTS)]
    assert rule["spec"]["groups"] == files[0] + files[1]


def test_build_check_covers_the_prometheus_rule(project):
    runner = CliRunner()
    assert runner.invoke(cli, ["--project", str(project), "build"]).exit_code == 0
    resource = project / "k8s" / "rules" / "ccdash-claude-code.yaml"
    edit(resource, "interval: 15s", "interval: 1m")
    (resource.parent / "old-rules.yaml").write_text("kind: PrometheusRule\n")
    result = runner.invoke(cli, ["--project", str(project), "build", "--check"])
    assert result.exit_code == 1
    assert "stale: k8s/rules/ccdash-claude-code.yaml" in result.output
    assert "not built by any dashboard: k8s/rules/old-rules.yaml" in result.output
    assert runner.invoke(cli, ["--project", str(project), "build"]).exit_code == 0
    assert not (resource.parent / "old-rules.yaml").exists()
    assert runner.invoke(cli, ["--project", str(project), "build", "--check"]).exit_code == 0
