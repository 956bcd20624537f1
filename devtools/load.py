"""A scenario, loaded into a Prometheus TSDB: raw samples, and the recording rules over them.

Loading takes seconds to minutes per scenario, so `load_cached` keeps each
loaded TSDB under a key made of everything that decides its content: the
scenario, the profile, the rule groups, the load options, and the source of
the simulator and loader themselves (a changed generator is a new key).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.harness import LocalPrometheus, backfill, record_rules, rule_stages

# Rules evaluated from this long before a scenario's first sample, so that
# a range starting with the data is covered by them.
RULES_LEAD = 600


@dataclass(frozen=True)
class Simulator:
    """A pack's simulator, as the loader uses it. A scenario has `name`, `start`,
    `end` and `outage_spans` (where Prometheus was down, so no rule ran)."""

    generate: Callable[[Any], Any]
    # (simulated, profile, directory, since) -> (OpenMetrics files, samples)
    write_openmetrics: Callable[[Any, Any, Path, float], tuple[list[Path], int]]
    truth: Callable[[Any], dict[str, Any]]
    # The package whose code decides the data: part of the cache key.
    package: Path


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Any
    tsdb: Path
    truth: dict[str, Any]
    samples: int
    seconds_to_load: float


def load(
    simulator: Simulator,
    scenario: Any,
    profile: Any,
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
    simulated = simulator.generate(scenario)
    tsdb = workdir / "tsdb"
    with tempfile.TemporaryDirectory(dir=workdir, prefix="openmetrics-") as tmp:
        files, samples = simulator.write_openmetrics(simulated, profile, Path(tmp), since)
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
        scenario, tsdb, simulator.truth(simulated), samples, time.monotonic() - started
    )


def load_cached(
    simulator: Simulator,
    scenario: Any,
    profile: Any,
    rule_groups: list[dict],
    workdir: Path,
    cache: Path,
    rules_from: float | None = None,
) -> LoadedScenario:
    """`load`, from `cache` when the same content was loaded before; the TSDB served is
    always a copy in `workdir` (a server writes to its TSDB, and runs may overlap)."""
    key = _key(simulator, scenario, profile, rule_groups, rules_from)
    entry = cache / f"{scenario.name}-{key}"
    if not (entry / "meta.json").exists():
        cache.mkdir(parents=True, exist_ok=True)
        fresh = Path(tempfile.mkdtemp(dir=cache, prefix=f".{scenario.name}-"))
        try:
            loaded = load(simulator, scenario, profile, rule_groups, fresh, rules_from=rules_from)
            meta = {"truth": loaded.truth, "samples": loaded.samples}
            (fresh / "meta.json").write_text(json.dumps(meta))
            fresh.rename(entry)  # atomic: an entry is whole or absent
        except OSError:
            if not (entry / "meta.json").exists():  # not merely cached by another run
                raise
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
    started = time.monotonic()
    meta = json.loads((entry / "meta.json").read_text())
    tsdb = workdir / "tsdb"
    shutil.copytree(entry / "tsdb", tsdb)
    return LoadedScenario(
        scenario, tsdb, meta["truth"], meta["samples"], time.monotonic() - started
    )


def _key(simulator: Simulator, scenario: Any, profile: Any, groups: list[dict], rules_from) -> str:
    """Everything a loaded TSDB depends on, hashed; the code that writes it included."""
    digest = hashlib.sha256(repr((scenario, profile, rules_from)).encode())
    digest.update(json.dumps(groups, sort_keys=True).encode())
    here = Path(__file__).parent
    sources = [*sorted(simulator.package.rglob("*.py"))]
    sources.append(Path(sys.modules[type(profile).__module__].__file__))
    sources += [here / name for name in ("load.py", "harness.py", "openmetrics.py")]
    for source in sources:
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]
