"""A project directory -> its compiled dashboards and recording rules: what `ccdash build` emits."""

from __future__ import annotations

from dataclasses import dataclass

from ccdash.compile import CompiledDashboard, compile_dashboard
from ccdash.config import Config
from ccdash.errors import DashboardError
from ccdash.loader import BuildContext, load_all


@dataclass(frozen=True)
class Project:
    dashboards: list[CompiledDashboard]
    rule_groups: list[dict]

    def dashboard(self, uid: str) -> CompiledDashboard:
        return next(d for d in self.dashboards if d.uid == uid)


def compile_project(config: Config) -> Project:
    root = config.root.resolve()
    loaded = load_all(root, BuildContext.from_config(config))
    if not loaded:
        raise DashboardError(f"{config.root}: no dashboard modules found in dashboards/*.py")
    groups: dict[str, tuple[dict, str]] = {}
    for item in loaded:
        source = str(item.path.relative_to(root))
        for group in item.rule_groups:
            known = groups.setdefault(group["name"], (group, source))
            if known[0] != group:
                raise DashboardError(
                    f"{source} and {known[1]} define different recording rule groups "
                    f"named {group['name']!r}"
                )
    dashboards = [compile_dashboard(d.obj, d.path.relative_to(root)) for d in loaded]
    return Project(
        dashboards, [group for group, _ in sorted(groups.values(), key=lambda g: g[0]["name"])]
    )
