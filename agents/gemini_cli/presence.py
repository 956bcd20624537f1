"""Why a Gemini CLI dashboard reads nothing: no data, another naming, or rules not loaded."""

from __future__ import annotations

from agents.gemini_cli.telemetry import NAMINGS, Profile
from ccdash.build.rules import rules_file
from ccdash.check.interpolate import format_duration
from ccdash.pack import DoctorRequest


def explain_empty(request: DoctorRequest) -> list[str]:
    """`cause: fix` lines for `ccdash verify`, from what this Prometheus holds."""
    profile: Profile = request.profile
    window = format_duration(max(round(request.range_s), 1))

    def present(names: list[str]) -> bool:
        regex = "|".join(names)
        result = request.client.query(
            f'count(last_over_time({{__name__=~"{regex}"}}[{window}]))', request.time
        )
        return bool(result.series)

    if not present(["gemini_cli_.+"]):
        return [
            "no Gemini CLI metrics in this Prometheus: enable its telemetry "
            '(settings.json "telemetry": {"enabled": true, "otlpEndpoint": <the collector>}) '
            "and check that the collector's prometheus exporter is scraped"
        ]
    if not present(list(profile.names.values())):
        others = [n for n, names in NAMINGS.items() if present(list(names.values()))]
        return [
            f"the dashboard reads the '{profile.naming}' naming but this Prometheus has "
            f"{', '.join(repr(n) for n in others) or 'another one'}: rebuild with "
            f"`ccdash build --profile {others[0] if others else '<naming>'}`"
        ]
    hints = []
    if profile.recording_rules and not present(["ccdash:gemini_cli_.+"]):
        hints.append(
            "ccdash's recording rules are not loaded (panels read the raw counters): load "
            f"rules/{rules_file(request.model['uid'])} into Prometheus or Mimir's ruler"
        )
    return hints
