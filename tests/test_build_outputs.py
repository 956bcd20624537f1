"""`ccdash build`: outputs, determinism, atomicity, --check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

from ccdash.build.config import load
from ccdash.build.project import compile_project
from ccdash.cli import cli
from devtools.workspace import edit
from tests.conftest import ROOT


def run(project: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(project), *args])


def snapshot(project: Path) -> dict[str, bytes]:
    files = [*project.glob("out/**/*.json"), *project.glob("k8s/**/*.yaml")]
    return {str(p.relative_to(project)): p.read_bytes() for p in sorted(files)}


def test_build_writes_json_and_configmaps(project):
    result = run(project, "build")
    assert result.exit_code == 0, result.output
    model = json.loads((project / "out/dashboards/claude-code.json").read_text())
    assert model["uid"] == "claude-code"
    cm = yaml.safe_load((project / "k8s/dashboards/grafana-dashboard-claude-code.yaml").read_text())
    assert json.loads(cm["data"]["claude-code.json"]) == model
    kustomization = yaml.safe_load((project / "k8s/kustomization.yaml").read_text())
    # One ConfigMap per dashboard, one PrometheusRule per dashboard with rules.
    built = compile_project(load(project))
    assert kustomization["resources"] == sorted(
        [f"dashboards/grafana-dashboard-{d.uid}.yaml" for d in built.dashboards]
        + [f"rules/ccdash-{uid}.yaml" for uid in built.rule_files()]
    )
    assert {
        "dashboards/grafana-dashboard-claude-code.yaml",
        "rules/ccdash-claude-code.yaml",
    } <= set(kustomization["resources"])


def test_build_is_deterministic(project, tmp_path):
    assert run(project, "build").exit_code == 0
    first = snapshot(project)
    for path in [*project.glob("out/**/*.json"), *project.glob("k8s/**/*.yaml")]:
        path.unlink()
    assert run(project, "build").exit_code == 0
    assert snapshot(project) == first
    # Per dashboard its JSON and ConfigMap, a PrometheusRule per rule file; a kustomization.
    built = compile_project(load(project))
    assert len(first) == 2 * len(built.dashboards) + len(built.rule_files()) + 1


def test_build_in_a_fresh_process_with_warnings_as_errors(project):
    """Also proves the SDK's DeprecationWarning is filtered (python -W error)."""
    outputs = []
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-W", "error", "-m", "ccdash", "--project", str(project), "build"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        outputs.append(snapshot(project))
    assert outputs[0] == outputs[1]


def test_check_is_clean_on_the_repository():
    result = run(ROOT, "build", "--check")
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output


def test_check_lists_stale_missing_and_extra_files(project):
    assert run(project, "build").exit_code == 0
    cm = project / "k8s/dashboards/grafana-dashboard-claude-code.yaml"
    edit(cm, "grafana_folder: Claude Code", "grafana_folder: Other")
    (project / "k8s/dashboards/grafana-dashboard-gone.yaml").write_text("kind: ConfigMap\n")
    (project / "k8s/kustomization.yaml").unlink()
    before = snapshot(project)
    result = run(project, "build", "--check")
    assert result.exit_code == 1
    assert "stale: k8s/dashboards/grafana-dashboard-claude-code.yaml" in result.output
    assert "missing: k8s/kustomization.yaml" in result.output
    assert "not built by any dashboard: k8s/dashboards/grafana-dashboard-gone.yaml" in result.output
    assert snapshot(project) == before  # --check writes nothing


def test_build_removes_configmaps_of_deleted_dashboards(project):
    stale = project / "k8s/dashboards/grafana-dashboard-gone.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("kind: ConfigMap\n")
    assert run(project, "build").exit_code == 0
    assert not stale.exists()
    assert run(project, "build", "--check").exit_code == 0


def test_generated_files_are_world_readable(project):
    old = os.umask(0o022)
    try:
        assert run(project, "build").exit_code == 0
    finally:
        os.umask(old)
    mode = (project / "k8s/kustomization.yaml").stat().st_mode & 0o777
    assert mode == 0o644


def test_profile_flag_changes_metric_names(project):
    result = run(project, "build", "--profile", "mimir", "--set", "token_label=token_type")
    assert result.exit_code == 0, result.output
    text = (project / "out/dashboards/claude-code.json").read_text()
    assert '${ccdash_rules}ccdash:claude_code_cost_usage:growth_by_user\\"' in text
    assert "claude_code_cost_usage_USD_total" not in text
    assert 'token_type=~\\"cache_read\\"' in text
    rules = (project / "rules/claude-code.rules.yml").read_text()
    assert "record: ccdash:claude_code_cost_usage:growth_by_user" in rules
    result = run(project, "build", "--profile", "mimir", "--raw")
    assert result.exit_code == 0, result.output
    built = compile_project(load(project).with_overrides(naming="mimir", recording_rules=False))
    text = (project / "out/dashboards/claude-code.json").read_text()
    assert "last_over_time(claude_code_cost_usage{" in text
    assert not (project / "rules/claude-code.rules.yml").exists()
    # No recording rules: the PrometheusRule holds the alerts alone, on the raw counters.
    alerts = yaml.safe_load((project / "rules/claude-code.alerts.yml").read_text())
    resource = yaml.safe_load((project / "k8s/rules/ccdash-claude-code.yaml").read_text())
    assert resource["spec"]["groups"] == alerts["groups"]
    assert "claude_code_cost_usage{" in str(alerts) and "growth_by" not in str(alerts)
    kustomization = yaml.safe_load((project / "k8s/kustomization.yaml").read_text())
    assert kustomization["resources"] == sorted(
        [f"dashboards/grafana-dashboard-{d.uid}.yaml" for d in built.dashboards]
        + [f"rules/ccdash-{d.uid}.yaml" for d in built.dashboards if d.alert_groups]
    )
    assert run(project, "build", "--profile", "mimir", "--raw", "--check").exit_code == 0


def test_unknown_profile_is_a_usage_error(project):
    result = run(project, "build", "--profile", "graphite")
    assert result.exit_code == 2
    assert "graphite" in result.output
