"""``hygiene scorecard``: the blueprint checklist, row by row, per project, repo and account."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from hygiene.cli.options import (
    as_of_option,
    check_options,
    config_option,
    default_repos,
    format_option,
    load,
    lock_timeout,
    logging_options,
    output_option,
    parse_as_of,
    repos_option,
    split_names,
    state_options,
    write_atomically,
)
from hygiene.errors import HygieneError
from hygiene.exit_codes import ExitCode
from hygiene.publish.scorecard_render import ScorecardFormat, render


def latest_document(state: Path) -> dict[str, Any]:
    """The latest run's findings document in the history store; HygieneError when there is none."""
    from hygiene.store import Store

    if not state.exists():
        raise HygieneError(
            f"{state}: no history store here; run `hygiene audit` first, or drop --latest"
        )
    with Store(state, lock_timeout=lock_timeout()) as store:
        document = store.latest_run()
    if document is None:
        raise HygieneError(
            f"{state}: no run recorded yet; run `hygiene audit` first, or drop --latest"
        )
    return document


def read_document(path: Path) -> dict[str, Any]:
    """A findings document written by ``hygiene audit --format json``."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HygieneError(
            f"{path}: file not found; pass a findings JSON from `hygiene audit --format json`"
        ) from None
    except (OSError, ValueError) as exc:
        raise HygieneError(f"{path}: not a findings JSON document ({exc})") from None
    if not isinstance(document, dict) or document.get("schema") != "hygiene.findings/v1":
        raise HygieneError(
            f"{path}: schema is not hygiene.findings/v1; write it with `hygiene audit --format json`"
        )
    return document


@click.command()
@config_option
@repos_option()
@check_options
@as_of_option
@click.option(
    "--latest", is_flag=True, help="Score the latest run in --state instead of auditing now."
)
@click.option(
    "--from",
    "from_file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Score a findings JSON written by `hygiene audit --format json`.",
)
@state_options("History database (SQLite).", no_state="Audit without recording the run.")
@format_option([f.value for f in ScorecardFormat])
@output_option("Write the scorecard here instead of stdout.")
@click.option(
    "--scope",
    "scope_kinds",
    multiple=True,
    type=click.Choice(["organisation", "project", "repo", "account"]),
    help="Show only these kinds of scope (repeatable). Default: all.",
)
@click.option("--strict", is_flag=True, help="Exit 1 when a Must row fails for the organisation.")
@logging_options
def scorecard(
    configs: tuple[str, ...],
    repos: tuple[str, ...],
    only: tuple[str, ...],
    skip: tuple[str, ...],
    as_of: str | None,
    latest: bool,
    from_file: Path | None,
    state: Path,
    no_state: bool,
    fmt: str,
    output: Path | None,
    scope_kinds: tuple[str, ...],
    strict: bool,
    log_format: str,
    log_level: str,
) -> None:
    """Print the blueprint checklist with each row's evidence: pass, fail, not-evidenced,
    needs-a-human — for the organisation and per project, repo and account.

    \b
    Examples:
      hygiene scorecard                              # audit now, then score the run
      hygiene scorecard --latest                     # score the latest recorded run
      hygiene scorecard --repo ../api --repo ../web --only readiness,env,secrets
      hygiene audit --format json -o run.json && hygiene scorecard --from run.json --format markdown
      hygiene scorecard --latest --format json -o scorecard.json --strict
      hygiene scorecard --latest --scope organisation --scope account

    Exit codes: 0 scored; 1 with --strict, a Must row fails; 2 usage or configuration error;
    3 the audit was incomplete (the scorecard is still printed).
    """
    from hygiene import scorecard as card_lib
    from hygiene.log import setup_logging

    setup_logging(log_format, log_level)
    if latest and from_file:
        raise HygieneError("--latest and --from both name the run to score; pass one of them")
    if latest:
        document = latest_document(state)
    elif from_file:
        document = read_document(from_file)
    else:
        from hygiene.pipeline import run_audit

        policy = load(configs)
        run = run_audit(
            policy=policy,
            as_of=parse_as_of(as_of),
            only=split_names(only),
            skip=split_names(skip),
            repos=default_repos(repos, policy),
            state_path=None if no_state else state,
            environ=dict(os.environ),
            lock_timeout=lock_timeout(),
        )
        document = run.to_contract()
    card = card_lib.build(document)
    text = render(card.only(scope_kinds), fmt)
    if output:
        write_atomically(output, text)
        click.echo(f"hygiene: scorecard written to {output}", err=True)
    else:
        click.echo(text, nl=False)
    organisation = card.scopes[0]
    failing = [
        r.item
        for r in card.rows
        if r.required == "Must" and card.cell(r.item, organisation).status == "fail"
    ]
    if failing:
        click.echo(f"hygiene: Must rows failing: {', '.join(failing)}", err=True)
    if document.get("run", {}).get("status") == "incomplete":
        sys.exit(ExitCode.INCOMPLETE)
    sys.exit(ExitCode.FINDINGS if strict and failing else ExitCode.CLEAN)
