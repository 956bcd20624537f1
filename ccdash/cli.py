"""The `ccdash` command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ccdash import __version__, outputs
from ccdash.config import load
from ccdash.errors import CcdashError
from ccdash.telemetry import NAMINGS, SPAN_METRICS, TOKEN_LABEL_SCHEMAS


class Group(click.Group):
    """Turns ccdash's own errors into one line on stderr and their exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CcdashError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


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
    """Claude Code monitoring as Grafana dashboards-as-code."""
    ctx.obj = project.resolve()


@cli.command()
@click.option(
    "--profile",
    "naming",
    type=click.Choice(sorted(NAMINGS)),
    help="Metric-naming pipeline (default from ccdash.yaml).",
)
@click.option(
    "--token-label",
    type=click.Choice(sorted(TOKEN_LABEL_SCHEMAS)),
    help="Token-type label schema: Claude Code's `type` or normalised `token_type`.",
)
@click.option(
    "--span-metrics",
    type=click.Choice(sorted(SPAN_METRICS)),
    help="Span metrics from Tempo's metrics-generator or the collector's connector.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 listing files in k8s/ that differ from the build.",
)
@click.pass_obj
def build(
    root: Path, naming: str | None, token_label: str | None, span_metrics: str | None, check: bool
) -> None:
    """Compile every dashboard to JSON (out/) and sidecar ConfigMaps (k8s/)."""
    from ccdash.project import compile_project

    config = load(root).with_profile(
        naming=naming, token_label_schema=token_label, span_metrics=span_metrics
    )
    dashboards = compile_project(config)
    plan = outputs.plan(dashboards, config)
    if check:
        problems = outputs.check(plan, config)
        for line in problems:
            click.echo(line)
        if problems:
            click.echo("k8s/ is out of date: run `ccdash build` and commit the result.", err=True)
            sys.exit(1)
        click.echo(f"k8s/ is up to date ({_count(dashboards, 'dashboard')}).")
        return
    changed = outputs.write(plan, config)
    for dash in dashboards:
        click.echo(f"built {dash.uid} ({dash.source})")
    click.echo(f"{_count(dashboards, 'dashboard')}, {_count(changed, 'file')} changed.")


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def main() -> None:
    cli(prog_name="ccdash")
