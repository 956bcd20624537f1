"""What `ccdash pull` writes: a live dashboard normalised like `build` output, and its ConfigMap.

Normalised the same way as the build, `diff out/dashboards out/pulled` shows
exactly what was changed in Grafana, ready to port to the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ccdash.build.compile import CompiledDashboard, render_json
from ccdash.build.config import Kubernetes
from ccdash.build.k8s import configmap_name, configmap_of, render_configmap
from ccdash.build.outputs import write_atomic
from ccdash.sync.normalize import normalise


def write_pulled(out: Path, live: dict[str, Any], folder: str, kube: Kubernetes) -> None:
    """A v2 dashboard (read through the v2 API) is written as the resource `build` writes."""
    pulled = normalise(live)
    uid = pulled["uid"]
    cm_path = out / "k8s" / f"{configmap_name(uid)}.yaml"
    if "elements" in pulled and "layout" in pulled:
        from ccdash.build import v2

        doc = v2.resource(uid, {k: v for k, v in pulled.items() if k != "uid"})
        write_atomic(out / f"{uid}.json", render_json(doc))
        write_atomic(cm_path, configmap_of(uid, f"grafana:{uid}", doc, folder, kube))
        return
    dash = CompiledDashboard(Path(f"grafana:{uid}"), pulled)
    write_atomic(out / f"{uid}.json", render_json(pulled))
    write_atomic(cm_path, render_configmap(dash, folder, kube))
