"""Every profile builds a dashboard whose PromQL parses and uses only that profile's names."""

from __future__ import annotations

import itertools
import re
import subprocess

import pytest
import yaml

from agents.claude_code.telemetry import NAMINGS, SPAN_METRICS, TOKEN_LABEL_SCHEMAS, Profile
from ccdash.check.interpolate import ALL, Interpolator, Interval, prometheus_targets, variables_of
from tests.conftest import flagship_build, require_tool

PROFILES = [
    Profile(naming=n, token_label_schema=t, span_metrics=s)
    for n, t, s in itertools.product(
        sorted(NAMINGS), sorted(TOKEN_LABEL_SCHEMAS), sorted(SPAN_METRICS)
    )
]
# Variable selections Grafana can send: All, one value with regex metacharacters, several.
SELECTIONS = [
    {},
    {"model": "claude-opus-4-7[1m]", "user": "u-1", "team": "platform"},
    {"model": ["claude-sonnet-4-5", "claude-opus-4-7[1m]"], "user": ["a.b", "c|d"]},
]


def _flagship(profile: Profile) -> dict:
    built = flagship_build(
        naming=profile.naming,
        token_label=profile.token_label_schema,
        span_metrics=profile.span_metrics,
        recording_rules=profile.recording_rules,
    )
    assert repr(built.profile) == repr(profile)  # content modules reload: compare settings
    return built.model


@pytest.fixture(
    scope="module",
    params=PROFILES,
    ids=lambda p: (
        f"{p.naming}-{p.token_label_schema}-{p.span_metrics}-"
        f"{'rules' if p.recording_rules else 'raw'}"
    ),
)
def built(request) -> tuple[Profile, dict]:
    return request.param, _flagship(request.param)


def test_only_the_profiles_metric_names(built):
    profile, model = built
    spans = profile.spans
    names = set(profile.names.values())
    span_names = {spans.calls, spans.latency_bucket, spans.latency_sum, spans.latency_count}
    if profile.recording_rules:  # the rules' levels, or the raw counters before them
        tokens, cost = profile.metric("tokens"), profile.metric("cost")
        recorded = {f"ccdash:{n}:growth_by_{lv}" for n in names for lv in ("user", "session")}
        recorded |= {
            f"ccdash:{tokens}:{view}_growth_by_session" for view in ("cache_read", "prompt")
        }
        recorded |= {
            f"ccdash:{profile.metric('session')}:active_by_session",
            f"ccdash:{tokens}:prompt_growth_by_user",
            f"ccdash:{cost}:growth_by_session_model",
        }
        recorded |= {f"ccdash:{n}:growth_by_span" for n in (spans.calls, spans.latency_bucket)}
        names |= recorded
    allowed = names | span_names
    for panel, target in prometheus_targets(model):
        plain = re.findall(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{", target["expr"])
        gated = re.findall(r'__name__=~"\$\{ccdash_\w+\}([a-zA-Z0-9_:]+)"', target["expr"])
        used = set(plain) | set(gated)
        assert used, panel["title"]
        assert used <= allowed, (panel["title"], used - allowed)


def test_token_label_schema(built):
    profile, model = built
    cache_read = profile.token_type("cacheRead")
    exprs = [t["expr"] for p, t in prometheus_targets(model) if p["title"] == "Cache hit ratio"]
    assert f'{profile.token_label}=~"{cache_read}"' in exprs[0]


def test_every_expression_parses_with_promtool(built, tmp_path):
    promtool = require_tool(
        "promtool", "install Debian's `prometheus` package (apt-get install prometheus)"
    )
    _, model = built
    variables = variables_of(model)
    rules = []
    for selection in SELECTIONS:
        values = {name: selection.get(name, ALL) for name in variables}
        interpolate = Interpolator(variables, values)
        for panel, target in prometheus_targets(model):
            interval = Interval.for_panel(
                7 * 86400, panel.get("maxDataPoints", 1000), panel.get("interval")
            )
            expr = interpolate(target["expr"], interval)
            assert "$" not in expr, (panel["title"], expr)
            rules.append({"record": f"panel_{panel['id']}_{target['refId']}", "expr": expr})
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_span_metric_units(built):
    profile, model = built
    for panel, target in prometheus_targets(model):
        if "histogram_quantile" in target["expr"]:
            converted = "* 0.001" in target["expr"]
            assert converted is (profile.spans.to_seconds != 1), panel["title"]
