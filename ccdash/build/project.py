"""A project directory -> its compiled dashboards and recording rules: what `ccdash build` emits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ccdash.build.alerts import check_names
from ccdash.build.compile import CompiledDashboard, compile_dashboard
from ccdash.build.config import CONFIG_FILE, Config
from ccdash.build.loader import LoadedDashboard, load_all, load_one
from ccdash.errors import ConfigError, DashboardError
from ccdash.pack import Pack

# For dashboards that declare no telemetry pack and ccdash.yaml names no folder.
DEFAULT_FOLDER = "ccdash"


@dataclass(frozen=True)
class BuiltDashboard(CompiledDashboard):
    """A compiled dashboard with what the checks and outputs need to know of its source."""

    pack: Pack | None = None
    profile: Any = None
    # The Grafana folder: ccdash.yaml's `folder`, else the agent's name.
    folder: str = ""
    # The recording rule groups it reads.
    rule_groups: list[dict] = field(default_factory=list)
    # Its alerting rule groups (rules/<uid>.alerts.yml), ccdash.yaml applied.
    alert_groups: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Project:
    dashboards: list[BuiltDashboard]

    def dashboard(self, uid: str) -> BuiltDashboard:
        found = [d for d in self.dashboards if d.uid == uid]
        if not found:
            known = ", ".join(d.uid for d in self.dashboards)
            raise ConfigError(f"no dashboard with uid {uid!r} (built: {known})")
        return found[0]

    @property
    def rule_groups(self) -> list[dict]:
        """Every group once, by name: what one Prometheus loads for the whole project."""
        return sorted(
            {g["name"]: g for d in self.dashboards for g in d.rule_groups}.values(),
            key=lambda g: g["name"],
        )

    def rule_files(self) -> dict[str, list[dict]]:
        """Dashboard uid -> the groups written to its rule file.

        A group two dashboards share is written once, with the first, so no
        Prometheus records the same series twice.
        """
        written: set[str] = set()
        files = {}
        for dash in self.dashboards:
            own = [g for g in dash.rule_groups if g["name"] not in written]
            written |= {g["name"] for g in own}
            if own:
                files[dash.uid] = sorted(own, key=lambda g: g["name"])
        return files


def compile_project(config: Config, uid: str | None = None) -> Project:
    """Build every dashboard, or with `uid` only that one.

    The command line's profile settings apply to the chosen dashboard only
    when one is chosen, so `--profile` can name a naming only its agent has.
    """
    root = config.root.resolve()
    loaded = load_all(config, overrides=uid is None)
    if not loaded:
        raise DashboardError(f"{config.root}: no dashboard modules found in dashboards/*.py")
    packs = [d.pack for d in loaded if d.pack is not None]
    _check_sections(config, packs)
    _check_groups(root, loaded)
    offered = {name: keys for d in loaded for name, keys in d.alerts_offered.items()}
    check_names(config.alerts, offered, config.root / CONFIG_FILE)
    project = Project([_built(root, d, config) for d in loaded])
    if uid is None:
        _check_overrides(config, packs)
        return project
    chosen = project.dashboard(uid)
    if config.overrides and chosen.pack is not None:
        _check_overrides(config, [chosen.pack])
        chosen = _built(root, load_one(config, root / chosen.source, overrides=True), config)
    return Project([chosen])


def _built(root: Path, d: LoadedDashboard, config: Config) -> BuiltDashboard:
    source = d.path.relative_to(root)
    return BuiltDashboard(
        source,
        compile_dashboard(d.obj, source).model,
        d.pack,
        d.profile,
        config.folder or (d.pack.title if d.pack else DEFAULT_FOLDER),
        d.rule_groups,
        d.alert_groups,
    )


def _check_sections(config: Config, packs: list[Pack]) -> None:
    """A `profiles:` section no dashboard reads is a typo of a pack's name."""
    names = {p.name for p in packs}
    for name in config.profiles:
        if name not in names:
            known = ", ".join(sorted(names)) or "none"
            raise ConfigError(
                f"{config.root / CONFIG_FILE}: profiles.{name}: no dashboard reads this "
                f"telemetry pack (the dashboards' packs: {known})"
            )


def _check_overrides(config: Config, packs: list[Pack]) -> None:
    """A command-line setting none of the dashboards' packs has would change nothing."""
    settings = {s for p in packs for s in p.settings}
    for key in config.overrides:
        if key not in settings:
            raise ConfigError(
                f"profile setting {key!r}: no dashboard's telemetry pack has it "
                f"(they have: {', '.join(sorted(settings)) or 'none'})"
            )


def _check_groups(root: Path, loaded: list[LoadedDashboard]) -> None:
    """Two dashboards may share a rule group, but never two different groups under one name."""
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
