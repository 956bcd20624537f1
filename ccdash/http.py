"""The HTTP session both API clients use: retries from urllib3, credentials from the environment.

Retries come from `Retry` (it honours Retry-After) rather than a loop of our
own; `raise_on_status=False` hands the last answer back so the caller can
say what it was. Credentials are read from `<PREFIX>_TOKEN` (bearer) or
`<PREFIX>_USER` and `<PREFIX>_PASSWORD` (basic), never from files or flags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def retrying_session(
    allowed_methods: Iterable[str] | None, backoff: float, retries: int = 3
) -> requests.Session:
    """Retries on connection errors, and on 429/502/503/504 for `allowed_methods` (None: all)."""
    retry = Retry(
        total=retries,
        backoff_factor=backoff,
        status_forcelist=(429, 502, 503, 504),
        allowed_methods=None if allowed_methods is None else frozenset(allowed_methods),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=8)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def apply_credentials(session: requests.Session, env: Mapping[str, str], prefix: str) -> bool:
    """Set bearer or basic auth from the environment; False when none is configured."""
    token = env.get(f"{prefix}_TOKEN")
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
        return True
    user = env.get(f"{prefix}_USER")
    if user:
        session.auth = (user, env.get(f"{prefix}_PASSWORD", ""))
        return True
    return False
