"""``hygiene report``: the monthly cost and hygiene review from the history store."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from hygiene.cli.options import config_option, default_repos, load


@click.command()
@click.option(
    "--month", metavar="YYYY-MM", help="The month to review. Default: the current month (UTC)."
)
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="HYGIENE_STATE",
    default=Path(".hygiene/state.db"),
    show_default=True,
    help="History database: a SQLite path or a postgresql:// URL.",
)
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
@click.option(
    "--repo",
    "repos",
    multiple=True,
    metavar="PATH",
    help="With --audit: repository to audit; repeatable.",
)
@click.option(
    "--upload",
    metavar="URL",
    envvar="HYGIENE_REPORT_UPLOAD",
    help="Also copy the report to s3://bucket/prefix (or gs://bucket/prefix with the GCP extra).",
)
def report(
    month: str | None,
    state: Path,
    out: Path,
    fresh: bool,
    configs: tuple[str, ...],
    repos: tuple[str, ...],
    upload: str | None,
) -> None:
    """Write the monthly review: HTML (self-contained), Markdown, CSV per section and JSON.

    \b
    Examples:
      hygiene report --month 2026-11
      hygiene report --audit --config policies/default.yaml
      hygiene report --month 2026-10 --out /srv/reports --upload s3://acme-reports/hygiene

    A failed run leaves the previous report of that month in place.
    """
    from hygiene.publish.report import month_bounds, monthly_report
    from hygiene.registry import CHECKS

    now = datetime.now(UTC)
    month = month or now.strftime("%Y-%m")
    _, end = month_bounds(month)
    lock_timeout = float(os.environ.get("HYGIENE_LOCK_TIMEOUT", "60"))
    if fresh:
        from hygiene.pipeline import run_audit

        policy = load(configs)
        run = run_audit(
            policy=policy,
            as_of=min(now, end - timedelta(seconds=1)),
            repos=default_repos(repos, policy),
            state_path=state,
            environ=dict(os.environ),
            lock_timeout=lock_timeout,
        )
        click.echo(
            f"hygiene: audit {run.id} {run.status}; {len(run.findings)} finding(s)", err=True
        )
    directory, uploaded = monthly_report(
        state, month, out, checks=list(CHECKS), upload_to=upload, lock_timeout=lock_timeout
    )
    click.echo(f"report: {directory / 'report.html'}")
    click.echo(
        f"        {directory / 'report.md'}, {directory / 'report.json'}, CSV per section in {directory}"
    )
    for url in uploaded:
        click.echo(f"uploaded: {url}")
