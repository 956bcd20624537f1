"""The simulators' shared clock: a fixed origin, and a scenario's span, outages and windows.

A fixed origin keeps generated data independent of the clock. Scrapes
happen 7 s past each 15 s step and the harness evaluates recording rules
1 s later. A range edge anywhere outside that second separates the same
samples for the rules as for the truth; inside it, an edge is off by one
scrape (15 s of data). "now" falls NOW_PHASE past the step.
"""

from __future__ import annotations

ORIGIN = 1_793_577_600.0  # 2026-11-02T00:00:00Z, a Monday
HOUR = 3600.0
DAY = 86400.0
NOW_PHASE = 4.0


class Timeline:
    """What a scenario dataclass with `days`, `outages` and `windows` gets from its fields."""

    days: float
    # (start hour from origin, duration minutes): Prometheus down, so neither
    # scrapes nor rule evaluations happen.
    outages: tuple[tuple[float, float], ...]
    # Evaluation windows the truth file and the tests use: (end hour, range hours).
    windows: tuple[tuple[float, float], ...]

    @property
    def start(self) -> float:
        return ORIGIN

    @property
    def end(self) -> float:
        return ORIGIN + self.days * DAY

    @property
    def outage_spans(self) -> list[tuple[float, float]]:
        """[start, end) of each outage, in seconds."""
        return [(ORIGIN + h * HOUR, ORIGIN + h * HOUR + m * 60) for h, m in self.outages]

    def evaluation_windows(self) -> list[tuple[float, float]]:
        """(evaluation time, range seconds) pairs; default: the whole scenario and its last day.

        Evaluation times fall NOW_PHASE seconds past the hour, never on a scrape,
        so no sample sits on a range boundary (Prometheus 2.x ranges include
        both ends).
        """
        if self.windows:
            pairs = [(ORIGIN + end * HOUR, rng * HOUR) for end, rng in self.windows]
        elif self.days > 1:
            pairs = [(self.end, self.days * DAY), (self.end, DAY)]
        else:
            pairs = [(self.end, DAY), (self.end, 6 * HOUR)]
        return [(t + NOW_PHASE, r) for t, r in pairs]
