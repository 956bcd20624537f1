"""A project directory -> its compiled dashboards: the pipeline behind `ccdash build`."""

from __future__ import annotations

from ccdash.compile import CompiledDashboard, compile_dashboard
from ccdash.config import Config
from ccdash.errors import DashboardError
from ccdash.loader import BuildContext, load_all


def compile_project(config: Config) -> list[CompiledDashboard]:
    loaded = load_all(config.root, BuildContext.from_config(config))
    if not loaded:
        raise DashboardError(f"{config.root}: no dashboard modules found in dashboards/*.py")
    return [compile_dashboard(d.obj, d.path.relative_to(config.root.resolve())) for d in loaded]
