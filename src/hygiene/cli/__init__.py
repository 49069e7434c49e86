"""The ``hygiene`` command: a click group whose verbs live in their own modules.

One handler turns a ``HygieneError`` into its message on stderr and exit code 2; verbs are thin
adapters over library functions.
"""

from __future__ import annotations

import os
import sys

import click

from hygiene import __version__
from hygiene.cli.audit import audit
from hygiene.cli.env import env
from hygiene.cli.merge import merge
from hygiene.cli.policy import policy
from hygiene.cli.report import report
from hygiene.cli.scorecard import scorecard
from hygiene.cli.secrets import secrets
from hygiene.cli.spend import spend
from hygiene.errors import HygieneError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="hygiene")
def cli() -> None:
    """Audit cloud accounts and git repositories against the operational blueprint.

    \b
    Examples:
      hygiene audit                          # repo checks on this checkout; cloud checks if credentials
      hygiene audit --only secrets --repo ../api --format sarif --output secrets.sarif
      hygiene audit --config policies/default.yaml --config team.yaml --as-of 2026-10-31
      hygiene policy validate policies/team.yaml

    Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it;
    2 usage or configuration error; 3 the run is incomplete.
    """


cli.add_command(audit)
cli.add_command(env)
cli.add_command(policy)
cli.add_command(secrets)
cli.add_command(spend)
cli.add_command(report)
cli.add_command(scorecard)
cli.add_command(merge)


def main() -> None:
    """Console-script entry point: load ``.env``, run the CLI, map errors to exit codes."""
    from dotenv import load_dotenv

    load_dotenv(os.environ.get("HYGIENE_DOTENV", ".env"), override=False)
    try:
        cli.main(standalone_mode=False)
    except HygieneError as exc:
        click.echo(f"hygiene: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        click.echo("hygiene: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
