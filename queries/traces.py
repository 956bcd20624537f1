"""TraceQL for Tempo: Claude Code's traces (enhanced telemetry beta)."""

from agents.claude_code.telemetry import SERVICE_REGEX, SPAN_INTERACTION


def slowest_interactions() -> str:
    """Root spans of each prompt; the table sorts them by duration."""
    return f'{{resource.service.name=~"{SERVICE_REGEX}" && name="{SPAN_INTERACTION}"}}'
