"""``hygiene merge``: combine the partial documents of ``audit --shard I/N`` into one run."""

from __future__ import annotations

import os
from pathlib import Path

import click

from hygiene.cli.conclude import conclude
from hygiene.cli.options import (
    artefact_options,
    config_option,
    load,
    lock_timeout,
    logging_options,
    state_options,
)
from hygiene.cli.publish_options import check_publishing, publish_options
from hygiene.log import setup_logging


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
@artefact_options
@state_options()
@logging_options
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
        lock_timeout=lock_timeout(),
    )
    conclude(
        run,
        policy,
        headline=f"merged {len(parts)} part(s) of {expect}: ",
        fmt=fmt,
        output=output,
        fail_on=fail_on,
        state=None if no_state else state,
        alert=alert,
        dry_run=dry_run,
        metrics_file=metrics_file,
        pushgateway=pushgateway,
    )
