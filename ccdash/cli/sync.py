"""`ccdash push`, `pull`, `diff` and `status`: the code's dashboards against a live Grafana."""

from __future__ import annotations

import functools
import os
import sys
from itertools import groupby

import click

from ccdash.build.config import Config
from ccdash.build.project import compile_project
from ccdash.cli.options import dashboard_option, profile_options, progress, schema_option
from ccdash.errors import ConfigError


def grafana_options(command):
    """--instance / --url, --ca-cert, --insecure: build the Grafana client (credentials: env).

    The command receives `folder`: the instance's folder, which overrides
    each dashboard's own, or None.
    """

    @click.option("--instance", help="A Grafana instance named in ccdash.yaml (grafana.instances).")
    @click.option(
        "--url",
        help="Grafana URL for one-off use (or GRAFANA_URL / GRAFANA_SERVER). "
        "Credentials: GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD.",
    )
    @click.option(
        "--ca-cert",
        type=click.Path(exists=True, dir_okay=False),
        help="CA bundle for a Grafana behind a private CA.",
    )
    @click.option("--insecure", is_flag=True, help="Do not verify TLS certificates.")
    @click.option(
        "--timeout",
        type=click.FloatRange(min=0.1),
        default=30,
        show_default=True,
        help="Seconds to wait for each Grafana answer.",
    )
    @click.option(
        "--api",
        type=click.Choice(["auto", "classic", "resource"]),
        default="auto",
        show_default=True,
        help="Grafana's dashboard API: the resource API (/apis/dashboard.grafana.app, "
        "Grafana 12+) when the server offers it, else the classic /api; or force one.",
    )
    @functools.wraps(command)
    def wrapper(config: Config, instance, url, ca_cert, insecure, timeout, api, **kwargs):
        from ccdash.sync.client import session_from_env, url_from_env
        from ccdash.sync.resource import connect

        folder, org, schema = None, None, config.schema
        if instance:
            if instance not in config.instances:
                known = ", ".join(sorted(config.instances)) or "none"
                raise ConfigError(
                    f"no Grafana instance {instance!r} in ccdash.yaml (known: {known})"
                )
            chosen = config.instances[instance]
            url, folder, org = url or chosen.url, chosen.folder or None, chosen.org
            schema = chosen.schema or schema
        if insecure:
            click.echo("warning: TLS certificate verification is off (--insecure)", err=True)
        verify: bool | str = False if insecure else (ca_cert or True)
        session = session_from_env(os.environ, verify)
        if org is not None:
            session.headers["X-Grafana-Org-Id"] = str(org)
        client = connect(url_from_env(url), session, timeout, api, org, schema)
        return command(config, client=client, folder=folder, **kwargs)

    return wrapper


@click.command()
@dashboard_option
@click.option("--dry-run", is_flag=True, help="Print the plan and diffs; write nothing.")
@click.option("--force", is_flag=True, help="Overwrite dashboards edited in Grafana.")
@click.option("--adopt", is_flag=True, help="Take over dashboards ccdash does not manage.")
@click.option(
    "--prune", is_flag=True, help="Delete dashboards ccdash manages that no longer exist in code."
)
@click.option("--yes", is_flag=True, help="Do not ask before pruning.")
@profile_options
@schema_option
@grafana_options
def push(
    config: Config,
    client,
    folder: str | None,
    uid: str | None,
    dry_run: bool,
    force: bool,
    adopt: bool,
    prune: bool,
    yes: bool,
) -> None:
    """Upload the dashboards that differ from Grafana, never an edit made there without --force.

    Exits 0 when all is in sync, 1 on conflicts or refusals, 3 when Grafana failed.
    """
    from ccdash.sync.plan import CONFLICT, REFUSE, UNCHANGED
    from ccdash.sync.push import orphans
    from ccdash.sync.push import push as run

    dashboards = compile_project(config, uid).dashboards
    results = []
    for target, group in groupby(
        sorted(dashboards, key=lambda d: folder or d.folder), key=lambda d: folder or d.folder
    ):
        models = [client.document(d.model) for d in group]
        shown = progress("pushing") if len(models) > 3 else lambda x: x
        results += run(
            client, models, target, dry_run=dry_run, force=force, adopt=adopt, progress=shown
        )
    for r in results:
        if r.action.kind == UNCHANGED:
            state = "-"
        else:
            state = (
                "failed"
                if r.error
                else ("done" if r.done else ("planned" if dry_run else "not written"))
            )
        click.echo(f"{r.action.kind:9} {state:11} {r.action.uid:30} {r.error or r.action.reason}")
        if r.action.diff and (dry_run or r.action.kind == CONFLICT):
            for line in r.action.diff[:200]:
                click.echo(f"    {line}")
    counts = {
        k: sum(r.action.kind == k for r in results)
        for k in ("create", "update", "unchanged", "conflict", "refuse")
    }
    click.echo(
        "summary: "
        + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        + f"; {sum(r.done for r in results)} written, "
        + f"{sum(bool(r.error) for r in results)} failed"
    )
    if prune and uid is None:
        gone = orphans(client, [d.uid for d in dashboards])
        for hit in gone:
            click.echo(
                f"prune     {'planned' if dry_run else '':11} {hit['uid']:30} "
                "managed by ccdash, no longer in code"
            )
        if gone and not dry_run and (yes or click.confirm(f"delete {len(gone)} dashboards?")):
            for hit in gone:
                client.delete_dashboard(hit["uid"])
    if any(r.error for r in results):
        sys.exit(3)
    if any(r.action.kind in (CONFLICT, REFUSE) for r in results):
        sys.exit(1)


@click.command()
@dashboard_option
@profile_options
@schema_option
@grafana_options
def pull(config: Config, client, folder: str | None, uid: str | None) -> None:
    """Fetch the live dashboards ccdash manages into out/pulled/, with ConfigMaps and drift.

    The pulled JSON is normalised like `build` output, so `diff out/dashboards
    out/pulled` shows exactly what was changed in Grafana; port it to the code.
    """
    _report_drift(config, client, folder, uid, write=True)


@click.command()
@dashboard_option
@profile_options
@schema_option
@grafana_options
def diff(config: Config, client, folder: str | None, uid: str | None) -> None:
    """Report drift between Grafana and the code; exit 1 when anything drifted."""
    _report_drift(config, client, folder, uid, write=False)


def _report_drift(config: Config, client, folder: str | None, uid: str | None, write: bool) -> None:
    from ccdash.sync.drift import drift
    from ccdash.sync.pull import write_pulled

    out = config.root / "out" / "pulled"
    drifted = False
    for desired in compile_project(config, uid).dashboards:
        live = client.get_dashboard(desired.uid)
        if live is None:
            click.echo(f"{desired.uid}: not in Grafana")
            drifted = True
            continue
        if live["meta"].get("unreadable"):  # never "in sync" for what ccdash cannot read
            click.echo(f"{desired.uid}: {live['meta']['unreadable']}")
            drifted = True
            continue
        if write:
            write_pulled(out, live["dashboard"], folder or desired.folder, config.kubernetes)
        lines = drift(live["dashboard"], client.document(desired.model))
        drifted |= bool(lines)
        click.echo(f"{desired.uid}: " + ("in sync" if not lines else f"{len(lines)} differences"))
        for line in lines:
            click.echo(f"    {line}")
    if write:
        click.echo(f"pulled into {out}")
    sys.exit(1 if drifted else 0)


@click.command()
@dashboard_option
@profile_options
@schema_option
@grafana_options
def status(config: Config, client, folder: str | None, uid: str | None) -> None:
    """Per dashboard: live version, updated by/at, folder, managed by ccdash, provisioned."""
    from ccdash.sync.plan import owned

    click.echo(
        f"{'uid':30} {'version':>7}  {'updated by':12} {'updated':20} {'folder':20} "
        "managed provisioned"
    )
    for desired in compile_project(config, uid).dashboards:
        live = client.get_dashboard(desired.uid)
        if live is None:
            click.echo(f"{desired.uid:30} {'-':>7}  (not in Grafana)")
            continue
        meta = live["meta"]
        if meta.get("unreadable"):
            click.echo(f"{desired.uid:30} {'?':>7}  ({meta['unreadable']})")
            continue
        click.echo(
            f"{desired.uid:30} {meta.get('version', '?'):>7}  "
            f"{meta.get('updatedBy', '')!s:12} {meta.get('updated', '')!s:20} "
            f"{meta.get('folderTitle', '')!s:20} "
            f"{'yes' if owned(live) else 'no':7} "
            f"{'yes' if meta.get('provisioned') else 'no'}"
        )


COMMANDS = (push, pull, diff, status)
