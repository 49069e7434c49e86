"""``hygiene env``: the variables a repository reads against what its ``.env.example`` documents."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hygiene.cli.options import (
    as_of_option,
    config_option,
    fail_on_option,
    format_option,
    load,
    output_option,
    parse_as_of,
    repo_option,
    write_atomically,
)
from hygiene.exit_codes import ExitCode
from hygiene.findings import Severity

if TYPE_CHECKING:
    from hygiene.checks.env.collect import EnvReport

FORMATS = ("table", "json", "markdown")


@click.group()
def env() -> None:
    """Audit environment variables: code and deploy reads against .env.example.

    \b
    Examples:
      hygiene env report .
      hygiene env report ../api --format json -o env.json
      hygiene env fix --repo .            # the diff that documents what is missing
      hygiene env fix --repo . --write    # apply it
    """


@env.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path), default=".")
@config_option
@format_option(FORMATS)
@output_option("Write the report here instead of stdout.")
@fail_on_option("never", never=True)
@as_of_option
def report(
    path: Path,
    configs: tuple[str, ...],
    fmt: str,
    output: Path | None,
    fail_on: str,
    as_of: str | None,
) -> None:
    """Print every variable of the git checkout holding PATH (default: .; the whole repository
    is audited) with where it is read and where it is documented, then the env check's findings.

    \b
    Examples:
      hygiene env report .
      hygiene env report ../api --format json -o env.json
      hygiene env report . --config team.yaml --fail-on medium

    Statuses: documented, undocumented (read, not in the governing example), no-example
    (read where no example governs), unused (documented, read nowhere), ignored (a platform
    name from env.ignore_names). Exit codes: 0 ok; 1 a finding at or above --fail-on;
    2 usage or configuration error (PATH is not a git checkout); 3 incomplete: a file could
    not be parsed (too deeply nested …; named on stderr), the report covers the others.
    """
    from hygiene.checks.env.collect import env_report

    policy = load(configs)
    moment = parse_as_of(as_of) or datetime.now(UTC)
    result = env_report(path, policy, moment)
    if fmt == "json":
        text = json.dumps(result.to_json(), indent=2) + "\n"
    elif fmt == "markdown":
        text = _markdown(result)
    else:
        text = _table(result)
    if output:
        write_atomically(output, text)
    else:
        click.echo(text, nl=False)
    counts = {s: sum(1 for r in result.variables if r.status == s) for s in _STATUSES}
    summary = (
        f"hygiene env: {result.record.repo}: {len(result.variables)} variable(s) ("
        + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        + f"); {len(result.findings)} finding(s)"
    )
    click.echo(summary + (f"; written to {output}" if output else ""), err=True)
    if result.record.errors:
        for rel, why in result.record.errors:
            click.echo(f"hygiene env: {rel}: {why}; its reads were not audited", err=True)
        click.echo("hygiene env: incomplete", err=True)
        sys.exit(ExitCode.INCOMPLETE)
    if fail_on != "never" and any(f.severity.at_least(Severity(fail_on)) for f in result.findings):
        sys.exit(ExitCode.FINDINGS)


_STATUSES = (
    "undocumented",
    "no-example",
    "documented-elsewhere",
    "unused",
    "documented",
    "ignored",
)


@env.command()
@repo_option("The git checkout to fix (the whole repository is read, wherever inside it).")
@config_option
@click.option("--write", is_flag=True, help="Change the example files in place (atomically).")
@click.option(
    "--placeholder",
    default="",
    metavar="TEXT",
    help="The value written after NAME= (default: empty; no space, quote, # or $).",
)
def fix(repo: Path, configs: tuple[str, ...], write: bool, placeholder: str) -> None:
    """Document every variable the code reads but no example documents: each goes into the
    example that covers its code (the same rules as the findings: env.coverage, the nearest
    example above, the package's own, else the repository's) with a comment naming its first
    read and a placeholder; code no example covers gets a new example at the root (in a
    monorepo, the package's root). Prints a unified diff of the added lines only (apply it with
    `git apply --unidiff-zero` or `patch -p1`) unless --write. No value is taken from any .env
    file and no line of an existing file is echoed.

    \b
    Examples:
      hygiene env fix --repo .
      hygiene env fix --repo services/api --write
      hygiene env fix --repo . --placeholder change-me | git apply --unidiff-zero

    Exit codes: 0 nothing to add, the diff printed, or the files written; 2 usage or
    configuration error (not a git checkout, a bad --placeholder, an example that is not UTF-8);
    3 incomplete: a file could not be parsed (named on stderr), the fix covers the others.
    """
    from hygiene.checks.env.collect import env_fix
    from hygiene.checks.env.fix import check_placeholder, summary

    try:
        check_placeholder(placeholder)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--placeholder") from None
    policy = load(configs)
    result = env_fix(repo, policy.env, placeholder)
    if write:
        for edit in result.edits:
            write_atomically(result.top / edit.path, edit.new)
    else:
        click.echo("".join(edit.diff() for edit in result.edits), nl=False)
    done = "written" if write and result.edits else ("" if not result.edits else "not written")
    click.echo(
        f"hygiene env fix: {result.record.repo}: {summary(result.edits)}"
        + (f"; {done}" if done else ""),
        err=True,
    )
    if result.record.errors:
        for rel, why in result.record.errors:
            click.echo(f"hygiene env fix: {rel}: {why}; its reads were not audited", err=True)
        click.echo("hygiene env fix: incomplete", err=True)
        sys.exit(ExitCode.INCOMPLETE)


def _table(result: EnvReport) -> str:
    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, width=160, force_terminal=False, color_system=None)
    table = Table(title=f"Environment variables of {result.record.repo}")
    for column in ("variable", "status", "read at", "documented in"):
        table.add_column(column, overflow="fold")
    for row in result.variables:
        table.add_row(row.name, row.status, "\n".join(row.read_at), "\n".join(row.documented_in))
    console.print(table)
    if result.findings:
        found = Table(title="Findings")
        for column in ("severity", "rule", "where", "message"):
            found.add_column(column, overflow="fold")
        for f in result.findings:
            where = (
                f"{f.location.path}:{f.location.line}"
                if f.location and f.location.line
                else (f.location.path if f.location else f.resource)
            )
            found.add_row(f.severity.value, f.rule, where, f.message)
        console.print(found)
    return buffer.getvalue()


def _markdown(result: EnvReport) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    out = [f"# Environment variables of {result.record.repo}", ""]
    out += ["| variable | status | read at | documented in |", "|---|---|---|---|"]
    for row in result.variables:
        out.append(
            f"| `{row.name}` | {row.status} | {cell('<br>'.join(row.read_at))} | "
            f"{cell('<br>'.join(row.documented_in))} |"
        )
    if result.findings:
        out += ["", "| severity | rule | where | message |", "|---|---|---|---|"]
        for f in result.findings:
            where = (
                f"{f.location.path}:{f.location.line or ''}".rstrip(":")
                if f.location
                else f.resource
            )
            out.append(f"| {f.severity.value} | {f.rule} | {cell(where)} | {cell(f.message)} |")
    return "\n".join(out) + "\n"
