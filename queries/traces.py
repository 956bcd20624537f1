"""TraceQL for Tempo: Claude Code's traces (enhanced telemetry beta)."""

from agents.claude_code.telemetry import SERVICE_REGEX, SPAN_INTERACTION

# TraceQL cannot order by duration and Tempo's table lists the traces it
# returns (at most the panel's limit) newest first, so "slowest" must come
# from a threshold: every interaction above it, sorted by the table.
SLOW_INTERACTION = "30s"


def slowest_interactions() -> str:
    """Root spans of prompts that took longer than SLOW_INTERACTION."""
    return (
        f'{{resource.service.name=~"{SERVICE_REGEX}" && name="{SPAN_INTERACTION}" '
        f"&& duration > {SLOW_INTERACTION}}}"
    )
