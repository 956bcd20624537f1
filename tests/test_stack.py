"""stack/: the Compose file and Grafana provisioning, checked structurally (no Docker here).

What `docker compose up` would trip over, or what would leave the dashboard
empty: unpinned images, a mount of a file that is not in the repository,
ports that do not line up between Compose, the collector, Prometheus, Tempo
and the Grafana datasources, provisioning Grafana would not read, and
datasource defaults the dashboard's variables would not find.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import pytest

from agents.claude_code.env import DEFAULT_ENDPOINT
from ccdash.build.config import load as load_config
from ccdash.build.project import compile_project
from tests.conftest import FLAGSHIP, ROOT
from tests.pipeline_files import (
    COLLECTOR,
    COMPOSE,
    PROMETHEUS,
    PROVISIONING,
    TEMPO,
    bind_mounts,
    host_port,
    load,
    mounts,
    service,
    to_host,
)

CONFIG = load_config(ROOT)
SERVICES = {"otel-collector", "tempo", "prometheus", "grafana"}
PROMETHEUS_PORT = 9090  # Prometheus's default; the stack sets no --web.listen-address
TEMPO_EXEMPLAR_LABEL = "traceID"  # Tempo's metrics-generator, hard-coded


def compose() -> dict:
    return load(COMPOSE)


def published(name: str) -> dict[int, int]:
    """container port -> host port."""
    result = {}
    for spec in service(name).get("ports", []):
        *_, host, container = str(spec).split(":")
        result[int(container)] = int(host)
    return result


def datasources() -> dict[str, dict]:
    doc = load(PROVISIONING / "datasources" / "ccdash.yaml")
    assert doc["apiVersion"] == 1
    return {d["type"]: d for d in doc["datasources"]}


def test_the_four_services_with_pinned_images():
    services = compose()["services"]
    assert set(services) >= SERVICES
    for name, spec in services.items():
        image = spec["image"]
        repo, _, tag = image.rpartition(":")
        assert repo and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and re.match(r"^v?\d+\.\d+\.\d+$", tag), f"{name}: {image}"


def test_same_image_version_where_a_service_is_reused():
    images = {spec["image"] for n, spec in compose()["services"].items() if n.startswith("tempo")}
    assert len(images) == 1


def test_every_bind_mount_exists_or_is_build_output():
    for name in compose()["services"]:
        for source, _ in bind_mounts(name):
            if source == CONFIG.json_path.resolve():
                continue  # out/dashboards: written by `make build`
            assert source.exists(), f"{name} mounts {source}, which is not in the repository"
            assert source.is_relative_to(ROOT), f"{name} mounts {source} outside the repository"


def test_named_volumes_are_declared():
    declared = set(compose().get("volumes") or {})
    for name in compose()["services"]:
        for source, _ in mounts(name):
            if not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} not declared"


def test_services_read_the_pipeline_files_not_copies():
    """One source of truth: each service's config path resolves to pipeline/."""
    collector = service("otel-collector")["command"]
    (config,) = [a.split("=", 1)[1] for a in collector if a.startswith("--config=")]
    assert to_host("otel-collector", config) == COLLECTOR
    (config,) = [a.split("=", 1)[1] for a in service("tempo")["command"]]
    assert to_host("tempo", config) == TEMPO
    (config,) = [
        a.split("=", 1)[1] for a in service("prometheus")["command"] if a.startswith("--config")
    ]
    assert to_host("prometheus", config) == PROMETHEUS
    # prometheus.yml's relative rule file resolves inside the container too.
    rule_file = PurePosixPath(config).parent / load(PROMETHEUS)["rule_files"][0]
    container_path = PurePosixPath(*_normalise(rule_file.parts))
    assert to_host("prometheus", str(container_path)) == ROOT / "rules" / "*.rules.yml"


def _normalise(parts: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for part in parts:
        if part == "..":
            out.pop()
        else:
            out.append(part)
    return out


def test_prometheus_launch_flags():
    flags = service("prometheus")["command"]
    assert "--web.enable-remote-write-receiver" in flags
    assert not any(f.startswith("--web.listen-address") for f in flags)


def test_claude_code_reaches_the_collector():
    protocols = load(COLLECTOR)["receivers"]["otlp"]["protocols"]
    ports = published("otel-collector")
    for protocol in ("grpc", "http"):
        container_port = host_port(protocols[protocol]["endpoint"])[1]
        assert ports[container_port] == container_port  # same port on the host
    # `ccdash claude-env`'s default endpoint is the published gRPC port on localhost.
    host, port = host_port(DEFAULT_ENDPOINT)
    assert host == "localhost" and port == host_port(protocols["grpc"]["endpoint"])[1]


def test_prometheus_scrapes_the_collector_s_exporter():
    exporter_port = host_port(load(COLLECTOR)["exporters"]["prometheus"]["endpoint"])[1]
    targets = [
        t
        for job in load(PROMETHEUS)["scrape_configs"]
        for sc in job.get("static_configs", [])
        for t in sc["targets"]
    ]
    assert f"otel-collector:{exporter_port}" in targets


def test_collector_sends_traces_to_tempo_s_receiver():
    endpoint = load(COLLECTOR)["exporters"]["otlp/tempo"]["endpoint"]
    grpc = load(TEMPO)["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
    assert host_port(endpoint) == ("tempo", host_port(grpc)[1])
    assert "tempo" in compose()["services"]


def test_tempo_remote_writes_to_prometheus():
    (target,) = load(TEMPO)["metrics_generator"]["storage"]["remote_write"]
    assert target["url"] == f"http://prometheus:{PROMETHEUS_PORT}/api/v1/write"


def test_grafana_datasources_point_at_the_services():
    sources = datasources()
    assert set(sources) == {"prometheus", "tempo"}
    for source in sources.values():
        assert {"name", "uid", "type", "url", "access"} <= set(source)
        assert source["access"] == "proxy"  # the browser cannot resolve service names
    assert sources["prometheus"]["url"] == f"http://prometheus:{PROMETHEUS_PORT}"
    tempo_port = load(TEMPO)["server"]["http_listen_port"]
    assert sources["tempo"]["url"] == f"http://tempo:{tempo_port}"
    assert [s["name"] for s in sources.values() if s.get("isDefault")] == ["Prometheus"]
    # $__rate_interval is computed from this: keep it the scrape interval.
    scrape = load(PROMETHEUS)["global"]["scrape_interval"]
    assert sources["prometheus"]["jsonData"]["timeInterval"] == scrape
    (exemplar,) = sources["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    assert exemplar["datasourceUid"] == sources["tempo"]["uid"]
    # The exemplar label Tempo's metrics-generator writes the trace id under
    # (not configurable in pipeline/tempo.yaml); any other name links nothing.
    assert exemplar["name"] == TEMPO_EXEMPLAR_LABEL


def test_tempo_datasource_features_have_their_generator_processor():
    """A service map needs Tempo's service-graphs processor; without it the view is empty."""
    processors = load(TEMPO)["overrides"]["defaults"]["metrics_generator"]["processors"]
    tempo = datasources()["tempo"]["jsonData"]
    assert ("serviceMap" in tempo) == ("service-graphs" in processors), processors


def test_dashboard_datasource_variables_find_the_provisioned_datasources():
    """Every datasource the dashboards reference resolves in the stack's Grafana."""
    sources = datasources()
    by_uid = {s["uid"]: s for s in sources.values()}
    defaults = {"prometheus": CONFIG.datasources.prometheus, "tempo": CONFIG.datasources.tempo}
    for dash in compile_project(CONFIG).dashboards:
        variables = {
            v["name"]: v for v in dash.model["templating"]["list"] if v["type"] == "datasource"
        }
        assert variables, dash.uid
        for variable in variables.values():
            kind = variable["query"]
            assert kind in sources, f"{dash.uid}: no {kind} datasource provisioned"
            wanted = defaults.get(kind, "")
            if wanted:  # ccdash.yaml names one: it must exist, by uid or name
                assert wanted in (sources[kind]["uid"], sources[kind]["name"])
        for ref in _datasource_refs(dash.model):
            uid = ref.get("uid", "")
            if uid.startswith("$"):
                assert uid.strip("${}") in variables, f"{dash.uid}: {uid} is no variable"
            elif uid and uid not in ("-- Grafana --", "grafana"):
                assert uid in by_uid, f"{dash.uid}: datasource uid {uid} not provisioned"


def _datasource_refs(node) -> list[dict]:
    refs = []
    if isinstance(node, dict):
        if isinstance(node.get("datasource"), dict):
            refs.append(node["datasource"])
        for value in node.values():
            refs += _datasource_refs(value)
    elif isinstance(node, list):
        for value in node:
            refs += _datasource_refs(value)
    return refs


def test_dashboard_provider_loads_the_built_dashboards():
    doc = load(PROVISIONING / "dashboards" / "ccdash.yaml")
    assert doc["apiVersion"] == 1
    (provider,) = doc["providers"]
    assert provider["type"] == "file"
    assert provider["folder"] == compile_project(CONFIG).dashboard(FLAGSHIP).folder
    path = provider["options"]["path"]
    assert to_host("grafana", path) == CONFIG.json_path.resolve()
    # And the provisioning directory is where Grafana reads it.
    assert to_host("grafana", "/etc/grafana/provisioning") == PROVISIONING


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_ports_are_published_on_loopback_only(name):
    for spec in service(name).get("ports", []):
        assert str(spec).startswith("127.0.0.1:"), f"{name}: {spec} is reachable from the network"


def test_no_secret_in_the_stack():
    for path in [COMPOSE, *PROVISIONING.rglob("*.yaml")]:
        text = path.read_text()
        assert not re.search(r"(?i)(password|secret|token|api_key)\s*[:=]\s*\S", text), path
