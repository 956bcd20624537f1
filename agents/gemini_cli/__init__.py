"""Gemini CLI's telemetry pack: what `PACK = gemini_cli.PACK` gives a dashboard module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.gemini_cli.presence import explain_empty
from agents.gemini_cli.telemetry import Profile
from ccdash.pack import Pack


def profile(settings: Mapping[str, Any]) -> Profile:
    return Profile(**settings)


PACK = Pack(
    name="gemini_cli",
    title="Gemini CLI",
    settings={"naming": str, "attribution_label": str, "recording_rules": bool},
    profile=profile,
    explain_empty=explain_empty,
)
