"""The ``hygiene`` command: a click group whose verbs live in their own modules.

One handler maps every way a verb can end to the exit-code table (``hygiene.exit_codes``): a
``HygieneError`` is its message and exit 2; SIGINT/SIGTERM exit 130/143; anything unexpected is
one line naming the error and where its traceback went, and exit 3 — never 1, which means
"findings" to CI. Verbs are thin adapters over library functions.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

import click

from hygiene import __version__
from hygiene.cli.audit import audit
from hygiene.cli.env import env
from hygiene.cli.init import init
from hygiene.cli.merge import merge
from hygiene.cli.policy import policy
from hygiene.cli.report import report
from hygiene.cli.scorecard import scorecard
from hygiene.cli.secrets import secrets
from hygiene.cli.spend import spend
from hygiene.errors import HygieneError
from hygiene.exit_codes import ExitCode
from hygiene.interrupts import Interrupted, handle_signals

log = logging.getLogger(__name__)


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
    2 usage or configuration error; 3 the run is incomplete (a check errored, nothing was
    audited, or an internal error); 130/143 interrupted by SIGINT/SIGTERM.
    """


cli.add_command(audit)
cli.add_command(env)
cli.add_command(policy)
cli.add_command(secrets)
cli.add_command(spend)
cli.add_command(report)
cli.add_command(scorecard)
cli.add_command(merge)
cli.add_command(init)


def main() -> None:
    """Console-script entry point: load ``.env``, run the CLI, map every ending to an exit code."""
    from dotenv import load_dotenv

    try:
        with handle_signals():
            load_dotenv(os.environ.get("HYGIENE_DOTENV", ".env"), override=False)
            cli.main(standalone_mode=False)
    except HygieneError as exc:  # exit 2, or 3 for a run whose recording/artefact failed
        click.echo(f"hygiene: error: {exc}", err=True)
        sys.exit(getattr(exc, "exit_code", ExitCode.USAGE))
    except Interrupted as exc:
        click.echo(f"hygiene: interrupted by {exc}; nothing more was recorded", err=True)
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("hygiene: aborted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(ExitCode.USAGE)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug or an unexpected failure: exit 3, never 1 ("findings")
        where = _record_crash(exc)
        click.echo(
            f"hygiene: internal error: {type(exc).__name__}: {_one_line(exc)} "
            f"(traceback: {where}); the run is incomplete",
            err=True,
        )
        sys.exit(ExitCode.INCOMPLETE)


def _one_line(exc: BaseException, limit: int = 200) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _record_crash(exc: BaseException) -> str:
    """Put the traceback where it can be read later: the debug log, Sentry when it is set up,
    and a crash file (``HYGIENE_CRASH_LOG``, default in the temp directory). Says where."""
    log.debug("internal error", exc_info=exc)
    places = []
    try:
        import sentry_sdk

        if sentry_sdk.get_client().is_active():
            sentry_sdk.capture_exception(exc)
            sentry_sdk.flush(timeout=5)
            places.append("Sentry")
    except Exception:  # reporting a crash must not crash
        pass
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    default = Path(tempfile.gettempdir()) / f"hygiene-crash-{stamp}-{os.getpid()}.log"
    path = Path(os.environ.get("HYGIENE_CRASH_LOG") or default)
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write("".join(traceback.format_exception(exc)))
        places.insert(0, str(path))
    except OSError:
        places.append("--log-level DEBUG")
    return ", ".join(places) or "--log-level DEBUG"
