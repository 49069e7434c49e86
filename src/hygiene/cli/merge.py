"""``hygiene merge``: combine the partial documents of ``audit --shard I/N`` into one run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from hygiene.cli.options import config_option, load, write_atomically
from hygiene.cli.publish_options import after_run, check_publishing, publish_options
from hygiene.findings import Severity
from hygiene.log import setup_logging
from hygiene.publish.formats import OutputFormat, render


@click.command()
@click.argument("parts", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--expect",
    type=int,
    required=True,
    metavar="N",
    help="How many shards the run had (audit --shard I/N).",
)
@config_option
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
    help="Write the merged report here instead of stdout.",
)
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    default="high",
    show_default=True,
    envvar="HYGIENE_FAIL_ON",
    help="Exit 1 when a finding is at least this severe.",
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
@publish_options
def merge(
    parts: tuple[Path, ...],
    expect: int,
    configs: tuple[str, ...],
    fmt: str,
    output: Path | None,
    fail_on: str,
    state: Path,
    no_state: bool,
    log_format: str,
    log_level: str,
    alert: bool,
    dry_run: bool,
    metrics_file: Path | None,
    pushgateway: str | None,
) -> None:
    """Merge shard documents into one run, record it, and report it like `audit`.

    The shards must come from one run: the same --as-of, the same policy (--config) and
    N = --expect. A shard whose document is missing makes the run incomplete (exit 3), naming
    it; its share is neither reported nor resolved.

    \b
    Examples:
      hygiene audit --shard 0/2 --as-of 2026-11-30 --format json -o part-0.json
      hygiene audit --shard 1/2 --as-of 2026-11-30 --format json -o part-1.json
      hygiene merge part-0.json part-1.json --expect 2
      HYGIENE_STATE=postgresql://hygiene@db/hygiene hygiene merge parts/*.json --expect 8 --alert

    Exit codes: 0 clean (below --fail-on), 1 findings at or above --fail-on,
    2 usage error (e.g. shards of different runs), 3 incomplete (a shard missing or failed).
    """
    from hygiene.merge import merge_files

    setup_logging(log_format, log_level)
    policy = load(configs)
    check_publishing(policy, alert=alert, dry_run=dry_run, no_state=no_state, environ=os.environ)
    run = merge_files(
        list(parts),
        expect,
        policy,
        None if no_state else state,
        lock_timeout=float(os.environ.get("HYGIENE_LOCK_TIMEOUT", "60")),
    )
    document = run.to_contract()
    text = render(document, fmt)
    if output:
        write_atomically(output, text)
    else:
        click.echo(text, nl=False)
    threshold = Severity(fail_on)
    failing = [f for f in run.findings if f.severity.at_least(threshold)]
    errored = [r.name for r in run.results if r.status == "error"]
    summary = (
        f"hygiene: merged {len(parts)} part(s) of {expect}: {run.status}; "
        f"{len(run.findings)} finding(s), {len(failing)} at or above {fail_on}"
    )
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
