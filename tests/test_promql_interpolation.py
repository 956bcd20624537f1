"""Grafana's macro and variable substitution, as the harness reproduces it."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from ccdash.check.interpolate import (
    ALL,
    Interpolator,
    Interval,
    Variable,
    format_duration,
    parse_duration,
    regex_escape,
    round_interval,
)

MODEL = Variable("model")


def test_bracketed_model_is_escaped_for_promql():
    text = Interpolator({"model": MODEL}, {"model": "claude-opus-4-7[1m]"})(
        'x{model=~"${model}"}', Interval(60, 15, 60)
    )
    # In the PromQL source the regex backslashes are doubled inside "...".
    assert text == 'x{model=~"claude-opus-4-7\\\\[1m\\\\]"}'


def test_all_uses_the_custom_all_value_and_several_values_are_joined():
    interpolate = Interpolator({"model": MODEL}, {"model": ALL})
    assert interpolate("${model}", Interval(60, 15, 60)) == ".*"
    interpolate = Interpolator({"model": MODEL}, {"model": ["a.b", "c"]})
    assert interpolate("$model", Interval(60, 15, 60)) == "(a\\\\.b|c)"


def test_all_without_custom_value_lists_options():
    var = Variable("model", all_value=None, options=("a", "b"))
    assert Interpolator({"model": var})("${model}", Interval(60, 15, 60)) == "(a|b)"


def test_time_macros():
    interval = Interval.for_panel(7 * 86400, max_data_points=500, min_interval="1m")
    text = Interpolator()(
        "[$__range] [$__interval] [$__rate_interval] $__interval_ms $__range_s", interval
    )
    # 604800 s / 500 points = 1209.6 s, which Grafana rounds to 20 minutes.
    assert text == "[604800s] [20m] [1215s] 1200000 604800"


def test_rate_interval_floor_is_four_scrapes():
    interval = Interval.for_panel(3600, max_data_points=1000)
    assert interval.interval_s == 15  # 3.6 s rounds to 5 s, floored at the scrape interval
    assert interval.rate_interval_s == 60


def test_round_interval_table_points():
    assert round_interval(1209.6) == 1200
    assert round_interval(604.8) == 600
    assert round_interval(86.4) == 60
    assert round_interval(2592) == 1800  # 30 days over 1000 points: 43.2 min -> 30m


@given(st.text(min_size=1, max_size=30))
def test_escaped_value_matches_itself_only(value):
    # What PromQL's string parser hands to the regex engine: undo one level of \\.
    regex = regex_escape(value).replace("\\\\", "\\")
    assert re.fullmatch(regex, value, flags=re.DOTALL)


@given(st.integers(min_value=1, max_value=10**7))
def test_duration_round_trip(seconds):
    assert parse_duration(format_duration(seconds)) == seconds
