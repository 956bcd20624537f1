"""`ccdash verify` against a real Prometheus: OK, no data, errors, and the profile mismatch."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from click.testing import CliRunner

from ccdash.check.interpolate import prometheus_targets
from ccdash.cli import cli
from tests.conftest import ROOT, built


def verify(url: str, *args: str, dashboard: str = "claude-code"):
    loaded_time = "2026-11-03T00:00:04Z"  # the end of the 1-day scenarios
    return CliRunner().invoke(
        cli,
        [
            "--project",
            str(ROOT),
            "verify",
            "--dashboard",
            dashboard,  # this Prometheus holds only Claude Code's telemetry
            "--prometheus",
            url,
            "--time",
            loaded_time,
            "--range",
            "1d",
            *args,
        ],
    )


def prometheus_panels(model: dict) -> int:
    """How many panels verify queries: those with a Prometheus target."""
    return len({panel["id"] for panel, _ in prometheus_targets(model)})


def test_all_panels_ok_on_a_healthy_fleet(serve):
    _, client, model = serve("identity")
    result = verify(client.url)
    assert result.exit_code == 0, result.output
    count = prometheus_panels(model)
    assert f"Claude Code: {count} OK, 0 no data, 0 failing" in result.output
    assert "OK      Notional cost (USD)" in result.output


def test_the_attribution_dashboard_is_verified_like_the_flagship(serve):
    _, client, _ = serve("identity")
    result = verify(client.url, dashboard="claude-code-attribution")
    assert result.exit_code == 0, result.output
    count = prometheus_panels(built("claude-code-attribution").model)
    assert f"Claude Code: where the spend comes from: {count} OK, 0 no data" in result.output
    assert "OK      Cache hit ratio by agent" in result.output


def test_json_format(serve):
    _, client, model = serve("identity")
    result = verify(client.url, "--format", "json")
    assert result.exit_code == 0
    (report,) = json.loads(result.output)
    assert {p["status"] for p in report["panels"]} == {"ok"}
    assert len(report["panels"]) == prometheus_panels(model)


def test_profile_mismatch_is_named(serve):
    _, client, _ = serve("identity")
    result = verify(client.url, "--profile", "mimir")
    assert result.exit_code == 1
    assert "built for the 'mimir' naming" in result.output
    assert "`ccdash build --profile collector`" in result.output


def test_missing_recording_rules_are_named(serve):
    _, client, _ = serve("short-sessions", rules=False)
    result = verify(client.url)
    assert "recording rules are not" in result.output
    assert "rules/claude-code.rules.yml" in result.output
    # The raw formulation works on the same Prometheus.
    raw = verify(client.url, "--raw")
    assert "Notional cost (USD)" in raw.output and "OK      Notional cost (USD)" in raw.output


def test_query_error_is_shown_with_its_query(serve, monkeypatch):
    _, client, _ = serve("identity")
    import queries.claude_code as q

    monkeypatch.setattr(q, "active_users", lambda p: "count(count by (user_id) (rate(x[1m]))")
    result = verify(client.url)
    assert result.exit_code == 1
    assert "ERROR   Active users" in result.output
    assert "query: count(count by (user_id) (rate(x[1m]))" in result.output


def test_unreachable_prometheus():
    result = verify("http://127.0.0.1:9")
    assert result.exit_code == 3
    assert result.output.strip().splitlines() == [
        "error: cannot reach Prometheus at http://127.0.0.1:9: ConnectionError"
    ]


def test_html_answer_is_one_clear_line():
    class Html(BaseHTTPRequestHandler):
        def do_POST(self):
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html><body>Bad gateway</body></html>")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = verify(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 3
    assert "HTTP 502 with something that is not JSON" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("url", ["localhost:9090", "ftp://x"])
def test_bad_url(url):
    result = verify(url)
    assert result.exit_code == 3
    assert "must start with http:// or https://" in result.output


def test_overlapping_namings_are_told_apart(serve):
    # Claude Code's own exporter shares five of eight names with the collector
    # naming; the cost, token and active-time names still tell them apart.
    _, client, _ = serve("identity")
    result = verify(client.url, "--profile", "claude-code-exporter")
    assert result.exit_code == 1
    assert "built for the 'claude-code-exporter' naming" in result.output
    assert "`ccdash build --profile collector`" in result.output
