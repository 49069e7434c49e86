"""``hygiene audit``: run the checks, print or write the findings, exit by severity."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from hygiene.cli.options import (
    as_of_option,
    config_option,
    default_repos,
    load,
    parse_as_of,
    split_names,
    write_atomically,
)
from hygiene.cli.publish_options import after_run, check_publishing, publish_options
from hygiene.cli.shard_options import shard_option
from hygiene.findings import Severity
from hygiene.log import setup_logging, setup_sentry
from hygiene.publish.formats import OutputFormat, render


@click.command()
@config_option
@click.option(
    "--only",
    multiple=True,
    metavar="CHECKS",
    help="Run only these checks (comma-separated or repeated).",
)
@click.option("--skip", multiple=True, metavar="CHECKS", help="Do not run these checks.")
@click.option(
    "--repo",
    "repos",
    multiple=True,
    metavar="PATH",
    help="Repository to audit; repeatable. Default: the policy's repos, else the current git checkout.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in OutputFormat]),
    default="table",
    show_default=True,
    envvar="HYGIENE_FORMAT",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report here instead of stdout.",
)
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    default="high",
    show_default=True,
    envvar="HYGIENE_FAIL_ON",
    help="Exit 1 when a finding is at least this severe.",
)
@as_of_option
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="HYGIENE_STATE",
    default=Path(".hygiene/state.db"),
    show_default=True,
    help="History database: a SQLite path or a postgresql:// URL.",
)
@click.option(
    "--no-state", is_flag=True, help="Record nothing: every finding is new, nothing resolves."
)
@click.option(
    "--log-format",
    type=click.Choice(["json", "text"]),
    envvar="HYGIENE_LOG_FORMAT",
    default="json",
    show_default=True,
)
@click.option("--log-level", envvar="HYGIENE_LOG_LEVEL", default="WARNING", show_default=True)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bars on stderr (default: when stderr is a terminal).",
)
@click.option(
    "--shard",
    metavar="I/N",
    envvar="HYGIENE_SHARD",
    help="Audit only shard I of N (0-based) and write a partial result for `hygiene merge`; records nothing.",
)
@publish_options
def audit(
    configs: tuple[str, ...],
    only: tuple[str, ...],
    skip: tuple[str, ...],
    repos: tuple[str, ...],
    fmt: str,
    output: Path | None,
    fail_on: str,
    as_of: str | None,
    state: Path,
    no_state: bool,
    log_format: str,
    log_level: str,
    progress: bool | None,
    shard: str | None,
    alert: bool,
    dry_run: bool,
    metrics_file: Path | None,
    pushgateway: str | None,
) -> None:
    """Run the audit and report findings.

    \b
    Examples:
      hygiene audit
      hygiene audit --only secrets,env --repo . --format json
      hygiene audit --config policies/default.yaml --as-of 2026-10-31 --format markdown -o audit.md
      AWS_PROFILE=audit hygiene audit --only tags,rotation --fail-on critical
      hygiene audit --alert --metrics-file /var/lib/node_exporter/textfile/hygiene.prom
      hygiene audit --alert --dry-run        # show the alerts that would be sent
      hygiene audit --shard 0/4 --as-of 2026-11-30 --format json -o part-0.json   # 0/4 … 3/4, then:
      hygiene merge part-0.json part-1.json part-2.json part-3.json --expect 4

    Exit codes: 0 clean (below --fail-on), 1 findings at or above --fail-on,
    2 usage/configuration error, 3 incomplete run (a check errored).
    """
    from hygiene import __version__
    from hygiene.pipeline import run_audit

    setup_logging(log_format, log_level)
    setup_sentry(os.environ.get("SENTRY_DSN"), __version__)
    policy = load(configs)
    moment = parse_as_of(as_of)
    check_publishing(policy, alert=alert, dry_run=dry_run, no_state=no_state, environ=os.environ)
    part = shard_option(shard, alert=alert, metrics=bool(metrics_file or pushgateway))
    run = run_audit(
        policy=policy,
        as_of=moment,
        only=split_names(only),
        skip=split_names(skip),
        repos=default_repos(repos, policy),
        state_path=None if no_state else state,
        environ=dict(os.environ),
        lock_timeout=float(os.environ.get("HYGIENE_LOCK_TIMEOUT", "60")),
        show_progress=sys.stderr.isatty() if progress is None else progress,
        options={"shard": part} if part else None,
    )
    document = run.to_contract()
    text = render(document, fmt)
    if output:
        write_atomically(output, text)
    else:
        click.echo(text, nl=False)
    threshold = Severity(fail_on)
    failing = [f for f in run.findings if f.severity.at_least(threshold)]
    skipped = [r.name for r in run.results if r.status == "skipped"]
    errored = [r.name for r in run.results if r.status == "error"]
    summary = f"hygiene: {run.status}; {len(run.findings)} finding(s), {len(failing)} at or above {fail_on}"
    if skipped:
        summary += f"; skipped: {', '.join(skipped)}"
    if errored:
        summary += f"; errors: {', '.join(errored)}"
    if output:
        summary += f"; written to {output}"
    click.echo(summary, err=True)
    for line in after_run(
        document,
        policy,
        alert=alert,
        dry_run=dry_run,
        metrics_file=metrics_file,
        pushgateway=pushgateway,
        state=None if no_state else state,
    ):
        click.echo(line, err=True)
    if run.status == "incomplete":
        sys.exit(3)
    sys.exit(1 if failing else 0)
