"""`ccdash build`: the dashboards as JSON, sidecar ConfigMaps and recording rules."""

from __future__ import annotations

import sys

import click

from ccdash.build import outputs
from ccdash.build.config import Config
from ccdash.build.k8s import flattened_folder
from ccdash.cli.options import count, profile_options, schema_option


@click.command()
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 listing generated files that differ from the build.",
)
@profile_options
@schema_option
def build(config: Config, check: bool) -> None:
    """Compile every dashboard to JSON (out/), sidecar ConfigMaps (k8s/) and rules (rules/)."""
    from ccdash.build.project import compile_project

    project = compile_project(config)
    dashboards = project.dashboards
    for folder in sorted({d.folder for d in dashboards}):
        if leaf := flattened_folder(folder):
            click.echo(
                f"warning: folder {folder!r}: the sidecar's ConfigMaps land in a root folder "
                f"{leaf!r} (file provisioning keeps only the last path element); "
                "`ccdash push` nests it",
                err=True,
            )
    if config.kubernetes.schema == "v2":
        click.echo(
            "warning: kubernetes.schema v2: the ConfigMaps carry v2 resources, which only a "
            "Grafana whose file provisioning loads them can read (added late 2025, "
            "grafana/grafana#113620; 13.0.1 still rejected them, #127928); `ccdash push` is "
            "the sure way to a v2 dashboard",
            err=True,
        )
    plan = outputs.plan(project, config)
    if check:
        problems = outputs.check(plan, config)
        for line in problems:
            click.echo(line)
        if problems:
            click.echo(
                "generated files are out of date: run `ccdash build` and commit the result.",
                err=True,
            )
            sys.exit(1)
        click.echo(f"generated files are up to date ({count(dashboards, 'dashboard')}).")
        return
    changed = outputs.write(plan, config)
    for dash in dashboards:
        click.echo(f"built {dash.uid} ({dash.source})")
    click.echo(f"{count(dashboards, 'dashboard')}, {count(changed, 'file')} changed.")


COMMANDS = (build,)
