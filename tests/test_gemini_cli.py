"""The Gemini CLI dashboard: a second agent as content only, built, rule-checked, truth-tested.

Its figures are checked like the flagship's: simulated fleets with known
totals (agents/gemini_cli/simulate.py), backfilled with the dashboard's
own recording rules into a real Prometheus, every headline panel read as
Grafana would and compared with what reached Prometheus.
"""

from __future__ import annotations

import re
import subprocess
from contextlib import ExitStack

import pytest
from click.testing import CliRunner

from agents.gemini_cli import simulate
from agents.gemini_cli.telemetry import NAMINGS
from ccdash.build.config import load
from ccdash.build.project import compile_project
from ccdash.build.rules import rules_file
from ccdash.check.evaluate import evaluate
from ccdash.check.interpolate import prometheus_targets
from ccdash.cli import cli
from devtools.accuracy import Figure, panel_figures
from devtools.harness import INSTALL_HINT, LocalPrometheus
from devtools.load import load_cached
from tests.conftest import ROOT, TSDB_CACHE, require_tool

UID = "gemini-cli"
TOLERANCE_PCT = 1.0
# Titles other tools (and the truth map) look the panels up by, with their kind.
KINDS = {
    "Notional cost (USD)": "stat",
    "Total tokens": "stat",
    "Sessions": "stat",
    "Cache hit ratio": "stat",
    "API error share": "stat",
    "Notional cost over time by model": "timeseries",
    "Tokens by type": "piechart",
}


def built(**settings):
    return compile_project(load(ROOT).with_overrides(**settings), UID).dashboard(UID)


def visual(model: dict) -> list[dict]:
    return [p for p in model["panels"] if p["type"] != "row"]


def test_row_holds_cost_tokens_and_sessions():
    model = built().model
    rows = [p["title"] for p in model["panels"] if p["type"] == "row"]
    assert rows == ["Cost, tokens and sessions"]
    kinds = {p["title"]: p["type"] for p in visual(model)}
    assert {title: kinds.get(title) for title in KINDS} == KINDS


def test_the_pack_sets_profile_folder_and_rules():
    dash = built()
    assert dash.pack.name == "gemini_cli" and dash.folder == "Gemini CLI"
    assert [g["name"] for g in dash.rule_groups] == ["ccdash-gemini-cli"]
    assert (ROOT / "rules" / rules_file(UID)).exists()


def test_costs_are_notional_and_datasources_are_variables():
    for panel in visual(built().model):
        assert len(panel["description"]) > 20 and panel["fieldConfig"]["defaults"]["unit"]
        if "cost" in panel["title"].lower():
            assert "notional" in panel["title"].lower() and "not a bill" in panel["description"]
        for target in panel["targets"]:
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


@pytest.mark.parametrize("naming", sorted(NAMINGS))
@pytest.mark.parametrize("rules", [True, False])
def test_only_the_profile_s_names(naming, rules):
    dash = built(naming=naming, recording_rules=rules)
    names = set(dash.profile.names.values())
    others = {n for table in NAMINGS.values() for n in table.values()} - names
    for _, target in prometheus_targets(dash.model):
        read = set(re.findall(r"gemini_cli_\w+", target["expr"]))
        assert read and not read & others, target["expr"]
        assert ("ccdash_rules" in target["expr"]) is rules


def test_rules_file_passes_promtool():
    promtool = require_tool("promtool", INSTALL_HINT)
    result = subprocess.run(
        [promtool, "check", "rules", str(ROOT / "rules" / rules_file(UID))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_claude_code_setting_is_not_a_gemini_one(project):
    (project / "ccdash.yaml").write_text("profiles:\n  gemini_cli:\n    token_label: type\n")
    result = CliRunner().invoke(cli, ["--project", str(project), "build"])
    assert result.exit_code == 2
    assert "profiles.gemini_cli: unknown key 'token_label'" in result.output


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """name, rules -> (loaded scenario, client): each fleet loaded and served once."""
    require_tool("prometheus", INSTALL_HINT)
    require_tool("promtool", INSTALL_HINT)
    dash = built()
    found = {}
    with ExitStack() as stack:

        def get(name: str, rules: bool = True):
            if (name, rules) not in found:
                workdir = tmp_path_factory.mktemp(name)
                groups = dash.rule_groups if rules else []
                loaded = load_cached(
                    simulate.SIMULATOR,
                    simulate.SCENARIOS[name],
                    dash.profile,
                    groups,
                    workdir,
                    TSDB_CACHE,
                )
                prom = stack.enter_context(LocalPrometheus(loaded.tsdb))
                found[name, rules] = (loaded, prom.client())
            return found[name, rules]

        yield get


def _wrong(figures: list[Figure]) -> list[str]:
    return [
        f"{f.name}: truth {f.truth}, measured {f.measured}"
        for f in figures
        if f.truth != f.measured and (f.error_pct is None or abs(f.error_pct) > TOLERANCE_PCT)
    ]


@pytest.mark.prometheus
@pytest.mark.parametrize("name", sorted(simulate.SCENARIOS))
@pytest.mark.parametrize("rules", [True, False], ids=["rules", "raw"])
def test_headline_figures_within_one_percent(served, name, rules):
    """Rules loaded, or never loaded (the raw counters): the same figures, outages included."""
    loaded, client = served(name, rules)
    for model in (built().model, built(recording_rules=False).model):
        for window in loaded.truth["windows"]:
            evals = evaluate(model, client, window["time"], window["range_s"])
            assert [e.expr for e in evals if e.result.error] == []
            figures = panel_figures(evals, window, simulate.PANEL_FIGURES)
            assert _wrong(figures) == [], f"{name} range {window['range_s'] / 3600:g} h"


@pytest.mark.prometheus
def test_verify_finds_every_panel_and_explains_a_wrong_naming(served):
    loaded, client = served("gemini-steady")
    window = loaded.truth["windows"][0]
    at = str(window["time"])

    def verify(*args):
        command = ["--project", str(ROOT), "verify", "--dashboard", UID, "--prometheus"]
        return CliRunner().invoke(cli, [*command, client.url, "--at", at, *args])

    result = verify()
    panels = len({panel["id"] for panel, _ in prometheus_targets(built().model)})
    assert result.exit_code == 0, result.output
    assert f"Gemini CLI: {panels} OK, 0 no data, 0 failing" in result.output
    result = verify("--profile", "mimir")
    assert result.exit_code == 1
    assert "rebuild with `ccdash build --profile collector`" in result.output
