"""`ccdash push` against the Grafana emulator: round trips, ownership, edits, faults."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from ccdash.build.config import load
from ccdash.build.project import compile_project
from ccdash.cli import cli
from ccdash.sync.normalize import MARKER, content_hash, normalise
from ccdash.sync.push import folder_uid
from devtools.grafana_emulator import Fault, GrafanaEmulator
from devtools.workspace import edit
from tests.conftest import ROOT

TOKEN = "glsa_emulator_secret_token"


@pytest.fixture
def grafana():
    with GrafanaEmulator(TOKEN) as emulator:
        yield emulator


def push(grafana, *args, token=TOKEN):
    env = {"GRAFANA_URL": grafana.url, "GRAFANA_TOKEN": token}
    return CliRunner().invoke(cli, ["--project", str(ROOT), "push", *args], env=env)


def test_first_push_creates_folder_and_dashboard(grafana):
    result = push(grafana)
    assert result.exit_code == 0, result.output
    assert "create    done" in result.output
    stored = grafana.state.dashboards["claude-code"]
    assert stored.folder_uid == folder_uid("Claude Code") == "ccdash-claude-code"
    assert grafana.state.folders["ccdash-claude-code"]["title"] == "Claude Code"
    assert stored.dashboard[MARKER]["version"] == stored.version == 1
    # Lossless: what Grafana holds normalises to exactly what build produces.
    built = compile_project(load(ROOT)).dashboard("claude-code").model
    assert normalise(stored.dashboard) == normalise(built)


def test_second_push_writes_nothing(grafana):
    assert push(grafana).exit_code == 0
    writes, version = grafana.state.writes(), grafana.state.dashboards["claude-code"].version
    result = push(grafana)
    assert result.exit_code == 0, result.output
    assert "unchanged" in result.output
    assert grafana.state.writes() == writes
    assert grafana.state.dashboards["claude-code"].version == version


def test_ui_edit_blocks_push_until_force(grafana, project):
    assert push(grafana).exit_code == 0
    grafana.state.ui_edit("claude-code", lambda d: d.update(description="edited by hand"))
    # The code changes too, so a push would overwrite the edit.
    edit(project / "panels/__init__.py", '.refresh("5m")', '.refresh("1m")')
    env = {"GRAFANA_URL": grafana.url, "GRAFANA_TOKEN": TOKEN}
    result = CliRunner().invoke(cli, ["--project", str(project), "push"], env=env)
    assert result.exit_code == 1, result.output
    assert "conflict" in result.output and "changed in Grafana since ccdash pushed" in result.output
    assert '-  "description": "edited by hand",' in result.output  # the diff shows the edit
    assert grafana.state.dashboards["claude-code"].dashboard["description"] == "edited by hand"
    result = CliRunner().invoke(cli, ["--project", str(project), "push", "--force"], env=env)
    assert result.exit_code == 0, result.output
    assert grafana.state.dashboards["claude-code"].dashboard["refresh"] == "1m"


def test_foreign_dashboard_with_same_uid_is_untouched(grafana):
    foreign = {"uid": "claude-code", "title": "Claude Code", "panels": [], "tags": ["mine"]}
    grafana.state._store(copy.deepcopy(foreign), "", "bob")
    result = push(grafana)
    assert result.exit_code == 1
    assert "not managed by ccdash; pass --adopt" in result.output
    assert grafana.state.dashboards["claude-code"].dashboard["tags"] == ["mine"]
    assert push(grafana, "--adopt").exit_code == 0
    assert "ccdash" in grafana.state.dashboards["claude-code"].dashboard["tags"]


def test_provisioned_dashboard_is_refused_with_the_explanation(grafana):
    grafana.state.provision({"uid": "claude-code", "title": "Claude Code", "tags": ["ccdash"]})
    result = push(grafana)
    assert result.exit_code == 1
    assert "provisioned from files" in result.output and "k8s/" in result.output


def test_concurrent_ui_edit_between_get_and_post_is_a_conflict(grafana):
    assert push(grafana, "--force").exit_code == 0
    grafana.state.ui_edit("claude-code", lambda d: d.update(description="hand edit"))
    # A second person saves between ccdash's GET and its POST.
    grafana.state.faults.append(Fault("POST", "/api/dashboards/db", "edit"))
    result = push(grafana, "--force")
    assert result.exit_code == 1, result.output
    assert "412" in result.output and "not retried" in result.output
    assert grafana.state.dashboards["claude-code"].dashboard["title"].endswith("(edited)")


def test_dry_run_writes_nothing(grafana):
    result = push(grafana, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "create    planned" in result.output
    assert grafana.state.writes() == 0 and not grafana.state.folders


@pytest.mark.parametrize(
    "fault",
    [
        Fault("GET", "/api/dashboards/uid", "status", status=503, times=2),
        Fault("GET", "/api/dashboards/uid", "status", status=429, retry_after=1, times=1),
    ],
)
def test_transient_faults_are_retried(grafana, fault):
    grafana.state.faults.append(fault)
    result = push(grafana)
    assert result.exit_code == 0, result.output
    assert grafana.state.dashboards["claude-code"].version == 1


def test_persistent_failure_leaves_the_dashboard_untouched_and_says_so(grafana):
    # Every save fails (dashboards are pushed concurrently: a single fault would hit any one).
    grafana.state.faults.append(Fault("POST", "/api/dashboards/db", "status", times=100))
    result = push(grafana)
    assert result.exit_code == 3, result.output
    assert "failed" in result.output and "HTTP 500" in result.output
    assert grafana.state.dashboards == {}


def test_html_error_page_is_one_clear_line(grafana):
    grafana.state.faults.append(Fault("GET", "/api/folders", "html", status=502, times=10))
    result = push(grafana)
    assert result.exit_code == 3
    assert "not JSON" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_credentials_and_missing_configuration(grafana):
    result = push(grafana, token="wrong")
    assert result.exit_code == 2 and "refused the credentials (HTTP 401)" in result.output
    result = CliRunner().invoke(
        cli, ["--project", str(ROOT), "push"], env={"GRAFANA_URL": grafana.url, "GRAFANA_TOKEN": ""}
    )
    assert result.exit_code == 2 and "no Grafana credentials" in result.output


def test_unreachable_grafana():
    result = CliRunner().invoke(
        cli,
        ["--project", str(ROOT), "push"],
        env={"GRAFANA_URL": "http://127.0.0.1:9", "GRAFANA_TOKEN": TOKEN},
    )
    assert result.exit_code == 3
    assert "cannot reach Grafana" in result.output


def test_token_never_appears_in_output(grafana):
    grafana.state.faults.append(Fault("POST", "/api/dashboards/db", "status", status=500))
    outputs = [
        push(grafana).output,
        push(grafana, token="wrong-" + TOKEN).output,
        push(grafana, "--dry-run").output,
    ]
    for output in outputs:
        assert TOKEN not in output


DASHBOARDS = st.fixed_dictionaries(
    {"uid": st.text("abc-_", min_size=1, max_size=8), "title": st.text(min_size=1, max_size=10)},
    optional={
        "panels": st.lists(st.dictionaries(st.text(max_size=4), st.integers()), max_size=3),
        "tags": st.lists(st.text(max_size=5), max_size=3),
    },
)


@given(DASHBOARDS)
def test_normalise_is_idempotent(dashboard):
    assert normalise(normalise(dashboard)) == normalise(dashboard)


@given(DASHBOARDS, st.integers(), st.integers(), st.integers())
def test_id_version_iteration_do_not_matter(dashboard, id_, version, iteration):
    saved = {**dashboard, "id": id_, "version": version, "iteration": iteration}
    assert normalise(saved) == normalise(dashboard)
    assert content_hash(saved) == content_hash(dashboard)


def test_sync_dashboard_is_push(grafana):
    script = Path(sys.executable).parent / "sync-dashboard"
    result = subprocess.run(
        [str(script), "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "GRAFANA_URL": grafana.url, "GRAFANA_TOKEN": TOKEN},
    )
    assert result.returncode == 0, result.stderr
    assert "create    planned" in result.stdout


def run(grafana, command, *args, project=ROOT):
    env = {"GRAFANA_URL": grafana.url, "GRAFANA_TOKEN": TOKEN}
    return CliRunner().invoke(cli, ["--project", str(project), command, *args], env=env)


def test_pull_after_push_is_lossless_and_reports_no_drift(grafana, project):
    assert run(grafana, "push", project=project).exit_code == 0
    result = run(grafana, "pull", project=project)
    assert result.exit_code == 0, result.output
    assert "claude-code: in sync" in result.output
    assert run(grafana, "build", project=project).exit_code == 0
    assert (project / "out/pulled/claude-code.json").read_text() == (
        project / "out/dashboards/claude-code.json"
    ).read_text()
    assert (project / "out/pulled/k8s/grafana-dashboard-claude-code.yaml").read_text().split(
        "\n", 1
    )[1] == (project / "k8s/dashboards/grafana-dashboard-claude-code.yaml").read_text().split(
        "\n", 1
    )[1]  # all but the "generated from" header


def test_diff_names_panels_and_fields(grafana):
    assert push(grafana).exit_code == 0

    def by_hand(d):
        sessions = next(p for p in d["panels"] if p.get("title") == "Sessions")
        sessions["description"] = "changed"
        d["refresh"] = "1m"

    grafana.state.ui_edit("claude-code", by_hand)
    result = run(grafana, "diff")
    assert result.exit_code == 1
    assert 'panel "Sessions": description' in result.output
    assert "dashboard: refresh" in result.output


def test_status(grafana):
    assert push(grafana).exit_code == 0
    grafana.state.ui_edit("claude-code", lambda d: d.update(description="x"))
    result = run(grafana, "status")
    assert result.exit_code == 0
    line = next(line for line in result.output.splitlines() if line.startswith("claude-code"))
    assert line.split()[1:3] == ["2", "alice"]
    assert line.split()[-2:] == ["yes", "no"]


def test_prune_deletes_only_owned_dashboards_gone_from_code(grafana):
    assert push(grafana).exit_code == 0
    old = copy.deepcopy(grafana.state.dashboards["claude-code"].dashboard)
    old.update(uid="old-dashboard", title="Old")
    grafana.state._store(old, "", "ccdash")
    grafana.state._store({"uid": "theirs", "title": "Theirs", "tags": ["ccdash"]}, "", "bob")
    result = push(grafana, "--prune", "--dry-run")
    assert "old-dashboard" in result.output and "theirs" not in result.output
    assert "old-dashboard" in grafana.state.dashboards
    assert push(grafana, "--prune", "--yes").exit_code == 0
    assert "old-dashboard" not in grafana.state.dashboards
    assert "theirs" in grafana.state.dashboards


def test_instances_from_config(grafana, project):
    config = project / "ccdash.yaml"
    config.write_text(
        config.read_text() + f"grafana:\n  instances:\n    lab:\n      url: "
        f"{grafana.url}\n      folder: Lab\n      org: 1\n"
    )
    env = {"GRAFANA_TOKEN": TOKEN}
    result = CliRunner().invoke(
        cli, ["--project", str(project), "push", "--instance", "lab"], env=env
    )
    assert result.exit_code == 0, result.output
    assert grafana.state.dashboards["claude-code"].folder_uid == "ccdash-lab"
    result = CliRunner().invoke(
        cli, ["--project", str(project), "push", "--instance", "prod"], env=env
    )
    assert result.exit_code == 2 and "no Grafana instance 'prod'" in result.output


def test_nested_folders(grafana, project):
    config = project / "ccdash.yaml"
    config.write_text(config.read_text() + "folder: Platform/Claude Code\n")
    assert run(grafana, "push", project=project).exit_code == 0
    leaf = grafana.state.folders[grafana.state.dashboards["claude-code"].folder_uid]
    assert leaf["title"] == "Claude Code"
    assert grafana.state.folders[leaf["parentUid"]]["title"] == "Platform"
    assert run(grafana, "push", project=project).exit_code == 0  # folders exist: no 409


def test_answers_slower_than_the_timeout_end_in_a_clear_error(grafana):
    grafana.state.faults.append(Fault("GET", "/api/dashboards/uid", "slow", delay=1.5, times=10))
    result = push(grafana, "--timeout", "0.3")
    assert result.exit_code == 3, result.output
    assert "cannot reach Grafana" in result.output and "Timeout" in result.output
    assert "claude-code" not in grafana.state.dashboards  # nothing half-written


def test_a_connection_reset_is_retried(grafana):
    grafana.state.faults.append(Fault("GET", "/api/dashboards/uid", "reset", times=1))
    result = push(grafana)
    assert result.exit_code == 0, result.output
    assert grafana.state.dashboards["claude-code"].version == 1


@pytest.mark.parametrize("url", ["grafana.example.com", "ftp://grafana"])
def test_bad_url(url):
    result = CliRunner().invoke(
        cli, ["--project", str(ROOT), "push", "--url", url], env={"GRAFANA_TOKEN": TOKEN}
    )
    assert result.exit_code == 2
    assert "must start with http:// or https://" in result.output


def test_pull_works_on_provisioned_dashboards(grafana, project):
    assert run(grafana, "build", project=project).exit_code == 0
    built = json.loads((project / "out/dashboards/claude-code.json").read_text())
    grafana.state.provision(built, folder_uid="")
    result = run(grafana, "pull", "--dashboard", "claude-code", project=project)
    assert result.exit_code == 0, result.output
    assert "claude-code: in sync" in result.output
    assert json.loads((project / "out/pulled/claude-code.json").read_text()) == built


# --- what Grafana's source says the API answers (wave-2 fidelity) ----------------


@pytest.mark.parametrize("unified", [False, True])
def test_stale_save_is_a_conflict_on_either_storage(unified):
    """412 on the classic storage, 409 through the Kubernetes-style one: both conflicts."""
    with GrafanaEmulator(TOKEN, unified_storage=unified) as grafana:
        assert push(grafana).exit_code == 0
        grafana.state.ui_edit("claude-code", lambda d: d.update(description="hand edit"))
        grafana.state.faults.append(Fault("POST", "/api/dashboards/db", "edit"))
        result = push(grafana, "--force")
        assert result.exit_code == 1, result.output  # a conflict, not a Grafana failure (3)
        assert "conflict" in result.output and "not retried" in result.output
        assert ("HTTP 409" if unified else "HTTP 412") in result.output


def test_plugin_dashboard_is_refused_with_the_reason(grafana):
    built = compile_project(load(ROOT)).dashboard("claude-code").model
    grafana.state.install_plugin_dashboard(built, "grafana-claude-app")
    result = push(grafana, "--adopt")
    assert result.exit_code == 1, result.output
    assert "refuse" in result.output and "installed by a plugin" in result.output
    assert grafana.state.dashboards["claude-code"].version == 1


def test_title_taken_in_the_folder_before_11_3_is_refused():
    with GrafanaEmulator(TOKEN, version="11.2.0") as grafana:
        folder = folder_uid("Claude Code")
        grafana.state.add_folder(folder, "Claude Code")
        grafana.state._store({"uid": "by-hand", "title": "Claude Code"}, folder, "alice")
        result = push(grafana)
        assert result.exit_code == 1, result.output
        assert "this title (Grafana before 11.3)" in result.output
        assert "claude-code" not in grafana.state.dashboards


def test_a_folder_made_by_hand_with_the_title_is_used_not_duplicated(grafana):
    grafana.state.add_folder("hand-made", "Claude Code")
    grafana.state.add_folder("elsewhere", "Gemini CLI", parent_uid="hand-made")  # not the root
    result = push(grafana)
    assert result.exit_code == 0, result.output
    assert grafana.state.dashboards["claude-code"].folder_uid == "hand-made"
    titles = [f["title"] for f in grafana.state.folders.values() if not f.get("parentUid")]
    assert titles.count("Claude Code") == 1
    assert titles.count("Gemini CLI") == 1  # created at the root: the nested one is elsewhere


def test_nested_folders_are_found_by_title_and_parent(grafana, project):
    edit(project / "ccdash.yaml", "# folder: AI agents", "folder: AI agents/Claude")
    grafana.state.add_folder("team-ai", "AI agents")
    grafana.state.add_folder("team-ai-claude", "Claude", parent_uid="team-ai")
    result = run(grafana, "push", project=project)
    assert result.exit_code == 0, result.output
    assert grafana.state.dashboards["claude-code"].folder_uid == "team-ai-claude"
    assert len(grafana.state.folders) == 2


def test_viewer_token_is_told_about_the_role(grafana):
    result = push(grafana, token=grafana.state.viewer_token)
    assert result.exit_code == 3, result.output
    assert "HTTP 403" in result.output and "Editor role" in result.output
    assert grafana.state.viewer_token not in result.output
