"""The `ccdash` command line.

Exit codes: 0 success; 1 a finding (stale files, failing panels); 2 usage or
configuration error; 3 a server (Prometheus) unreachable or failing. `doctor`
grades its findings: 0 none or information only, 1 the worst is a warning, 4
at least one error (not 2, which stays a usage or configuration error).
"""

from __future__ import annotations

import functools
import json
import sys
import time as clock
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ccdash import __version__, outputs
from ccdash.claude_env import DEFAULT_ENDPOINT, PROTOCOLS
from ccdash.config import Config, load
from ccdash.errors import CcdashError, ConfigError
from ccdash.telemetry import NAMINGS, SPAN_METRICS, TOKEN_LABEL_SCHEMAS

if TYPE_CHECKING:
    from ccdash.promapi import PrometheusClient


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


def profile_options(command):
    """--profile, --token-label, --span-metrics, --raw: override ccdash.yaml's profile."""

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
        "--raw/--recording-rules",
        "raw",
        default=None,
        help="Read raw counters instead of ccdash's recording rules (default from ccdash.yaml).",
    )
    @click.pass_obj
    @functools.wraps(command)
    def wrapper(root: Path, naming, token_label, span_metrics, raw, **kwargs):
        config = load(root).with_profile(
            naming=naming,
            token_label_schema=token_label,
            span_metrics=span_metrics,
            recording_rules=None if raw is None else not raw,
        )
        return command(config, **kwargs)

    return wrapper


def prometheus_options(command):
    """--prometheus, --range, --at: the Prometheus client and the evaluated window.

    `verify` and `doctor` read the same Prometheus the same way, so they share
    the option names, their parsing and the one-line errors of bad values.
    """

    @click.option(
        "--prometheus",
        "url",
        required=True,
        envvar="PROMETHEUS_URL",
        help="Prometheus base URL (or PROMETHEUS_URL). Credentials: PROMETHEUS_TOKEN, or "
        "PROMETHEUS_USER and PROMETHEUS_PASSWORD.",
    )
    @click.option(
        "--range",
        "range_",
        default="7d",
        show_default=True,
        help="Time range to evaluate, ending at --at.",
    )
    @click.option(
        "--at",
        "--time",
        "at",
        default="now",
        show_default=True,
        help="Evaluation time, the end of the range: now, a Unix timestamp or an ISO 8601 time.",
    )
    @functools.wraps(command)
    def wrapper(config: Config, url: str, range_: str, at: str, **kwargs):
        from ccdash.promapi import PrometheusClient
        from ccdash.promql import parse_duration

        try:
            range_s = parse_duration(range_)
        except ValueError as exc:
            raise ConfigError(f"--range: {exc}") from None
        when = _parse_time(at, "--at")
        return command(config, client=PrometheusClient(url), range_s=range_s, when=when, **kwargs)

    return wrapper


@cli.command()
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 listing generated files that differ from the build.",
)
@profile_options
def build(config: Config, check: bool) -> None:
    """Compile every dashboard to JSON (out/), sidecar ConfigMaps (k8s/) and rules (rules/)."""
    from ccdash.project import compile_project

    project = compile_project(config)
    dashboards = project.dashboards
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
        click.echo(f"generated files are up to date ({_count(dashboards, 'dashboard')}).")
        return
    changed = outputs.write(plan, config)
    for dash in dashboards:
        click.echo(f"built {dash.uid} ({dash.source})")
    click.echo(f"{_count(dashboards, 'dashboard')}, {_count(changed, 'file')} changed.")


@cli.command()
@click.argument("scenario", required=False)
@click.option("--list", "list_", is_flag=True, help="List the scenarios and exit.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory [default: out/simulate/SCENARIO].",
)
@click.option(
    "--serve",
    is_flag=True,
    help="Also load the data (and recording rules) into a local Prometheus and "
    "keep it running until interrupted.",
)
@profile_options
def simulate(
    config: Config, scenario: str | None, list_: bool, out: Path | None, serve: bool
) -> None:
    """Generate a Claude Code fleet's telemetry (OpenMetrics) and its ground truth (JSON)."""
    from ccdash.simulate import exposition, fleet, scenarios, truth

    if list_ or not scenario:
        for sc in scenarios.SCENARIOS.values():
            click.echo(f"{sc.name:15} {sc.description}")
        click.echo("\nReference fleets for `make bench` (minutes to load):")
        for sc in scenarios.FLEETS.values():
            click.echo(f"{sc.name:22} {sc.description}")
        click.echo("\nPipeline faults, for `ccdash doctor` (their figures are wrong on purpose):")
        for sc in scenarios.FAULTS.values():
            click.echo(f"{sc.name:22} {sc.description}")
        click.echo("\nHealthy fleets the doctor must find nothing wrong with:")
        for sc in scenarios.HEALTHY.values():
            click.echo(f"{sc.name:22} {sc.description}")
        return
    try:
        chosen = scenarios.get(scenario)
    except KeyError as exc:
        raise ConfigError(str(exc.args[0])) from None
    out = out or config.root / "out" / "simulate" / chosen.name
    simulated = fleet.generate(chosen)
    files, samples = exposition.write_openmetrics(simulated, config.profile, out / "openmetrics")
    outputs.write_atomic(
        out / "truth.json", json.dumps(truth.truth(simulated), indent=2, sort_keys=True) + "\n"
    )
    click.echo(
        f"{chosen.name}: {len(simulated.processes)} processes, {samples} samples in "
        f"{len(files)} OpenMetrics files under {out / 'openmetrics'}; truth in "
        f"{out / 'truth.json'}"
    )
    click.echo(
        "load with: for f in openmetrics/*.om; do promtool tsdb create-blocks-from "
        "openmetrics $f data/; done"
    )
    if serve:
        _serve(config, chosen, out)


def _serve(config: Config, scenario, out: Path) -> None:
    from ccdash.harness import LocalPrometheus
    from ccdash.project import compile_project
    from ccdash.simulate.load import load as load_scenario

    rules = compile_project(config).rule_groups
    loaded = load_scenario(scenario, config.profile, rules, out / "prometheus")
    click.echo(f"loaded {loaded.samples} samples in {loaded.seconds_to_load:.1f} s")
    with LocalPrometheus(loaded.tsdb) as prom:
        click.echo(
            f"Prometheus with {scenario.name} at {prom.url} (data "
            f"{datetime.fromtimestamp(scenario.start).isoformat()} to "
            f"{datetime.fromtimestamp(scenario.end).isoformat()}); Ctrl-C to stop"
        )
        try:
            while True:
                clock.sleep(3600)
        except KeyboardInterrupt:
            pass


@cli.command()
@click.option("--dashboard", "uid", help="Only this dashboard uid.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@profile_options
@prometheus_options
def verify(
    config: Config, client: PrometheusClient, range_s: float, when: float, uid: str | None, fmt: str
) -> None:
    """Evaluate every panel against a Prometheus: OK, no data, or the query that failed.

    Exits 1 when a panel fails or empty panels have a diagnosed cause.
    """
    from ccdash.project import compile_project
    from ccdash.verify import verify as run

    dashboards = [d for d in compile_project(config).dashboards if uid in (None, d.uid)]
    if not dashboards:
        raise ConfigError(f"no dashboard with uid {uid!r}")
    reports = []
    for dash in dashboards:
        progress = _progress(f"verifying {dash.uid}")
        reports.append(run(dash.model, client, config.profile, when, range_s, progress))
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "dashboard": r.dashboard,
                        "hints": r.hints,
                        "panels": [vars(p) for p in r.panels],
                    }
                    for r in reports
                ],
                indent=2,
            )
        )
    else:
        for report in reports:
            _print_report(report)
    # Empty panels alone can be legitimate (no commits this week); empty panels
    # with a diagnosed cause (wrong profile, missing rules) are a finding.
    sys.exit(1 if any(r.errors or r.hints for r in reports) else 0)


def _print_report(report) -> None:
    click.echo(
        f"{report.dashboard}: {len(report.panels) - report.empty - report.errors} OK, "
        f"{report.empty} no data, {report.errors} failing"
    )
    for p in report.panels:
        mark = {"ok": "OK     ", "no data": "NO DATA", "error": "ERROR  "}[p.status]
        click.echo(f"  {mark} {p.title}")
        if p.error:
            click.echo(f"          {p.error}")
            click.echo(f"          query: {p.failed_query}")
    for hint in report.hints:
        click.echo(f"  hint: {hint}")


@cli.command()
@click.option(
    "--tempo-metrics",
    is_flag=True,
    help="Span metrics are expected: their absence or missing dimensions are errors.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@profile_options
@prometheus_options
def doctor(
    config: Config,
    client: PrometheusClient,
    range_s: float,
    when: float,
    tempo_metrics: bool,
    fmt: str,
) -> None:
    """Diagnose the Claude Code telemetry pipeline behind a Prometheus: evidence and fixes.

    The range is the lookback; series-shape checks read at most its last day.
    Exit codes: 0 nothing or only information, 1 a warning at worst, 4 an
    error, 2 a bad option, 3 Prometheus unreachable or answering something
    that is not its API.
    """
    from ccdash.doctor import diagnose
    from ccdash.doctor.render import as_json, text
    from ccdash.project import compile_project

    project = compile_project(config)
    flagship = [d for d in project.dashboards if d.uid == "claude-code"]
    if not flagship:
        raise ConfigError("the doctor maps findings to the claude-code dashboard; none was built")
    rules = project.rule_groups if config.profile.recording_rules else []
    report = diagnose(
        client, flagship[0].model, config.profile, when, range_s, tempo_metrics, rules
    )
    click.echo(as_json(report) if fmt == "json" else text(report))
    sys.exit(report.exit_code)


def grafana_options(command):
    """--instance / --url, --ca-cert, --insecure: build the Grafana client (credentials: env)."""

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
    @functools.wraps(command)
    def wrapper(config: Config, instance, url, ca_cert, insecure, timeout, **kwargs):
        import os

        from ccdash.grafana.client import GrafanaClient, session_from_env, url_from_env

        folder, org = config.folder, None
        if instance:
            if instance not in config.instances:
                known = ", ".join(sorted(config.instances)) or "none"
                raise ConfigError(
                    f"no Grafana instance {instance!r} in ccdash.yaml (known: {known})"
                )
            chosen = config.instances[instance]
            url, folder, org = url or chosen.url, chosen.folder or folder, chosen.org
        if insecure:
            click.echo("warning: TLS certificate verification is off (--insecure)", err=True)
        verify: bool | str = False if insecure else (ca_cert or True)
        session = session_from_env(os.environ, verify)
        if org is not None:
            session.headers["X-Grafana-Org-Id"] = str(org)
        client = GrafanaClient(url_from_env(url), session, timeout)
        return command(config, client=client, folder=folder, **kwargs)

    return wrapper


def _managed(config: Config, uid: str | None) -> list[dict]:
    from ccdash.project import compile_project

    dashboards = [d.model for d in compile_project(config).dashboards if uid in (None, d.uid)]
    if not dashboards:
        raise ConfigError(f"no dashboard with uid {uid!r}")
    return dashboards


@cli.command()
@click.option("--dashboard", "uid", help="Only this dashboard uid.")
@click.option("--dry-run", is_flag=True, help="Print the plan and diffs; write nothing.")
@click.option("--force", is_flag=True, help="Overwrite dashboards edited in Grafana.")
@click.option("--adopt", is_flag=True, help="Take over dashboards ccdash does not manage.")
@click.option(
    "--prune", is_flag=True, help="Delete dashboards ccdash manages that no longer exist in code."
)
@click.option("--yes", is_flag=True, help="Do not ask before pruning.")
@profile_options
@grafana_options
def push(
    config: Config,
    client,
    folder: str,
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
    from ccdash.grafana.plan import CONFLICT, REFUSE, UNCHANGED
    from ccdash.grafana.push import orphans
    from ccdash.grafana.push import push as run

    dashboards = _managed(config, uid)
    results = run(
        client,
        dashboards,
        folder,
        dry_run=dry_run,
        force=force,
        adopt=adopt,
        progress=_progress("pushing") if len(dashboards) > 3 else lambda x: x,
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
        gone = orphans(client, [d["uid"] for d in dashboards])
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


@cli.command()
@click.option("--dashboard", "uid", help="Only this dashboard uid.")
@profile_options
@grafana_options
def pull(config: Config, client, folder: str, uid: str | None) -> None:
    """Fetch the live dashboards ccdash manages into out/pulled/, with ConfigMaps and drift.

    The pulled JSON is normalised like `build` output, so `diff out/dashboards
    out/pulled` shows exactly what was changed in Grafana; port it to the code.
    """
    _report_drift(config, client, folder, uid, write=True)


@cli.command()
@click.option("--dashboard", "uid", help="Only this dashboard uid.")
@profile_options
@grafana_options
def diff(config: Config, client, folder: str, uid: str | None) -> None:
    """Report drift between Grafana and the code; exit 1 when anything drifted."""
    _report_drift(config, client, folder, uid, write=False)


def _report_drift(config: Config, client, folder: str, uid: str | None, write: bool) -> None:
    from ccdash.compile import CompiledDashboard, render_json
    from ccdash.grafana.drift import drift
    from ccdash.grafana.normalize import normalise
    from ccdash.k8s import configmap_name, render_configmap

    drifted = False
    for desired in _managed(config, uid):
        live = client.get_dashboard(desired["uid"])
        if live is None:
            click.echo(f"{desired['uid']}: not in Grafana")
            drifted = True
            continue
        pulled = normalise(live["dashboard"])
        if write:
            out = config.root / "out" / "pulled"
            outputs.write_atomic(out / f"{desired['uid']}.json", render_json(pulled))
            dash = CompiledDashboard(Path(f"grafana:{desired['uid']}"), pulled)
            outputs.write_atomic(
                out / "k8s" / f"{configmap_name(dash.uid)}.yaml",
                render_configmap(dash, folder, config.kubernetes),
            )
        lines = drift(live["dashboard"], desired)
        drifted |= bool(lines)
        click.echo(
            f"{desired['uid']}: " + ("in sync" if not lines else f"{len(lines)} differences")
        )
        for line in lines:
            click.echo(f"    {line}")
    if write:
        click.echo(f"pulled into {config.root / 'out' / 'pulled'}")
    sys.exit(1 if drifted else 0)


@cli.command()
@click.option("--dashboard", "uid", help="Only this dashboard uid.")
@profile_options
@grafana_options
def status(config: Config, client, folder: str, uid: str | None) -> None:
    """Per dashboard: live version, updated by/at, folder, managed by ccdash, provisioned."""
    from ccdash.grafana.plan import owned

    click.echo(
        f"{'uid':30} {'version':>7}  {'updated by':12} {'updated':20} {'folder':20} "
        "managed provisioned"
    )
    for desired in _managed(config, uid):
        live = client.get_dashboard(desired["uid"])
        if live is None:
            click.echo(f"{desired['uid']:30} {'-':>7}  (not in Grafana)")
            continue
        meta = live["meta"]
        click.echo(
            f"{desired['uid']:30} {meta.get('version', '?'):>7}  "
            f"{meta.get('updatedBy', '')!s:12} {meta.get('updated', '')!s:20} "
            f"{meta.get('folderTitle', '')!s:20} "
            f"{'yes' if owned(live) else 'no':7} "
            f"{'yes' if meta.get('provisioned') else 'no'}"
        )


@cli.command("claude-env")
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
    default=DEFAULT_ENDPOINT,
    show_default=True,
    help="The collector's OTLP endpoint.",
)
@click.option(
    "--protocol",
    default=PROTOCOLS[0],
    show_default=True,
    help=f"OTLP protocol: {' or '.join(PROTOCOLS)} (grpc on port 4317, http/protobuf on 4318).",
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
    from ccdash import claude_env as ce

    env = ce.environment(config.profile, endpoint, protocol, team, cost_centre, not no_traces)
    click.echo(ce.render_shell(env) if fmt == "shell" else ce.render_settings(env), nl=False)


def sync_dashboard() -> None:
    """The `sync-dashboard` console script: `ccdash push` under the name users know."""
    cli(["push", *sys.argv[1:]], prog_name="sync-dashboard")


def _progress(label: str):
    """A progress bar over an iterable on a terminal; nothing on pipes, in CI and tests."""
    if not sys.stderr.isatty():
        return lambda items: items

    def wrap(items):
        with click.progressbar(list(items), label=label, file=sys.stderr) as shown:
            yield from shown

    return wrap


def _parse_time(text: str, option: str) -> float:
    if text == "now":
        return clock.time()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ConfigError(
            f"{option}: {text!r} is not now, a Unix timestamp or an ISO 8601 time"
        ) from None


def _count(items: list, noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def main() -> None:
    cli(prog_name="ccdash")
