"""A Grafana HTTP API client with timeouts, safe retries and errors that never show a secret.

Credentials come only from the environment (GRAFANA_TOKEN, or GRAFANA_USER
and GRAFANA_PASSWORD). Idempotent requests are retried on connection
errors, 429 (honouring Retry-After) and 502/503/504; a POST is retried only
when the connection failed before it was sent, and the version guard makes a
repeated save fail rather than apply twice.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import requests

from ccdash.errors import CcdashError, ConfigError
from ccdash.http import apply_credentials, retrying_session

TIMEOUT = (5, 30)
SEARCH_PAGE = 1000


class GrafanaError(CcdashError):
    """Grafana unreachable, failing, or answering something that is not its API."""

    exit_code = 3


class VersionConflict(CcdashError):
    """Someone saved the dashboard since ccdash read it: 412 version-mismatch on the
    classic save, 409 where Grafana saves through its Kubernetes-style storage."""

    exit_code = 1


class SaveRefused(CcdashError):
    """Grafana will not take this save whatever the version: a dashboard provisioned from
    files (the sidecar) or by a plugin, or (before 11.3) a title taken in the folder."""

    exit_code = 1


# The `status` of a refused save's body (pkg/api/apierrors/dashboard.go).
REFUSALS = {
    "plugin-dashboard": "installed by a plugin; Grafana refuses to overwrite it",
    "name-exists": "another dashboard in that folder has this title (Grafana before 11.3)",
}


def session_from_env(env: Mapping[str, str], verify: bool | str = True) -> requests.Session:
    session = retrying_session(allowed_methods=("GET", "HEAD", "DELETE"), backoff=0.2)
    session.verify = verify
    if not apply_credentials(session, env, "GRAFANA"):
        raise ConfigError(
            "no Grafana credentials: set GRAFANA_TOKEN (service account token) "
            "or GRAFANA_USER and GRAFANA_PASSWORD"
        )
    return session


def url_from_env(url: str | None, env: Mapping[str, str] = os.environ) -> str:
    url = url or env.get("GRAFANA_URL") or env.get("GRAFANA_SERVER")
    if not url:
        raise ConfigError("no Grafana URL: pass --url or set GRAFANA_URL (or GRAFANA_SERVER)")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"Grafana URL must start with http:// or https://: {url!r}")
    return url.rstrip("/")


class GrafanaClient:
    """The classic `/api` (Grafana 10 to 13); see `resource.py` for the newer one."""

    def __init__(self, url: str, session: requests.Session, timeout: float = TIMEOUT[1]) -> None:
        self.url = url
        self.session = session
        self.timeout = (min(TIMEOUT[0], timeout), timeout)

    def _call(
        self, method: str, path: str, body: Any = None, params: dict | None = None
    ) -> tuple[int, Any]:
        try:
            response = self.session.request(
                method, self.url + path, json=body, params=params, timeout=self.timeout
            )
        except requests.exceptions.SSLError:
            raise GrafanaError(
                f"TLS verification failed for {self.url}: pass --ca-cert with "
                "your CA bundle (or --insecure)"
            ) from None
        except requests.RequestException as exc:
            timed_out = isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower()
            why = f"Timeout after {self.timeout[1]:g} s" if timed_out else type(exc).__name__
            raise GrafanaError(f"cannot reach Grafana at {self.url}: {why}") from None
        try:
            data = response.json()
        except ValueError:
            raise GrafanaError(
                f"Grafana at {self.url} answered {method} {path} with HTTP "
                f"{response.status_code} and a body that is not JSON (a proxy "
                "error page, or not Grafana?)"
            ) from None
        if response.status_code == 401:
            raise ConfigError(f"Grafana at {self.url} refused the credentials (HTTP 401)")
        if response.status_code >= 500 or response.status_code == 429:
            raise GrafanaError(
                f"Grafana at {self.url} failed: {method} {path} -> HTTP "
                f"{response.status_code} {error_message(data)}"
            )
        return response.status_code, data

    def health(self) -> dict:
        _, data = self._call("GET", "/api/health")
        return data

    def document(self, model: dict) -> dict:
        """What this client stores for a compiled classic model: the model itself."""
        return model

    def get_dashboard(self, uid: str) -> dict | None:
        """{dashboard, meta}, or None when there is no dashboard with that uid."""
        status, data = self._call("GET", self._dashboard_path(uid))
        if status == 404:
            return None
        if status == 406:  # stored as v2: the classic API cannot show it
            reason = (
                "stored in Grafana as a v2 dashboard (saved as v2 in the UI?), which the "
                f"classic API cannot read ({error_message(data)}); ccdash leaves it alone"
            )
            return {"dashboard": {"uid": uid}, "meta": {"unreadable": reason}}
        self._expect(status, data, f"read dashboard {uid}")
        if not isinstance(data, dict) or "dashboard" not in data or "meta" not in data:
            raise GrafanaError(
                f"Grafana at {self.url} answered the dashboard {uid} without 'dashboard' and 'meta'"
            )
        return data

    def save_dashboard(self, dashboard: dict, folder_uid: str, message: str) -> dict:
        body = {
            "dashboard": dashboard,
            "folderUid": folder_uid,
            "overwrite": False,
            "message": message[:500],
        }
        status, data = self._call("POST", "/api/dashboards/db", body)
        uid, why = dashboard["uid"], _status(data)
        if why in REFUSALS and status in (400, 412):
            raise SaveRefused(f"{uid}: {REFUSALS[why]} ({error_message(data)})")
        if status in (409, 412):
            raise VersionConflict(f"{uid}: HTTP {status} {error_message(data)}".rstrip())
        if status == 400 and "provisioned" in error_message(data).lower():
            raise SaveRefused(f"{uid}: provisioned from files; {error_message(data)}")
        self._expect(status, data, f"save dashboard {uid}")
        return data

    def _dashboard_path(self, uid: str) -> str:
        return f"/api/dashboards/uid/{uid}"

    def delete_dashboard(self, uid: str) -> None:
        status, data = self._call("DELETE", self._dashboard_path(uid))
        self._expect(status, data, f"delete dashboard {uid}")

    def get_folder(self, uid: str) -> dict | None:
        status, data = self._call("GET", f"/api/folders/{uid}")
        if status == 404:
            return None
        self._expect(status, data, f"read folder {uid}")
        return data

    def child_folders(self, parent_uid: str | None) -> list[dict]:
        """The folders directly inside `parent_uid` (the root when None)."""
        params = {"limit": SEARCH_PAGE, **({"parentUid": parent_uid} if parent_uid else {})}
        found, page = [], 1
        while True:
            status, data = self._call("GET", "/api/folders", params={**params, "page": page})
            self._expect(status, data, "list folders")
            if not isinstance(data, list):
                raise GrafanaError(f"Grafana at {self.url} answered /api/folders without a list")
            found += data
            if len(data) < SEARCH_PAGE:
                return found
            page += 1

    def create_folder(self, uid: str, title: str, parent_uid: str | None = None) -> dict:
        body = {"uid": uid, "title": title, **({"parentUid": parent_uid} if parent_uid else {})}
        status, data = self._call("POST", "/api/folders", body)
        if status == 409:  # created meanwhile by a concurrent push: fine if it is ours
            existing = self.get_folder(uid)
            if existing:
                return existing
        self._expect(status, data, f"create folder {title!r}")
        return data

    def search(self, tag: str) -> list[dict]:
        hits, page = [], 1
        while True:
            status, data = self._call(
                "GET",
                "/api/search",
                params={"type": "dash-db", "tag": tag, "limit": SEARCH_PAGE, "page": page},
            )
            self._expect(status, data, "search dashboards")
            hits += data
            if len(data) < SEARCH_PAGE:
                return hits
            page += 1

    def _expect(self, status: int, data: Any, what: str) -> None:
        if status == 403:
            raise GrafanaError(
                f"Grafana refused to {what}: HTTP 403 {error_message(data)} (the token's service "
                "account needs the Editor role, or write permission on the folder)"
            )
        if status >= 400:
            raise GrafanaError(f"Grafana refused to {what}: HTTP {status} {error_message(data)}")


def error_message(data: Any) -> str:
    return str(data.get("message", "")) if isinstance(data, dict) else ""


def _status(data: Any) -> str:
    return str(data.get("status", "")) if isinstance(data, dict) else ""
