"""What two dashboards have to share to be "the same", whatever Grafana did on save.

Grafana sets `id` and `version` on every save and older exports carry an
`iteration` timestamp; ccdash's own `ccdash` entry records what it pushed.
None of these is content, so none takes part in a comparison.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

VOLATILE = ("id", "version", "iteration")
MARKER = "ccdash"


def normalise(dashboard: dict[str, Any]) -> dict[str, Any]:
    content = copy.deepcopy(dashboard)
    for key in (*VOLATILE, MARKER):
        content.pop(key, None)
    return content


def content_hash(dashboard: dict[str, Any]) -> str:
    text = json.dumps(normalise(dashboard), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
