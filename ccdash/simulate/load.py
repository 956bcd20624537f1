"""A scenario, loaded into a Prometheus TSDB: raw samples, and the recording rules over them."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ccdash.harness import LocalPrometheus, backfill, backfill_rules, move_blocks
from ccdash.simulate import exposition, fleet, truth
from ccdash.simulate.scenarios import Scenario
from ccdash.telemetry import Profile


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    tsdb: Path
    truth: dict[str, Any]
    samples: int
    seconds_to_load: float


def load(
    scenario: Scenario, profile: Profile, rule_groups: list[dict], workdir: Path
) -> LoadedScenario:
    """Generate the fleet, backfill its samples into workdir/tsdb, then the rules over them."""
    started = time.monotonic()
    simulated = fleet.generate(scenario)
    tsdb = workdir / "tsdb"
    with tempfile.TemporaryDirectory(dir=workdir, prefix="openmetrics-") as tmp:
        files, samples = exposition.write_openmetrics(simulated, profile, Path(tmp))
        backfill(files, tsdb)
    if rule_groups:
        rules_file = workdir / "rules.yml"
        rules_file.write_text(yaml.safe_dump({"groups": rule_groups}))
        with tempfile.TemporaryDirectory(dir=workdir, prefix="rules-") as tmp:
            with LocalPrometheus(tsdb) as prom:
                backfill_rules(rules_file, prom.url, scenario.start, scenario.end + 60, Path(tmp))
            move_blocks(Path(tmp) / "rule-blocks", tsdb)
    return LoadedScenario(
        scenario, tsdb, truth.truth(simulated), samples, time.monotonic() - started
    )
