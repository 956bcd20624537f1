"""A deterministic Claude Code fleet: telemetry as a Prometheus would hold it, and the truth.

`fleet` generates users, sessions, processes and their events; `exposition`
turns them into the samples a collector `prometheus` exporter (scraped every
15 s) and Tempo's metrics-generator would leave in Prometheus; `truth`
computes the figures the dashboard should show from the events themselves.
"""

from pathlib import Path

from agents.claude_code.simulate import exposition, fleet, truth
from devtools.load import Simulator

SIMULATOR = Simulator(
    fleet.generate, exposition.write_openmetrics, truth.truth, Path(__file__).parent
)
