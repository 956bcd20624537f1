"""The `ccdash` command line: one module per command group, this one the root.

Exit codes: 0 success; 1 a finding (stale files, failing panels); 2 usage or
configuration error; 3 a server (Prometheus, Grafana) unreachable or failing.
`doctor` grades its findings: 0 none or information only, 1 the worst is a
warning, 4 at least one error (not 2, which stays a usage or configuration
error).

Commands only one agent needs come from the telemetry packs
the project's dashboards declare, so the engine never names an agent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ccdash import __version__
from ccdash.errors import CcdashError


class Group(click.Group):
    """The engine's commands plus the packs' own; ccdash's errors as one line and an exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CcdashError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_pack_commands(ctx)})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return super().get_command(ctx, name) or _pack_commands(ctx).get(name)


def _pack_commands(ctx: click.Context) -> dict[str, click.Command]:
    from ccdash.build.loader import packs

    root = Path(ctx.params.get("project") or ".").resolve()
    try:
        return {c.name: c for pack in packs(root) for c in pack.commands if c.name}
    except CcdashError:
        # A broken dashboard module is reported by the command that builds it.
        return {}


@click.group(cls=Group)
@click.version_option(__version__, prog_name="ccdash")
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Project directory holding ccdash.yaml and dashboards/.",
)
@click.pass_context
def cli(ctx: click.Context, project: Path) -> None:
    """Grafana dashboards-as-code for AI coding agents' telemetry."""
    ctx.obj = project.resolve()


def _register() -> None:
    from ccdash.cli import build, check, sync

    for module in (build, check, sync):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def sync_dashboard() -> None:
    """The `sync-dashboard` console script: `ccdash push` under the name users know."""
    cli(["push", *sys.argv[1:]], prog_name="sync-dashboard")


def main() -> None:
    cli(prog_name="ccdash")
