"""The grafanalib path: a grafanalib Dashboard compiles like an SDK one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from ccdash.cli import cli

FIXTURE = Path(__file__).parent / "fixtures" / "grafanalib_project"


def test_grafanalib_dashboard_compiles(tmp_path):
    project = tmp_path / "p"
    shutil.copytree(FIXTURE, project)
    result = CliRunner().invoke(cli, ["--project", str(project), "build"])
    assert result.exit_code == 0, result.output
    model = json.loads((project / "out/dashboards/legacy-overview.json").read_text())
    panels = model["panels"]
    assert [p["type"] for p in panels] == ["row", "stat", "timeseries"]
    assert [p["id"] for p in panels] == [1, 2, 3]
    assert [t["refId"] for t in panels[2]["targets"]] == ["A", "B"]
    assert "claude_code_cost_usage_USD_total" in panels[1]["targets"][0]["expr"]
    assert model["tags"] == ["legacy", "ccdash"]
    assert (project / "k8s/dashboards/grafana-dashboard-legacy-overview.yaml").exists()
    # Deterministic through grafanalib too.
    first = (project / "out/dashboards/legacy-overview.json").read_bytes()
    assert CliRunner().invoke(cli, ["--project", str(project), "build"]).exit_code == 0
    assert (project / "out/dashboards/legacy-overview.json").read_bytes() == first
