"""A scenario, loaded into a Prometheus TSDB: raw samples, and the recording rules over them."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.claude_code.simulate import exposition, fleet, truth
from agents.claude_code.simulate.scenarios import Scenario
from agents.claude_code.telemetry import Profile
from devtools.harness import LocalPrometheus, backfill, record_rules, rule_stages

# Rules evaluated from this long before a scenario's first sample, so that
# a range starting with the data is covered by them.
RULES_LEAD = 600


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    tsdb: Path
    truth: dict[str, Any]
    samples: int
    seconds_to_load: float


def load(
    scenario: Scenario,
    profile: Profile,
    rule_groups: list[dict],
    workdir: Path,
    compact: bool = False,
    rules_from: float | None = None,
    since: float = 0.0,
) -> LoadedScenario:
    """Generate the fleet, backfill its samples into workdir/tsdb, then the rules over them.

    `compact` lets Prometheus merge the backfilled blocks as a long-running
    server would have (a minute or more): needed to measure query speed, not
    to check figures. The rules run from RULES_LEAD before the data, as on a
    Prometheus that had them before Claude Code's first export, or from
    `rules_from` (rules loaded while the history was already there).
    `since` keeps only the samples from then on (see write_openmetrics).
    """
    started = time.monotonic()
    workdir.mkdir(parents=True, exist_ok=True)
    simulated = fleet.generate(scenario)
    tsdb = workdir / "tsdb"
    with tempfile.TemporaryDirectory(dir=workdir, prefix="openmetrics-") as tmp:
        files, samples = exposition.write_openmetrics(simulated, profile, Path(tmp), since)
        backfill(files, tsdb)
    if rule_groups:
        first = scenario.start - RULES_LEAD if rules_from is None else rules_from
        for stage in rule_stages(rule_groups):
            with tempfile.TemporaryDirectory(dir=workdir, prefix="rules-") as tmp:
                # Evaluated by a Prometheus serving what is loaded so far, which
                # must be stopped before the recorded blocks are added to its TSDB.
                with LocalPrometheus(tsdb) as prom:
                    files = record_rules(
                        prom.client(),
                        stage,
                        first,
                        scenario.end + 60,
                        Path(tmp),
                        gaps=scenario.outage_spans,
                    )
                backfill(files, tsdb)
    if compact:
        with LocalPrometheus(tsdb) as prom:
            prom.wait_compacted()
    return LoadedScenario(
        scenario, tsdb, truth.truth(simulated), samples, time.monotonic() - started
    )
