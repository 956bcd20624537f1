"""k8s/helm/: the Helm values carry the standalone pipeline's settings, so the two cannot drift.

Helm is not installed here, so the charts are not rendered; the values are
compared with pipeline/* setting by setting, and the endpoints that must
differ (cluster service names) are checked to be cluster addresses.
"""

from __future__ import annotations

import yaml
from click.testing import CliRunner

from ccdash.cli import cli
from tests.conftest import ROOT
from tests.pipeline_files import COLLECTOR, HELM, PROMETHEUS, TEMPO, go_duration, host_port, load

COLLECTOR_VALUES = HELM / "opentelemetry-collector-values.yaml"
TEMPO_VALUES = HELM / "tempo-values.yaml"


def collector_values() -> dict:
    return load(COLLECTOR_VALUES)


def tempo_config() -> dict:
    return yaml.safe_load(load(TEMPO_VALUES)["config"])


def test_collector_values_equal_the_standalone_pipeline():
    helm, standalone = collector_values()["config"], load(COLLECTOR)
    assert helm["receivers"] == standalone["receivers"]
    # metric_expiration, deltatocumulative's max_stale, the token transform, batch.
    assert helm["processors"] == standalone["processors"]
    assert helm["exporters"]["prometheus"] == standalone["exporters"]["prometheus"]
    assert helm["service"]["pipelines"] == standalone["service"]["pipelines"]
    metrics = helm["service"]["pipelines"]["metrics"]["processors"]
    assert metrics.index("deltatocumulative") < metrics.index("batch")
    assert go_duration(helm["exporters"]["prometheus"]["metric_expiration"]) >= 7 * 86400


def test_collector_values_send_traces_to_the_tempo_chart():
    helm = collector_values()["config"]
    (exporter,) = helm["service"]["pipelines"]["traces"]["exporters"]
    host, port = host_port(helm["exporters"][exporter]["endpoint"])
    assert host.endswith(".svc.cluster.local") and host.startswith("tempo.")
    grpc = tempo_config()["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert port == host_port(grpc)[1]


def test_collector_values_use_contrib_and_expose_the_exporter():
    values = collector_values()
    assert values["image"]["repository"] == "otel/opentelemetry-collector-contrib"
    assert values["command"]["name"] == "otelcol-contrib"
    # Same collector version as the Compose stack.
    stack = load(ROOT / "stack" / "compose.yaml")["services"]["otel-collector"]["image"]
    assert stack == f"{values['image']['repository']}:{values['image']['tag']}"
    exporter_port = host_port(values["config"]["exporters"]["prometheus"]["endpoint"])[1]
    assert values["ports"]["prom-exporter"]["containerPort"] == exporter_port
    assert values["ports"]["prom-exporter"]["enabled"] is True
    assert values["replicaCount"] == 1  # honor_labels: one exposure per session


def test_service_monitor_scrapes_like_the_standalone_prometheus():
    (endpoint,) = collector_values()["serviceMonitor"]["metricsEndpoints"]
    assert endpoint["port"] == "prom-exporter"
    (job,) = load(PROMETHEUS)["scrape_configs"]
    assert endpoint["honorLabels"] == job["honor_labels"]
    assert endpoint["interval"] == load(PROMETHEUS)["global"]["scrape_interval"]


def test_tempo_values_equal_the_standalone_config():
    helm, standalone = tempo_config(), load(TEMPO)
    # The span-metrics override, dimensions and buckets: the settings that fail silently.
    assert helm["overrides"] == standalone["overrides"]
    assert helm["metrics_generator"]["processor"] == standalone["metrics_generator"]["processor"]
    assert helm["distributor"] == standalone["distributor"]
    assert helm["compactor"] == standalone["compactor"]
    assert "span-metrics" in helm["overrides"]["defaults"]["metrics_generator"]["processors"]
    # The only differences on purpose: the chart's HTTP port and the cluster's Prometheus.
    assert helm["server"]["http_listen_port"] == 3100
    (target,) = helm["metrics_generator"]["storage"]["remote_write"]
    assert target["url"].endswith(":9090/api/v1/write") and ".svc.cluster.local" in target["url"]
    values = load(TEMPO_VALUES)
    assert values["tempo"]["metricsGenerator"]["enabled"] is True
    assert values["tempo"]["metricsGenerator"]["remoteWriteUrl"] == target["url"]
    stack = load(ROOT / "stack" / "compose.yaml")["services"]["tempo"]["image"]
    assert stack == f"grafana/tempo:{values['tempo']['tag']}"


def test_build_leaves_the_helm_values_alone(project):
    """k8s/ is generated, but k8s/helm/ is not: build keeps it and --check ignores it."""
    helm = project / "k8s" / "helm"
    helm.mkdir(parents=True)
    for path in HELM.iterdir():
        (helm / path.name).write_bytes(path.read_bytes())
    before = {p.name: p.read_bytes() for p in helm.iterdir()}
    runner = CliRunner()
    assert runner.invoke(cli, ["--project", str(project), "build"]).exit_code == 0
    assert {p.name: p.read_bytes() for p in helm.iterdir()} == before
    check = runner.invoke(cli, ["--project", str(project), "build", "--check"])
    assert check.exit_code == 0, check.output
    kustomization = yaml.safe_load((project / "k8s" / "kustomization.yaml").read_text())
    assert not any(r.startswith("helm/") for r in kustomization["resources"])
