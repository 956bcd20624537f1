"""`ccdash claude-env`: the variables Claude Code documents, quoted for the shell, same as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from agents.claude_code.env import DOCUMENTED, environment, resource_attributes
from agents.claude_code.telemetry import Profile
from ccdash.cli import cli
from ccdash.errors import ConfigError
from devtools.workspace import edit
from tests.conftest import ROOT, require_tool

# Values chosen to break naive quoting: spaces, quotes, $, backticks, commas, =.
NASTY_ENDPOINT = "https://otel.example:4317/a?b=$HOME&c='x'`id`"
NASTY_TEAM = 'Platform & "AI", R=D $USER'


def run(project: Path, *args: str):
    return CliRunner().invoke(cli, ["--project", str(project), "claude-env", *args])


def test_defaults_are_the_dashboard_s_requirements():
    env = environment(Profile())
    assert env["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1"
    assert env["OTEL_METRICS_EXPORTER"] == "otlp"
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4317"
    assert env["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"] == "cumulative"
    assert env["OTEL_METRICS_INCLUDE_SESSION_ID"] == "true"
    assert env["CLAUDE_CODE_ENHANCED_TELEMETRY_BETA"] == "1"
    assert env["OTEL_TRACES_EXPORTER"] == "otlp"
    assert "OTEL_RESOURCE_ATTRIBUTES" not in env  # nothing to attribute without --team
    assert "OTEL_LOGS_EXPORTER" not in env  # the pipeline has no logs pipeline


def test_every_variable_is_one_claude_code_documents():
    """A typo in a name (OTEL_METRIC_EXPORTER) is silently ignored by Claude Code."""
    for traces in (True, False):
        env = environment(Profile(), team="a", cost_centre="b", traces=traces)
        assert set(env) <= DOCUMENTED, set(env) - DOCUMENTED


def test_no_traces_leaves_both_trace_variables_out():
    env = environment(Profile(), traces=False)
    assert "OTEL_TRACES_EXPORTER" not in env and "CLAUDE_CODE_ENHANCED_TELEMETRY_BETA" not in env


@pytest.mark.parametrize("label", ["team", "squad", "org_unit", "Team_2"])
def test_team_attribute_becomes_the_profile_s_attribution_label(label):
    env = environment(Profile(attribution_label=label), team="payments")
    pairs = dict(p.split("=", 1) for p in env["OTEL_RESOURCE_ATTRIBUTES"].split(","))
    # A label name passes the collector's translation unchanged: the key is the label.
    assert pairs == {label: "payments"}


def test_cost_centre_attribute_and_percent_encoding():
    attributes = {"team": NASTY_TEAM, "cost_center": "CC-42"}
    value = resource_attributes(attributes)
    # `,` and `=` inside a value are encoded, so the list splits back into the
    # pairs, and decoding (as the SDK does) gives the original text.
    pairs = [pair.split("=", 1) for pair in value.split(",")]
    assert {key: unquote(encoded) for key, encoded in pairs} == attributes
    assert [key for key, _ in pairs] == sorted(attributes)  # stable bytes


def test_rejects_a_non_url_endpoint_and_unknown_protocol():
    with pytest.raises(ConfigError, match="http:// or https://"):
        environment(Profile(), endpoint="localhost:4317")
    with pytest.raises(ConfigError, match="protocol"):
        environment(Profile(), protocol="http/json")
    unknown = run(ROOT, "--protocol", "http/json")  # validated once, in environment()
    assert unknown.exit_code == 2 and "choose one of grpc, http/protobuf" in unknown.output
    with pytest.raises(ConfigError, match="port 4318 is OTLP http/protobuf"):
        environment(Profile(), endpoint="http://localhost:4318")
    with pytest.raises(ConfigError, match="port 4317 is OTLP grpc"):
        environment(Profile(), endpoint="http://localhost:4317", protocol="http/protobuf")
    env = environment(Profile(), endpoint="http://localhost:4318", protocol="http/protobuf")
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http/protobuf"
    # Other ports (a proxy, a gateway) are the user's business.
    environment(Profile(), endpoint="https://otel.example", protocol="http/protobuf")


@pytest.mark.parametrize("endpoint", ["http://collector:abc", "http://collector:99999"])
def test_an_invalid_port_is_a_configuration_error(endpoint):
    with pytest.raises(ConfigError, match="invalid port"):
        environment(Profile(), endpoint=endpoint)
    result = run(ROOT, "--endpoint", endpoint)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("error: ")


def test_shell_form_sourced_by_bash_equals_the_settings_form(project):
    bash = require_tool("bash", "install bash")
    args = ["--endpoint", NASTY_ENDPOINT, "--team", NASTY_TEAM, "--cost-centre", "CC 7"]
    shell = run(project, *args)
    settings = run(project, "--format", "settings", *args)
    assert shell.exit_code == 0 and settings.exit_code == 0, shell.output + settings.output
    expected = json.loads(settings.output)["env"]
    script = (
        shell.output
        + "python3 -c 'import json, os, sys; "
        + "print(json.dumps({k: os.environ[k] for k in sys.argv[1:]}))' "
        + " ".join(expected)
        + "\n"
    )
    result = subprocess.run(
        [bash, "--noprofile", "--norc", "-euc", script],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "USER": "nobody"},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected
    assert expected["OTEL_EXPORTER_OTLP_ENDPOINT"] == NASTY_ENDPOINT  # no expansion


def test_settings_form_is_deterministic_and_shaped_for_claude():
    # Same bytes across processes: set or dict order must not leak in, so two
    # interpreters with different string hashing must agree.
    args = ["--project", str(ROOT), "claude-env", "--format", "settings"]
    args += ["--team", "a", "--cost-centre", "b"]
    outputs = []
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", "from ccdash.cli import main; main()", *args],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    parsed = json.loads(outputs[0])
    assert list(parsed) == ["env"]
    assert all(isinstance(v, str) for v in parsed["env"].values())  # settings.json wants strings
    assert list(parsed["env"]) == sorted(parsed["env"])


def test_attribution_label_comes_from_ccdash_yaml(project):
    config = project / "ccdash.yaml"
    edit(config, "attribution_label: team", "attribution_label: squad")
    result = run(project, "--team", "payments")
    assert result.exit_code == 0, result.output
    assert "export OTEL_RESOURCE_ATTRIBUTES=squad=payments\n" in result.output


def test_repository_profile_label_is_team():
    """The stack's Team variable reads `team`: the default block must produce it."""
    result = run(ROOT, "--team", "payments")
    assert "OTEL_RESOURCE_ATTRIBUTES=team=payments" in result.output
