"""``hygiene report``: the monthly cost and hygiene review from the history store."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from hygiene.cli.options import (
    config_option,
    default_repos,
    load,
    lock_timeout,
    month_option,
    repos_option,
    state_options,
)
from hygiene.errors import HygieneError
from hygiene.exit_codes import ExitCode
from hygiene.policy import Policy


@click.command()
@month_option("The month to review. Default: the current month (UTC).")
@state_options(no_state=None)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="HYGIENE_REPORTS_DIR",
    default=Path("reports"),
    show_default=True,
    help="Reports go to OUT/YYYY-MM/.",
)
@click.option(
    "--audit",
    "fresh",
    is_flag=True,
    help="Run an audit first (as of now, or the month's end for a past month).",
)
@config_option
@repos_option("With --audit: repository to audit; repeatable.")
@click.option(
    "--upload",
    metavar="URL",
    envvar="HYGIENE_REPORT_UPLOAD",
    help="Also copy the report to s3://bucket/prefix (or gs://bucket/prefix with the GCP extra).",
)
@click.option(
    "--digest",
    is_flag=True,
    help="Also e-mail each owner of the directory (owners: in the policy) their monthly digest: "
    "their findings, their spend against budget, what to do first; once per owner and month.",
)
def report(
    month: str | None,
    state: Path,
    out: Path,
    fresh: bool,
    configs: tuple[str, ...],
    repos: tuple[str, ...],
    upload: str | None,
    digest: bool,
) -> None:
    """Write the monthly review: HTML (self-contained), Markdown, CSV per section and JSON.

    \b
    Examples:
      hygiene report --month 2026-11
      hygiene report --audit --config policies/default.yaml
      hygiene report --month 2026-10 --out /srv/reports --upload s3://acme-reports/hygiene
      hygiene report --digest --config hygiene.yaml

    A failed run leaves the previous report of that month in place. Exit codes: 0 written;
    2 usage error (an --out that cannot be a directory, no history); 3 the report could not be
    written (a full disk: the previous report stays), the --audit run was not recorded, or an
    owner's digest could not be sent (the others are; it is tried again on the next --digest).
    """
    from hygiene.publish.report import month_bounds, monthly_report
    from hygiene.registry import CHECKS

    now = datetime.now(UTC)
    month = month or now.strftime("%Y-%m")
    _, end = month_bounds(month)
    timeout = lock_timeout()
    check_out_directory(out)
    failed = False
    if fresh:
        from hygiene.pipeline import run_audit
        from hygiene.store import RECORD_RESULT

        policy = load(configs)
        run = run_audit(
            policy=policy,
            as_of=min(now, end - timedelta(seconds=1)),
            repos=default_repos(repos, policy),
            state_path=state,
            environ=dict(os.environ),
            lock_timeout=timeout,
        )
        click.echo(
            f"hygiene: audit {run.id} {run.status}; {len(run.findings)} finding(s)", err=True
        )
        for result in run.results:
            if result.name == RECORD_RESULT and result.status == "error":
                click.echo(f"hygiene: error: the run was not recorded: {result.reason}", err=True)
                failed = True
    try:
        directory, uploaded = monthly_report(
            state, month, out, checks=list(CHECKS), upload_to=upload, lock_timeout=timeout
        )
    except OSError as exc:
        from hygiene.artefacts import os_reason

        click.echo(
            f"hygiene: error: {out / month}: cannot write the report: {os_reason(exc)}; "
            f"nothing was written (the previous report of {month}, if any, is unchanged)",
            err=True,
        )
        sys.exit(ExitCode.INCOMPLETE)
    click.echo(f"report: {directory / 'report.html'}")
    click.echo(
        f"        {directory / 'report.md'}, {directory / 'report.json'}, CSV per section in {directory}"
    )
    for url in uploaded:
        click.echo(f"uploaded: {url}")
    if digest:
        failed = send_owner_digests(state, month, load(configs), timeout) or failed
    if failed:
        sys.exit(ExitCode.INCOMPLETE)


def check_out_directory(out: Path) -> None:
    """Refuse, before anything runs, an ``--out`` that cannot become a directory (exit 2)."""
    probe = out
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise HygieneError(
            f"--out {out}: cannot hold the reports: {probe} is not a directory"
            if probe != out
            else f"--out {out}: is not a directory"
        )


def send_owner_digests(state: Path, month: str, policy: Policy, timeout: float) -> bool:
    """Send the owners' digests of ``month``; True when one could not be sent."""
    from hygiene.publish.digest import send_digests

    outcome = send_digests(state, month, policy, dict(os.environ), lock_timeout=timeout)
    for digest in outcome.digests:
        where = f"{digest.owner.id} <{digest.owner.email}>"
        if digest.sent:
            click.echo(f"digest: {where}: sent ({len(digest.findings)} finding(s))")
        else:
            click.echo(f"hygiene: error: digest: {where}: not sent: {digest.error}", err=True)
    for owner in outcome.already:
        click.echo(f"digest: {owner}: already sent for {month}")
    if not outcome.digests and not outcome.already:
        click.echo("digest: no owner with an email in the owner directory")
    return bool(outcome.failed)
