"""The dashboards' filters: template variables, each matched against one label.

A filter is applied only to metrics that carry its label (`queries.common.selector`),
and "All" is `.*`, so series without the label still match.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.claude_code.telemetry import Profile


@dataclass(frozen=True)
class Filter:
    """A dashboard filter: a template variable matched against one label."""

    label: str
    variable: str
    title: str


def filters(p: Profile) -> list[Filter]:
    """The Claude Code dashboard's filters, in display order."""
    attribution = p.attribution_label
    return [
        Filter("user_id", "user", "User"),
        Filter("model", "model", "Model"),
        Filter(attribution, attribution, attribution.replace("_", " ").title()),
    ]


def matcher(f: Filter) -> str:
    return f'{f.label}=~"${{{f.variable}}}"'


def model_matcher(p: Profile) -> str:
    """The model filter, for span metrics that carry a `model` dimension."""
    return next(matcher(f) for f in filters(p) if f.label == "model")
