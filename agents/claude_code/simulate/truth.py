"""What the dashboard should show, computed from the simulated events, not from the series.

"In the range" follows what Prometheus can know: an export counts when
Prometheus first holds its value (the first scrape after it, or after an
outage holding that scrape) inside
(time - range, time]; its amount is what the process accumulated since its
previous export. A session or user counts when it has such an export that
carries activity (its session start or active time grew). A span counts when
Tempo's first collection after it ends falls in the range.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from agents.claude_code.simulate.exposition import exports, first_collection_after, first_held_after
from agents.claude_code.simulate.fleet import Fleet, Span
from agents.claude_code.telemetry import (
    ABSENT_MEANS,
    ATTRIBUTION_LABELS,
    SPAN_BLOCKED_ON_USER,
    SPAN_LLM_REQUEST,
    SPAN_TOOL,
    Profile,
)

ACTIVITY_KEYS = ("session", "active_time")
QUANTILES = (0.5, 0.95, 0.99)


@dataclass
class _Session:
    user: str
    cost: float = 0.0
    tokens: float = 0.0
    cache_read: float = 0.0
    prompt: float = 0.0
    models: set[str] = field(default_factory=set)
    # Requests of subagents (those with an agent_name).
    subagent_cost: float = 0.0
    subagent_cache_read: float = 0.0
    subagent_prompt: float = 0.0
    agent_cost: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def invisible_resets(fleet: Fleet) -> dict[tuple[int, float, tuple], float]:
    """Amounts no counter query can see: (process id, export time, stream) -> amount.

    When a resumed process writes the same series and its first export is not
    below the old process's last value, the counter never appears to reset,
    and the old process's last value is lost to `increase()`, to ccdash's
    rules and to any other PromQL. This looks at the series on purpose: it
    describes what Prometheus holds.
    """
    lost = {}
    for series in exports(fleet, Profile()).values():
        for before, after in itertools.pairwise(series):
            if after.process is not before.process and after.value >= before.value:
                lost[(id(after.process), after.time, after.stream)] = before.value
    return lost


def _counted_exports(fleet: Fleet, time: float, range_s: float, team: str | None, visible: bool):
    """(process, {stream: amount}, streams new in it) for each export seen inside the window."""
    lo = time - range_s
    lost = invisible_resets(fleet) if visible else {}
    for process in fleet.processes:
        if team is not None and process.user.team != team:
            continue
        gaps = fleet.scenario.outage_spans
        increments = process.increments
        i = 0
        seen: set = set()
        for export in process.export_times():
            amounts: dict[tuple[str, tuple], float] = defaultdict(float)
            while i < len(increments) and increments[i][0] <= export:
                _, key, extra, amount = increments[i]
                amounts[(key, extra)] += amount
                i += 1
            new_streams = set(amounts) - seen
            seen |= set(amounts)
            for stream in amounts:
                amounts[stream] -= lost.get((id(process), export, stream), 0)
            if lo < first_held_after(export, gaps) <= time:
                yield process, amounts, new_streams


def figures(
    fleet: Fleet, time: float, range_s: float, team: str | None = None, visible: bool = False
) -> dict[str, Any]:
    """Every headline figure for one evaluation time and range (optionally one team's).

    `visible` leaves out what invisible counter resets hide (see
    `invisible_resets`): the most any PromQL formulation can read.
    """
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    sessions: dict[str, _Session] = {}
    active_sessions: set[str] = set()
    active_users: set[str] = set()
    started: dict[str, set[str]] = defaultdict(set)
    by_driver: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for process, amounts, new_streams in _counted_exports(fleet, time, range_s, team, visible):
        sid, uid = process.session_id, process.user.id
        session = sessions.setdefault(sid, _Session(user=uid))
        for (key, extra), amount in amounts.items():
            labels = dict(extra)
            if key in ACTIVITY_KEYS and (amount > 0 or (key, extra) in new_streams):
                active_sessions.add(sid)
                active_users.add(uid)
            if key == "session" and amount > 0:
                started[labels["start_type"]].add(sid)
            agent = labels.get("agent_name", "")
            if key in ("cost", "tokens"):
                for label in ATTRIBUTION_LABELS:
                    shown = labels.get(label) or ABSENT_MEANS[label]
                    totals[f"{key}_by_{label}"][shown] += amount
            if key == "cost":
                totals["cost"]["total"] += amount
                totals["cost_by_model"][labels["model"]] += amount
                totals["cost_by_query_source"][labels["query_source"]] += amount
                totals["cost_by_user"][uid] += amount
                session.cost += amount
                session.models.add(labels["model"])
                if agent:
                    session.subagent_cost += amount
                    session.agent_cost[agent] += amount
            elif key == "tokens":
                kind = labels["type"]
                totals["tokens"]["total"] += amount
                totals["tokens_by_type"][kind] += amount
                totals["tokens_by_model"][labels["model"]] += amount
                session.tokens += amount
                prompt_part = kind != "output"
                read_part = kind == "cacheRead"
                session.prompt += amount * prompt_part
                session.cache_read += amount * read_part
                if agent:
                    session.subagent_prompt += amount * prompt_part
                    session.subagent_cache_read += amount * read_part
                for label in ("agent_name", "mcp_server_name"):
                    shown = labels.get(label) or ABSENT_MEANS[label]
                    by_driver[f"{label}/prompt"][shown] += amount * prompt_part
                    by_driver[f"{label}/cache_read"][shown] += amount * read_part
            elif key == "active_time":
                totals["active_hours_by_type"][labels["type"]] += amount / 3600
            elif key == "lines":
                totals["lines_by_type"][labels["type"]] += amount
            elif key == "edit_decisions":
                totals["edit_decisions"][f"{labels['tool_name']}/{labels['decision']}"] += amount
            elif key in ("commits", "pull_requests"):
                totals[key]["total"] += amount
    by_type = totals["tokens_by_type"]
    prompt = by_type["input"] + by_type["cacheRead"] + by_type["cacheCreation"]
    result: dict[str, Any] = {
        "time": time,
        "range_s": range_s,
        "notional_cost_usd": totals["cost"]["total"],
        "total_tokens": totals["tokens"]["total"],
        "sessions": len(active_sessions),
        "active_users": len(active_users),
        "cache_hit_ratio": by_type["cacheRead"] / prompt if prompt else None,
        "commits": totals["commits"]["total"],
        "pull_requests": totals["pull_requests"]["total"],
        "sessions_by_start_type": {k: len(v) for k, v in sorted(started.items())},
        "per_session": {
            sid: {
                "user_id": s.user,
                "models": sorted(s.models),
                "notional_cost_usd": s.cost,
                "tokens": s.tokens,
                "cache_hit_ratio": s.cache_read / s.prompt if s.prompt else None,
                "cache_read_tokens": s.cache_read,
                "prompt_tokens": s.prompt,
                "subagent_cost_usd": s.subagent_cost,
                "subagent_prompt_tokens": s.subagent_prompt,
                "subagent_cache_hit_ratio": (
                    s.subagent_cache_read / s.subagent_prompt if s.subagent_prompt else None
                ),
                "agent_cost_usd": dict(sorted(s.agent_cost.items())),
            }
            for sid, s in sorted(sessions.items())
            if s.tokens or s.cost
        },
    }
    for name in (
        "cost_by_model",
        "cost_by_query_source",
        "cost_by_user",
        "tokens_by_type",
        "tokens_by_model",
        "active_hours_by_type",
        "lines_by_type",
        "edit_decisions",
        *(f"{key}_by_{label}" for key in ("cost", "tokens") for label in ATTRIBUTION_LABELS),
    ):
        result[name] = dict(sorted(totals[name].items()))
    for label in ("agent_name", "mcp_server_name"):
        read, prompt = by_driver[f"{label}/cache_read"], by_driver[f"{label}/prompt"]
        result[f"cache_hit_ratio_by_{label}"] = {
            k: read[k] / v for k, v in sorted(prompt.items()) if v
        }
    if team is None:
        result["spans"] = _span_figures(fleet.spans, time, range_s)
    return result


def _span_figures(spans: list[Span], time: float, range_s: float) -> dict[str, Any]:
    lo = time - range_s
    groups: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        if lo < first_collection_after(span.end) <= time:
            groups[span.name].append(span)
            if span.name == SPAN_LLM_REQUEST:
                groups[f"{span.name}/{span.model}"].append(span)
            if span.name == SPAN_TOOL:
                groups[f"{span.name}/{span.tool_name}"].append(span)
    result = {}
    for name, members in sorted(groups.items()):
        durations = sorted(s.duration for s in members)
        errors = sum(s.error for s in members)
        result[name] = {
            "count": len(members),
            "errors": errors,
            "error_rate": errors / len(members),
            **{f"p{round(q * 100)}": _quantile(durations, q) for q in QUANTILES},
        }
    return result


def _quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile of sorted values."""
    return values[max(0, math.ceil(q * len(values)) - 1)]


def truth(fleet: Fleet) -> dict[str, Any]:
    """The truth file: the scenario, and the figures for each of its evaluation windows."""
    sc = fleet.scenario
    return {
        "scenario": sc.name,
        "description": sc.description,
        "knowable": sc.include_session_id,
        "metric_expiration_s": sc.metric_expiration,
        "windows": [figures(fleet, t, r) for t, r in sc.evaluation_windows()],
        "span_names": [SPAN_LLM_REQUEST, SPAN_TOOL, SPAN_BLOCKED_ON_USER],
    }
