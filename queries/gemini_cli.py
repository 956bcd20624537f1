"""PromQL for Gemini CLI's counters, and the recording rules behind it.

The same formulation as Claude Code's figures (`ccdash.build.counters`): each
counter's growth recorded per evaluation and summed over the range when the
rules covered it, the raw counters with the same meaning otherwise. One
level is recorded per counter: what the filters and the panels group by,
without the per-session labels.
"""

from __future__ import annotations

from agents.gemini_cli.prices import LIST_PRICES, per_token
from agents.gemini_cli.telemetry import Profile
from ccdash.build.counters import SOURCE_RAW, SOURCE_RULES, by, counter_group, level_rule
from ccdash.build.counters import window_growth as growth
from queries.common import INTERVAL, RANGE, RULE_INTERVAL, gated
from queries.filters import Filter, matcher

GROUP = "ccdash-gemini-cli"
# What each recorded level keeps besides the attribution label.
BREAKDOWNS: dict[str, tuple[str, ...]] = {
    "session": (),
    "tokens": ("model", "type"),
    "api_requests": ("model", "status_code"),
}
# Token types counted in totals: `cache` is part of `input` already.
COUNTED = '!="cache"'


def filters(p: Profile) -> list[Filter]:
    label = p.attribution_label
    return [
        Filter("model", "model", "Model"),
        Filter(label, label, label.replace("_", " ").title()),
    ]


def level_labels(p: Profile, key: str) -> tuple[str, ...]:
    return tuple(sorted({p.attribution_label, *BREAKDOWNS[key]}))


def rule_name(p: Profile, key: str) -> str:
    return f"ccdash:{p.metric(key)}:growth_by_attribution"


def selector(p: Profile, key: str, *, raw: bool = False, **matchers: str) -> str:
    """A counter's raw series or its recorded level, with the filters its labels allow."""
    labels = p.labels_of(key) if raw else level_labels(p, key)
    parts = [matcher(f) for f in filters(p) if f.label in labels]
    parts += [f"{label}{m}" for label, m in matchers.items()]
    if raw:
        return gated(p.metric(key), parts, SOURCE_RAW, p.recording_rules)
    return gated(rule_name(p, key), parts, SOURCE_RULES, p.recording_rules)


def window_total(
    p: Profile, key: str, labels: tuple[str, ...] = (), window: str = RANGE, **matchers: str
) -> str:
    missing = set(labels) - set(level_labels(p, key))
    if missing:
        raise ValueError(f"{key} is not recorded by {', '.join(sorted(missing))}")
    recorded = selector(p, key, **matchers) if p.recording_rules else None
    return growth(selector(p, key, raw=True, **matchers), recorded, labels, window)


def prices() -> str:
    """USD per token as a vector by (model, type): the price table in PromQL."""
    return " or ".join(
        f'label_replace(label_replace(vector({price!r}), "model", "{model}", "", ""), '
        f'"type", "{kind}", "", "")'
        for model in sorted(LIST_PRICES)
        for kind, price in sorted(per_token(model).items())
    )


def cost_total(p: Profile, labels: tuple[str, ...] = (), window: str = RANGE) -> str:
    """Tokens priced by model and type: models missing from the price table cost nothing."""
    tokens = window_total(p, "tokens", ("model", "type", *labels), window)
    return f"sum{by(*labels)} ({tokens} * on (model, type) group_left () ({prices()}))"


def cost_over_time_by_model(p: Profile) -> str:
    return cost_total(p, ("model",), INTERVAL)


def tokens_total(p: Profile, labels: tuple[str, ...] = ()) -> str:
    return window_total(p, "tokens", labels, type=COUNTED)


def tokens_by_type(p: Profile) -> str:
    return window_total(p, "tokens", ("type",))


def cache_hit_ratio(p: Profile) -> str:
    """Cached share of the prompt tokens (input includes its cached part)."""
    cache = window_total(p, "tokens", type='="cache"')
    prompt = window_total(p, "tokens", type='="input"')
    return f"{cache} / {prompt}"


def sessions(p: Profile) -> str:
    """CLI startups in the range: session.count grows by one at each."""
    return window_total(p, "session")


def api_error_share(p: Profile) -> str:
    """Failed requests: HTTP codes outside 2xx; some releases send `ok`/`error` instead."""
    failed = window_total(p, "api_requests", status_code='!~"2..|ok"')
    return f"({failed} or vector(0)) / {window_total(p, 'api_requests')}"


def recording_rules(p: Profile) -> list[dict]:
    keys = tuple(BREAKDOWNS)
    derived = [level_rule(rule_name(p, k), p.metric(k), level_labels(p, k)) for k in keys]
    return [counter_group(GROUP, RULE_INTERVAL, [(p.metric(k), "") for k in keys], derived)]
