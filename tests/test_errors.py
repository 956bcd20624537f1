"""Broken input gets one clear line naming the culprit, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ccdash.cli import cli
from devtools.workspace import edit


def run(project: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(project), *args])


def outputs(project: Path) -> dict[str, bytes]:
    files = [*project.glob("out/**/*"), *project.glob("k8s/**/*")]
    return {str(p): p.read_bytes() for p in sorted(files) if p.is_file()}


def test_runtime_error_names_file_and_line(project):
    assert run(project, "build").exit_code == 0
    before = outputs(project)
    (project / "dashboards/broken.py").write_text(
        "def build(ctx):\n    title = 'Broken'\n    return undefined_name\n"
    )
    result = run(project, "build")
    assert result.exit_code == 2
    assert "dashboards/broken.py:3: NameError" in result.output
    assert "Traceback" not in result.output
    assert outputs(project) == before


def test_error_inside_a_panel_helper_names_the_helper(project):
    (project / "dashboards/broken.py").write_text(
        "from panels import stat_panel\n"
        "\n"
        "def build(ctx):\n"
        "    return stat_panel('t', 'd', 'none', size='wide')\n"
    )
    result = run(project, "build")
    assert result.exit_code == 2
    assert "panels/__init__.py:" in result.output


def test_syntax_error_names_file_and_line(project):
    (project / "dashboards/broken.py").write_text("def build(ctx):\n    return (\n\n")
    result = run(project, "build")
    assert result.exit_code == 2
    assert "dashboards/broken.py:2: syntax error" in result.output


def test_module_without_build(project):
    (project / "dashboards/empty.py").write_text("X = 1\n")
    result = run(project, "build")
    assert result.exit_code == 2
    assert "dashboards/empty.py: defines no build(ctx) function" in result.output


def test_wrong_return_type(project):
    (project / "dashboards/odd.py").write_text("def build(ctx):\n    return 42\n")
    result = run(project, "build")
    assert result.exit_code == 2
    assert "dashboards/odd.py: build() returned a int" in result.output


def test_invalid_uid(project):
    (project / "dashboards/baduid.py").write_text(
        "def build(ctx):\n    return {'title': 'T', 'uid': 'has spaces', 'panels': []}\n"
    )
    result = run(project, "build")
    assert result.exit_code == 2
    assert "uid 'has spaces' is missing or invalid" in result.output


def test_duplicate_uid(project):
    (project / "dashboards/copy.py").write_text(
        "def build(ctx):\n    return {'title': 'T', 'uid': 'claude-code', 'panels': []}\n"
    )
    result = run(project, "build")
    assert result.exit_code == 2
    assert "both produce 'claude-code'" in result.output


def test_ds_placeholder_rejected(project):
    (project / "dashboards/exported.py").write_text(
        "def build(ctx):\n"
        "    return {'title': 'T', 'uid': 'exported', 'panels': [{'type': 'stat',\n"
        "            'datasource': {'type': 'prometheus', 'uid': '${DS_PROMETHEUS}'}}]}\n"
    )
    result = run(project, "build")
    assert result.exit_code == 2
    assert "${DS_PROMETHEUS}" in result.output and "sidecar" in result.output


def test_config_unknown_key(project):
    config = project / "ccdash.yaml"
    edit(config, "  namespace: monitoring", "  namspace: monitoring")
    result = run(project, "build")
    assert result.exit_code == 2
    assert "unknown key 'kubernetes.namspace'" in result.output


def test_config_wrong_type_and_bad_yaml(project):
    config = project / "ccdash.yaml"
    config.write_text("folder: [a, b]\n")
    result = run(project, "build")
    assert result.exit_code == 2
    assert "'folder' must be a str" in result.output
    config.write_text("folder: 'unterminated\n")
    result = run(project, "build")
    assert result.exit_code == 2
    assert "not valid YAML" in result.output


def test_config_bad_profile_value(project):
    config = project / "ccdash.yaml"
    config.write_text("profiles:\n  claude_code:\n    naming: graphite\n")
    result = run(project, "build")
    assert result.exit_code == 2
    assert "profiles.claude_code: unknown metric naming profile 'graphite'" in result.output
    config.write_text("profiles:\n  claude_code:\n    recording_rules: 'no'\n")
    result = run(project, "build")
    assert result.exit_code == 2
    assert "profiles.claude_code.recording_rules must be a bool, got 'no'" in result.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # The pack's own keys are checked by the pack.
        ("profiles:\n  claude_code:\n    tokn_label: type\n", "unknown key 'tokn_label'"),
        # A section no dashboard reads is a typo of a pack's name.
        ("profiles:\n  claude-code:\n    naming: mimir\n", "profiles.claude-code: no dashboard"),
        # The wave-1 layout says where its settings went.
        ("profile:\n  naming: mimir\n", "'profile' became 'profiles'"),
    ],
)
def test_config_profile_sections(project, text, message):
    (project / "ccdash.yaml").write_text(text)
    result = run(project, "build")
    assert result.exit_code == 2 and message in result.output, result.output


def test_command_line_settings_are_checked(project):
    result = run(project, "build", "--set", "token_labl=token_type")
    assert result.exit_code == 2
    assert "profile setting 'token_labl': no dashboard's telemetry pack has it" in result.output
    result = run(project, "build", "--set", "token_label")
    assert result.exit_code == 2 and "is not KEY=VALUE" in result.output
