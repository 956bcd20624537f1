"""Claude Code's telemetry pack: what `PACK = claude_code.PACK` gives a dashboard module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.claude_code.commands import claude_env
from agents.claude_code.doctor import doctor, explain_empty
from agents.claude_code.telemetry import Profile
from ccdash.pack import Pack

# ccdash.yaml `profiles.claude_code` keys -> Profile fields.
_FIELDS = {
    "naming": "naming",
    "token_label": "token_label_schema",
    "span_metrics": "span_metrics",
    "attribution_label": "attribution_label",
    "recording_rules": "recording_rules",
}


def profile(settings: Mapping[str, Any]) -> Profile:
    return Profile(**{_FIELDS[key]: value for key, value in settings.items()})


PACK = Pack(
    name="claude_code",
    title="Claude Code",
    settings={
        "naming": str,
        "token_label": str,
        "span_metrics": str,
        "attribution_label": str,
        "recording_rules": bool,
    },
    profile=profile,
    diagnose=doctor,
    explain_empty=explain_empty,
    commands=(claude_env,),
)
