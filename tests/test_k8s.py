"""ConfigMaps for the sidecar and the kustomize base for Argo CD."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from ccdash.build.compile import CompiledDashboard, compile_dashboard, render_compact
from ccdash.build.config import Kubernetes, load
from ccdash.build.k8s import (
    MAX_CONFIGMAP_BYTES,
    SERVER_SIDE_APPLY_BYTES,
    configmap_name,
    render_configmap,
)
from ccdash.build.project import compile_project
from ccdash.errors import OutputError
from tests.conftest import ROOT, require_tool

DNS_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def dashboard_of_size(data_bytes: int) -> CompiledDashboard:
    """A dashboard whose compact JSON is data_bytes long (padding in the description)."""
    model = {"title": "Big", "uid": "big", "panels": [], "description": ""}
    base = len(render_compact(compile_dashboard(model, Path("x.py")).model).encode())
    model["description"] = "x" * (data_bytes - base)
    dash = compile_dashboard(model, Path("dashboards/big.py"))
    assert len(render_compact(dash.model).encode()) == data_bytes
    return dash


def test_committed_configmap_shape():
    cm = yaml.safe_load((ROOT / "k8s/dashboards/grafana-dashboard-claude-code.yaml").read_text())
    assert cm["apiVersion"] == "v1" and cm["kind"] == "ConfigMap"
    meta = cm["metadata"]
    assert DNS_1123.match(meta["name"])
    assert meta["namespace"] == "monitoring"
    assert meta["labels"] == {"grafana_dashboard": "1", "app.kubernetes.io/managed-by": "ccdash"}
    assert meta["annotations"] == {"grafana_folder": "Claude Code"}
    ((key, data),) = cm["data"].items()
    assert key == "claude-code.json"
    assert "\n" not in data and ": " not in data[:200]  # compact JSON
    assert json.loads(data)["uid"] == "claude-code"


def test_label_and_annotation_are_configurable():
    kube = Kubernetes(
        namespace="grafana",
        label="dash",
        label_value="yes",
        folder_annotation="k8s-sidecar-target-directory",
    )
    cm = yaml.safe_load(render_configmap(dashboard_of_size(1000), "Team A", kube))
    assert cm["metadata"]["labels"]["dash"] == "yes"
    assert cm["metadata"]["annotations"] == {"k8s-sidecar-target-directory": "Team A"}
    assert cm["metadata"]["namespace"] == "grafana"


def test_server_side_apply_above_200_kib():
    small = yaml.safe_load(
        render_configmap(dashboard_of_size(SERVER_SIDE_APPLY_BYTES), "F", Kubernetes())
    )
    assert "argocd.argoproj.io/sync-options" not in small["metadata"]["annotations"]
    text = render_configmap(dashboard_of_size(SERVER_SIDE_APPLY_BYTES + 1), "F", Kubernetes())
    big = yaml.safe_load(text)
    assert (
        big["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "ServerSideApply=true"
    )
    assert "262144" in text  # the reason is written next to it


def test_fails_above_one_mib():
    render_configmap(dashboard_of_size(MAX_CONFIGMAP_BYTES), "F", Kubernetes())
    with pytest.raises(OutputError, match="above the 1048576-byte ConfigMap limit"):
        render_configmap(dashboard_of_size(MAX_CONFIGMAP_BYTES + 1), "F", Kubernetes())


@pytest.mark.parametrize("uid", ["claude-code", "Team_A.Costs", "--x--", "a" * 40, "ABC_def-1"])
def test_configmap_names_are_dns_1123(uid):
    name = configmap_name(uid)
    assert DNS_1123.match(name) and len(name) <= 253


def test_kubectl_kustomize_renders_the_base():
    kubectl = require_tool("kubectl", "install kubectl to validate the kustomize base")
    result = subprocess.run(
        [kubectl, "kustomize", str(ROOT / "k8s")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    built = compile_project(load(ROOT)).dashboards
    assert sorted(d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap") == sorted(
        configmap_name(d.uid) for d in built
    )
