"""Counter totals that stay right under real operations: recording rules and their raw twin.

A counter's growth over a window is what every total on a dashboard adds
up. Exporters that re-expose a finished series until it expires (the
OpenTelemetry collector's `prometheus` exporter) make the naive forms wrong
in production:
- comparing with `x offset <interval>` takes any series with no sample one
  interval ago as new, so one failed scrape (which stale-marks every series
  of the target) counts every exposed series again in full;
- a fixed offset assumes the group is evaluated at exactly that interval; a
  slower, skipped or HA-paired evaluation loses the growth in between.

The rules here depend on neither, in three stages per counter (a group's
rules run in order, each seeing what the previous one wrote):
1. **value**: a sparse copy of each series, written while its value changed
   in the last `CHANGE_WINDOW` and for `REFRESH_SLOT_S` every hour. It is a
   cumulative value, so writing it twice is harmless, and any evaluation
   cadence up to `CHANGE_WINDOW` sees every change.
2. **growth**: each fresh value against the series' previous recorded value
   (looked up over `PREVIOUS_LOOKBACK`, so a failed scrape, a restart or an
   outage of up to about two hours is bridged, and the growth across it
   counted once). Unlike the fixed offset, "previous" is whatever the
   previous evaluation wrote, whenever that was. A series never recorded
   before counts in full (a new session's first export holds all it did) -
   unless this group was not evaluated in the last `EVALUATION_GAP`: after
   the rules are first loaded or a long outage, series seen for the first
   time are old ones, and counting them would inflate every total.
3. **levels**: the fresh growth samples summed to what panels group by.
Each group also records a heartbeat, which dashboards read to know whether
the rules covered a whole time range (`covered`): if not, panels read the
raw counters (`raw_growth`), so a dashboard is right without the rules, and
for history from before they were loaded; the rules make it fast.

Everything after stage 1 reads only recorded series, so a backfill must run
the stages in order (`devtools.harness` does); `promtool tsdb
create-blocks-from rules` evaluates every rule against the raw data alone
and cannot backfill these rules.
"""

from __future__ import annotations

# A change is recorded by every evaluation within this long after it.
CHANGE_WINDOW = "5m"
# Every exposed series is also recorded during the first REFRESH_SLOT_S of
# each REFRESH_PERIOD_S, so its previous value is never older than that.
REFRESH_PERIOD_S = 3600
REFRESH_SLOT_S = 120
# How far back a growth rule finds a series' previous value: a refresh period,
# plus the longest gap (scrapes failing, collector or Prometheus down) bridged.
PREVIOUS_LOOKBACK = "3h"
# A group not evaluated for this long counts no series as new at its next run.
EVALUATION_GAP = "1h"
# Labels of the scrape target rather than of the telemetry: a replaced
# collector pod exposes the same series under a new instance and pod.
TARGET_LABELS = ("instance", "pod")
HEARTBEAT = "ccdash:rules:heartbeat"
# Grafana variables naming which source panels read: "()" (the empty
# group, so `()name` matches the name) or UNUSED (so it matches nothing).
SOURCE_RULES = "ccdash_rules"
SOURCE_RAW = "ccdash_raw"
UNUSED = "unused:"
_PREFIX_LABEL = "ccdash_prefix"


def value_name(metric: str) -> str:
    return f"ccdash:{metric}:value"


def growth_name(metric: str) -> str:
    return f"ccdash:{metric}:growth"


def _braces(matchers: str) -> str:
    return f"{{{matchers}}}" if matchers else ""


def value_rule(metric: str, matchers: str = "") -> dict[str, str]:
    """Stage 1: the series' value while it changes, and once an hour."""
    drop = ", ".join(TARGET_LABELS)
    now = f"max without ({drop}) ({metric}{_braces(matchers)})"
    before = f"max without ({drop}) ({metric}{_braces(matchers)} offset {CHANGE_WINDOW})"
    slot = f"vector(time() % {REFRESH_PERIOD_S}) < {REFRESH_SLOT_S}"
    return {
        "record": value_name(metric),
        "expr": f"({now} unless {now} == {before}) or ({now} and on () ({slot}))",
    }


def heartbeat_rule(group: str) -> dict:
    """The group's proof of life: one sample per evaluation."""
    return {"record": HEARTBEAT, "expr": "vector(1)", "labels": {"rule_group": group}}


def _heartbeat(group: str) -> str:
    return f'{HEARTBEAT}{{rule_group="{group}"}}'


def growth_rule(metric: str, group: str) -> dict[str, str]:
    """Stage 2: per series, its growth since the previous recorded value.

    A rise counts the difference; a fall (a resumed process restarting its
    counter) counts the new value; an unchanged value counts nothing (also
    the value of an earlier evaluation still within the lookback, say after
    a restart). A series with no previous value counts in full only if the
    group ran recently (see the module docstring).
    """
    value = value_name(metric)
    previous = f"last_over_time({value}[{PREVIOUS_LOOKBACK}] offset 1ms)"
    running = f"last_over_time({_heartbeat(group)}[{EVALUATION_GAP}] offset 1ms)"
    return {
        "record": growth_name(metric),
        "expr": (
            f"({value} - {previous} > 0) or ({value} < {previous})"
            f" or (({value} unless {previous}) and on () {running})"
        ),
    }


def fresh_growth(metric: str, matchers: str = "") -> str:
    """Growth written by this evaluation only (an earlier one may still be in the lookback)."""
    growth = f"{growth_name(metric)}{_braces(matchers)}"
    return f"({growth} and timestamp({growth}) == time())"


def level_rule(record: str, metric: str, labels: tuple[str, ...], matchers: str = "") -> dict:
    """Stage 3: this evaluation's growth summed to the labels panels read."""
    return {
        "record": record,
        "expr": f"sum by ({', '.join(labels)}) ({fresh_growth(metric, matchers)})",
    }


def counter_group(
    name: str, interval: str, counters: list[tuple[str, str]], derived: list[dict]
) -> dict:
    """One rule group: stages 1 and 2 for each (metric, matchers), the rules derived from
    them, and the heartbeat. A derived rule must sit in the group of the counters it
    reads: groups run independently, and a growth rule needs its values written
    by the same evaluation."""
    rules = [value_rule(metric, matchers) for metric, matchers in counters]
    rules += [growth_rule(metric, name) for metric, _ in counters]
    return {"name": name, "interval": interval, "rules": [*rules, *derived, heartbeat_rule(name)]}


def gate(name: str, source: str) -> str:
    """The matcher that switches a selector on or off with the dashboard's source variable."""
    return f'__name__=~"${{{source}}}{name}"'


def covered(groups: list[str]) -> str:
    """Non-empty when every group ran at both ends of the dashboard's time range."""
    beats = [f"{_heartbeat(g)} offset $__range and on () {_heartbeat(g)}" for g in groups]
    return f"max({' and on () '.join(beats)})"


def source_query(groups: list[str], source: str) -> str:
    """The query of a source variable: "()" for the source in use, UNUSED for the other."""
    when_covered, otherwise = ("()", UNUSED) if source == SOURCE_RULES else (UNUSED, "()")
    label = f'"{_PREFIX_LABEL}"'
    return (
        f'query_result(label_replace({covered(groups)}, {label}, "{when_covered}", "", "")'
        f' or on () label_replace(vector(1), {label}, "{otherwise}", "", ""))'
    )


SOURCE_REGEX = f'/{_PREFIX_LABEL}="([^"]+)"/'


def _last_and_before(selector: str, window: str) -> tuple[str, str]:
    """A series' last value in the window, and its last one before (bridging gaps)."""
    last = f"last_over_time({selector}[{window}])"
    return last, f"last_over_time({selector}[{PREVIOUS_LOOKBACK}] offset {window})"


def raw_growth(selector: str, window: str) -> str:
    """Per series, how much a raw counter grew inside the window, without extrapolation.

    The last value in the window minus the last one before it (looked up
    over PREVIOUS_LOOKBACK, so gaps at the window's start are bridged); the
    whole last value for a series born inside the window (its first export
    holds everything it did). A series that reset once (a resumed process
    restarting from 0 below the old one's peak) adds the old process's peak
    and the new one's last value. Anything else, several resets, takes
    `increase()`, which extrapolates by up to a scrape interval.
    """
    last, before = _last_and_before(selector, window)
    peak = f"max_over_time({selector}[{window}])"
    resets = f"resets({selector}[{window}])"
    increase = f"increase({selector}[{window}])"
    first = f"(min_over_time({selector}[{window}]) unless {before})"
    resumed = (
        f"({last} + {peak} - ({before} or {last} * 0)) and ({last} < {peak}) and ({resets} == 1)"
    )
    return (
        f"(({last} - {before} > 0) unless {resets} > 0)"
        f" or (({last} unless {before}) unless {resets} > 0)"
        f" or ({resumed}) or ((({increase} + {first}) or {increase}) and {resets} > 0)"
    )


def by(*labels: str) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


def window_growth(
    raw_selector: str, recorded_selector: str | None, labels: tuple[str, ...], window: str
) -> str:
    """How much a counter grew inside the window, summed by `labels`.

    The recorded growth (`recorded_selector`, gated by the source variable)
    when the rules covered the range, else the raw counters with the same
    meaning; None reads the raw counters only (a dashboard built without rules).
    """
    from_raw = f"sum{by(*labels)} ({raw_growth(raw_selector, window)})"
    if recorded_selector is None:
        return from_raw
    return f"(sum{by(*labels)} (sum_over_time({recorded_selector}[{window}])) or {from_raw})"


def raw_changed(selector: str, window: str) -> str:
    """Per series, present when the counter changed inside the window or was born in it."""
    last, before = _last_and_before(selector, window)
    return f"({last} unless {last} == {before})"
