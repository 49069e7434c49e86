"""``hygiene audit``: run the checks, print or write the findings, exit by severity."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from hygiene.cli.conclude import conclude
from hygiene.cli.options import (
    artefact_options,
    as_of_option,
    check_options,
    checks_epilog,
    config_option,
    default_repos,
    load,
    lock_timeout,
    logging_options,
    parse_as_of,
    parse_shard,
    repos_option,
    split_names,
    state_options,
)
from hygiene.cli.publish_options import check_publishing, publish_options
from hygiene.log import setup_logging, setup_sentry


@click.command(epilog=checks_epilog())
@config_option
@check_options
@repos_option()
@artefact_options
@as_of_option
@state_options()
@logging_options
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
@click.option(
    "--validate",
    is_flag=True,
    envvar="HYGIENE_VALIDATE",
    help="Check candidate provider tokens with their provider (GitHub, GitLab, Slack, Stripe, "
    "npm, SendGrid, OpenAI, AWS STS); confirmed ones become critical. Off by default: "
    "each token is sent to its own provider and nowhere else.",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    envvar="HYGIENE_ALLOW_EMPTY",
    help="Accept a run in which every check was skipped (default: incomplete, exit 3).",
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
    validate: bool,
    allow_empty: bool,
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
    2 usage/configuration error, 3 incomplete run (a check errored, every check was
    skipped and --allow-empty was not given, an --alert channel was not delivered, the
    run could not be recorded, an artefact could not be written, or an internal error: one
    line says where its traceback went), 130/143 interrupted.
    """
    from hygiene import __version__
    from hygiene.pipeline import run_audit

    setup_logging(log_format, log_level)
    setup_sentry(os.environ.get("SENTRY_DSN"), __version__)
    policy = load(configs)
    moment = parse_as_of(as_of)
    check_publishing(policy, alert=alert, dry_run=dry_run, no_state=no_state, environ=os.environ)
    part = parse_shard(shard, alert=alert, metrics=bool(metrics_file or pushgateway))
    run = run_audit(
        policy=policy,
        as_of=moment,
        only=split_names(only),
        skip=split_names(skip),
        repos=default_repos(repos, policy),
        state_path=None if no_state else state,
        environ=dict(os.environ),
        lock_timeout=lock_timeout(),
        show_progress=sys.stderr.isatty() if progress is None else progress,
        options={**({"shard": part} if part else {}), **({"validate": True} if validate else {})},
        allow_empty=allow_empty,
    )
    conclude(
        run,
        policy,
        headline="",
        fmt=fmt,
        output=output,
        fail_on=fail_on,
        state=None if no_state else state,
        alert=alert,
        dry_run=dry_run,
        metrics_file=metrics_file,
        pushgateway=pushgateway,
    )
