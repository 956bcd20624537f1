"""`ccdash claude-env`: the command only Claude Code needs, contributed by its pack."""

from __future__ import annotations

import click

from agents.claude_code import env as ce
from ccdash.build.config import Config
from ccdash.cli.options import profile_options


@click.command("claude-env")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["shell", "settings"]),
    default="shell",
    show_default=True,
    help='`export` lines, or the ~/.claude/settings.json form {"env": {...}}.',
)
@click.option(
    "--endpoint",
    default=ce.DEFAULT_ENDPOINT,
    show_default=True,
    help="The collector's OTLP endpoint.",
)
@click.option(
    "--protocol",
    default=ce.PROTOCOLS[0],
    show_default=True,
    help=f"OTLP protocol: {' or '.join(ce.PROTOCOLS)} (grpc on port 4317, http/protobuf on 4318).",
)
@click.option("--team", help="Team attribution (the profile's attribution label).")
@click.option("--cost-centre", help="Cost centre attribution (resource attribute cost_center).")
@click.option("--no-traces", is_flag=True, help="Metrics only: no traces, no latency panels.")
@profile_options
def claude_env(
    config: Config,
    fmt: str,
    endpoint: str,
    protocol: str,
    team: str | None,
    cost_centre: str | None,
    no_traces: bool,
) -> None:
    """Print the environment Claude Code needs to send telemetry to this pipeline."""
    from agents.claude_code import PACK
    from ccdash.build.loader import profile_for

    profile = profile_for(PACK, config)
    env = ce.environment(profile, endpoint, protocol, team, cost_centre, not no_traces)
    click.echo(ce.render_shell(env) if fmt == "shell" else ce.render_settings(env), nl=False)
