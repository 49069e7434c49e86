"""The closing step shared by the verbs that produce a run (``audit``, ``merge``): render the
findings document → summary → publish → exit code. Their options are in ``options`` and
``publish_options``."""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from hygiene.cli.options import verbose_requested, write_atomically
from hygiene.cli.publish_options import after_run
from hygiene.exit_codes import ExitCode
from hygiene.findings import Severity
from hygiene.policy import Policy
from hygiene.publish.formats import render_chunks

if TYPE_CHECKING:  # the pipeline is imported when a run starts, not for ``--help``
    from hygiene.pipeline import AuditRun


def conclude(
    run: AuditRun,
    policy: Policy,
    *,
    headline: str,
    fmt: str,
    output: Path | None,
    fail_on: str,
    state: Path | None,
    alert: bool,
    dry_run: bool,
    metrics_file: Path | None,
    pushgateway: str | None,
) -> NoReturn:
    """Write the artefact, print the summary to stderr, publish, and exit 0/1/3 (2 or 3 when
    the artefact was refused or could not be written: the summary, alerts and metrics still
    follow)."""
    from hygiene.store import RECORD_RESULT

    document = run.to_contract(lazy=True)  # findings read from the run's spool, page by page
    for result in run.results:
        if result.name == RECORD_RESULT and result.status == "error":
            click.echo(f"hygiene: error: the run was not recorded: {result.reason}", err=True)
    artefact_exit = write_document(render_chunks(document, fmt, verbose_requested()), output)
    threshold = Severity(fail_on)
    failing = run.count_at_least(threshold)
    skipped = [r.name for r in run.results if r.status == "skipped"]
    errored = [r.name for r in run.results if r.status == "error"]
    summary = (
        f"hygiene: {headline}{run.status}; {len(run.findings)} finding(s), "
        f"{failing} at or above {fail_on}"
    )
    if skipped:
        summary += f"; skipped: {', '.join(skipped)}"
    if errored:
        summary += f"; errors: {', '.join(errored)}"
    if not run.audited and not errored and run.shard is None:  # errors say why already
        summary += "; nothing was audited (every check was skipped" + (
            ")" if run.allow_empty else "; --allow-empty accepts that)"
        )
    if output and artefact_exit is None:
        summary += f"; written to {output}"
    click.echo(summary, err=True)
    published = after_run(
        document,
        policy,
        alert=alert,
        dry_run=dry_run,
        metrics_file=metrics_file,
        pushgateway=pushgateway,
        state=state,
    )
    for line in published.lines:
        click.echo(line, err=True)
    if run.status == "incomplete" or published.alerts_failed:
        sys.exit(ExitCode.INCOMPLETE)
    if artefact_exit is not None or published.metrics_exit is not None:
        sys.exit(max(artefact_exit or 0, published.metrics_exit or 0))
    sys.exit(ExitCode.FINDINGS if failing else ExitCode.CLEAN)


def write_document(chunks: Iterable[str], output: Path | None) -> int | None:
    """Write the rendered findings document to ``output`` (``hygiene.artefacts`` rules) or to
    stdout. A failure is printed, not raised, and returned as the exit code it calls for: 2 when
    the path was refused (nothing written), 3 when writing failed (a full disk, a closed pipe)."""
    from hygiene.artefacts import ArtefactPathError, ArtefactWriteError, os_reason

    try:
        if output:
            write_atomically(output, chunks)
        else:
            for chunk in chunks:
                click.echo(chunk, nl=False)
            sys.stdout.flush()
    except (ArtefactPathError, ArtefactWriteError) as exc:
        click.echo(f"hygiene: error: {exc}", err=True)
        return exc.exit_code
    except OSError as exc:  # stdout: a closed pipe, a full disk under a redirection
        if exc.errno == errno.EPIPE:  # nobody reads stdout any more: silence it for good
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
            os.close(null)
        click.echo(
            f"hygiene: error: stdout: writing the findings failed: {os_reason(exc)}", err=True
        )
        return int(ExitCode.INCOMPLETE)
    return None
