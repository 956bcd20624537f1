"""What `ccdash pull` writes: a live dashboard normalised like `build` output, and its ConfigMap.

Normalised the same way as the build, `diff out/dashboards out/pulled` shows
exactly what was changed in Grafana, ready to port to the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ccdash.build.compile import CompiledDashboard, render_json
from ccdash.build.config import Kubernetes
from ccdash.build.k8s import configmap_name, render_configmap
from ccdash.build.outputs import write_atomic
from ccdash.sync.normalize import normalise


def write_pulled(out: Path, live: dict[str, Any], folder: str, kube: Kubernetes) -> None:
    pulled = normalise(live)
    dash = CompiledDashboard(Path(f"grafana:{pulled['uid']}"), pulled)
    write_atomic(out / f"{dash.uid}.json", render_json(pulled))
    write_atomic(
        out / "k8s" / f"{configmap_name(dash.uid)}.yaml", render_configmap(dash, folder, kube)
    )
