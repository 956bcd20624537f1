"""A small Prometheus HTTP API client: instant and range queries, with readable errors.

Credentials come from the environment only (`PROMETHEUS_TOKEN` for a bearer
token, or `PROMETHEUS_USER` and `PROMETHEUS_PASSWORD`), and never appear in
messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import requests

from ccdash.errors import PrometheusError
from ccdash.http import apply_credentials, retrying_session

TIMEOUT = (5, 60)  # connect, read seconds


@dataclass(frozen=True)
class QueryResult:
    """A query's result, or the error Prometheus gave for it."""

    series: list[dict[str, Any]]
    error: str | None = None

    @property
    def empty(self) -> bool:
        return not self.series


class PrometheusClient:
    def __init__(self, url: str, session: requests.Session | None = None) -> None:
        if not url.startswith(("http://", "https://")):
            raise PrometheusError(f"Prometheus URL must start with http:// or https://: {url!r}")
        self.url = url.rstrip("/")
        self.session = session or _session_from_env()

    def query(self, expr: str, time: float) -> QueryResult:
        return self._call("/api/v1/query", {"query": expr, "time": f"{time:.3f}"})

    def query_range(self, expr: str, start: float, end: float, step: float) -> QueryResult:
        return self._call(
            "/api/v1/query_range",
            {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"},
        )

    def _call(self, path: str, params: dict[str, str]) -> QueryResult:
        try:
            response = self.session.post(self.url + path, data=params, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise PrometheusError(
                f"cannot reach Prometheus at {self.url}: {type(exc).__name__}"
            ) from None
        try:
            body = response.json()
        except ValueError:
            raise PrometheusError(
                f"Prometheus at {self.url} answered HTTP {response.status_code} with "
                f"something that is not JSON (is this the Prometheus API URL?)"
            ) from None
        if response.status_code in (400, 422) and body.get("status") == "error":
            return QueryResult([], f"{body.get('errorType')}: {body.get('error')}")
        if response.status_code in (401, 403):
            raise PrometheusError(
                f"Prometheus at {self.url} refused the credentials (HTTP {response.status_code})"
            )
        if response.status_code != 200 or body.get("status") != "success":
            raise PrometheusError(
                f"Prometheus at {self.url} failed: HTTP "
                f"{response.status_code} {body.get('error', '')}".strip()
            )
        data = body["data"]
        if data["resultType"] == "scalar":
            return QueryResult([{"metric": {}, "value": data["result"]}])
        return QueryResult(data["result"])


def _session_from_env() -> requests.Session:
    # Queries are read-only, so every method (POST included) may be retried.
    session = retrying_session(allowed_methods=None, backoff=0.5)
    apply_credentials(session, os.environ, "PROMETHEUS")
    return session
