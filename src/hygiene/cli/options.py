"""The options more than one verb takes, each declared once, and the parsing they share.

An option whose help, choices or default differ between verbs is a factory
(``output_option(help)``, ``format_option(choices)``); one that is the same everywhere is a
plain decorator (``config_option``, ``logging_options``). The publishing options of the verbs
that produce a run are in ``publish_options``.
"""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TypeVar

import click

from hygiene.config import load_policy
from hygiene.errors import HygieneError
from hygiene.findings import Severity
from hygiene.policy import Policy
from hygiene.publish.formats import OutputFormat
from hygiene.shard import Shard

F = TypeVar("F", bound=Callable[..., Any])


def parse_as_of(value: str | None) -> datetime | None:
    """``YYYY-MM-DD`` (the end of that day, UTC) or an ISO instant; None for now."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HygieneError(
            f"--as-of {value!r}: expected YYYY-MM-DD or an ISO instant such as 2026-10-31T12:00:00Z"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def split_names(values: tuple[str, ...]) -> list[str]:
    """``--only a,b --only c`` → ``[a, b, c]``."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def policy_paths(configs: tuple[str, ...]) -> list[str]:
    """``--config`` values, else ``HYGIENE_CONFIG`` (paths separated by ``:``)."""
    if configs:
        return list(configs)
    env = os.environ.get("HYGIENE_CONFIG", "")
    return [p for p in env.split(os.pathsep) if p]


def load(configs: tuple[str, ...]) -> Policy:
    """The merged policy of ``--config``/``HYGIENE_CONFIG``, or the blueprint's defaults."""
    return load_policy(policy_paths(configs))


def default_repos(repos: tuple[str, ...], policy: Policy) -> list[Path]:
    """``--repo`` values; else the policy's local repos; else the current git checkout."""
    if repos:
        return [Path(r) for r in repos]
    if policy.repos:
        return [Path(r.url) for r in policy.repos]
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return []
    return [Path(top)] if top else []


def parse_shard(value: str | None, *, alert: bool, metrics: bool) -> Shard | None:
    """The parsed ``--shard I/N``; alerts and metrics belong to the merge, not to a shard."""
    if not value:
        return None
    shard = Shard.parse(value)
    if alert or metrics:
        raise HygieneError(
            f"--shard {shard}: alerts and metrics are published by `hygiene merge` for the whole "
            "run; drop --alert/--metrics-file/--pushgateway here and pass them to merge"
        )
    return shard


def write_atomically(path: Path, text: str | Iterable[str]) -> None:
    """Write ``text`` (a string, or chunks of one) to ``path``: a regular file (or a new path)
    is replaced atomically, a device or FIFO is written through, a symlink is followed
    (``hygiene.artefacts``). Raises ``ArtefactPathError`` (exit 2) or ``ArtefactWriteError``."""
    from hygiene.artefacts import write_artefact

    write_artefact(path, text)


def checked_artefact_path(
    ctx: click.Context, param: click.Parameter, value: Path | None
) -> Path | None:
    """A click callback: refuse an artefact path no file can be written to before anything
    runs (a directory, a file where a directory should be, a block device): exit 2."""
    if value is None:
        return None
    from hygiene.artefacts import ArtefactPathError, check_artefact_path

    try:
        check_artefact_path(value)
    except ArtefactPathError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
    return value


def lock_timeout(environ: Mapping[str, str] | None = None) -> float:
    """``HYGIENE_LOCK_TIMEOUT``: seconds to wait for the state lock (default 60); anything but
    a finite number of seconds, 0 or more, is a usage error naming the variable."""
    if environ is None:
        raw = os.environ.get("HYGIENE_LOCK_TIMEOUT", "").strip()
    else:
        raw = environ.get("HYGIENE_LOCK_TIMEOUT", "").strip()
    if not raw:
        return 60.0
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise HygieneError(
            f"HYGIENE_LOCK_TIMEOUT={raw!r}: expected the seconds to wait for the state lock, "
            "a number 0 or more (default 60)"
        )
    return seconds


def _apply(func: F, options: Sequence[Callable[[F], F]]) -> F:
    """Apply ``options`` so that they list in ``--help`` in the order given."""
    for option in reversed(options):
        func = option(func)
    return func


config_option = click.option(
    "--config",
    "-c",
    "configs",
    multiple=True,
    metavar="FILE",
    help="Policy file; repeat to merge (org default, then team overrides). Env: HYGIENE_CONFIG.",
)
as_of_option = click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Evaluate ages and month-to-date as of this instant (YYYY-MM-DD means that day's end, UTC).",
)

REPOS_HELP = (
    "Repository to audit; repeatable. Default: the policy's repos, else the current git checkout."
)


def repos_option(help: str = REPOS_HELP) -> Callable[[F], F]:
    """``--repo PATH``, repeatable (``repos``): the repositories a run audits (see
    ``default_repos``)."""
    return click.option("--repo", "repos", multiple=True, metavar="PATH", help=help)


def repo_option(help: str) -> Callable[[F], F]:
    """``--repo DIRECTORY`` (``repo``, default ``.``): the one checkout a verb works in."""
    return click.option(
        "--repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help=help,
    )


def checks_epilog() -> str:
    """The registered checks, one line each, for a verb's ``--help`` (the registry holds import
    strings, so listing them loads no check code)."""
    from hygiene.registry import CHECKS

    width = max(len(name) for name in [*CHECKS, "policy"])
    lines = [f"  {name:<{width}}  {spec.summary}" for name, spec in CHECKS.items()]
    lines.append(f"  {'policy':<{width}}  Expired exceptions in the policy (always runs)")
    return "\b\nChecks (for --only and --skip):\n" + "\n".join(lines)


def check_options(func: F) -> F:
    """``--only`` and ``--skip``: the checks a run runs (``split_names`` parses them)."""
    return _apply(
        func,
        [
            click.option(
                "--only",
                multiple=True,
                metavar="CHECKS",
                help="Run only these checks (comma-separated or repeated).",
            ),
            click.option(
                "--skip", multiple=True, metavar="CHECKS", help="Do not run these checks."
            ),
        ],
    )


def format_option(
    choices: Iterable[str], default: str = "table", *, envvar: str | None = None
) -> Callable[[F], F]:
    """``--format`` (``fmt``): one of ``choices``."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        envvar=envvar,
    )


def output_option(
    help: str = "Write here instead of stdout.", *, check_early: bool = False
) -> Callable[[F], F]:
    """``--output``/``-o FILE``: where the verb writes instead of stdout (``write_atomically``).
    With ``check_early`` a path no file can be written to is refused before anything runs."""
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        callback=checked_artefact_path if check_early else None,
        help=help,
    )


def fail_on_option(
    default: str = "high", *, never: bool = False, envvar: str | None = None
) -> Callable[[F], F]:
    """``--fail-on``: the severity from which a finding makes the verb exit 1; ``never`` adds
    the choice of never failing."""
    return click.option(
        "--fail-on",
        type=click.Choice([*(s.value for s in Severity), *(["never"] if never else [])]),
        default=default,
        show_default=True,
        envvar=envvar,
        help="Exit 1 when a finding is at least this severe.",
    )


STATE_HELP = "History database: a SQLite path or a postgresql:// URL."
NO_STATE_HELP = "Record nothing: every finding is new, nothing resolves."


def state_options(
    help: str = STATE_HELP, *, no_state: str | None = NO_STATE_HELP
) -> Callable[[F], F]:
    """``--state`` (``HYGIENE_STATE``, default ``.hygiene/state.db``) and, unless ``no_state``
    is None, ``--no-state`` with that help."""
    options: list[Callable[[F], F]] = [
        click.option(
            "--state",
            type=click.Path(dir_okay=False, path_type=Path),
            envvar="HYGIENE_STATE",
            default=Path(".hygiene/state.db"),
            show_default=True,
            help=help,
        )
    ]
    if no_state is not None:
        options.append(click.option("--no-state", is_flag=True, help=no_state))

    def decorate(func: F) -> F:
        return _apply(func, options)

    return decorate


def logging_options(func: F) -> F:
    """``--log-format`` and ``--log-level`` (for ``hygiene.log.setup_logging``)."""
    return _apply(
        func,
        [
            click.option(
                "--log-format",
                type=click.Choice(["json", "text"]),
                envvar="HYGIENE_LOG_FORMAT",
                default="json",
                show_default=True,
            ),
            click.option(
                "--log-level", envvar="HYGIENE_LOG_LEVEL", default="WARNING", show_default=True
            ),
        ],
    )


def month_option(help: str, *, required: bool = False) -> Callable[[F], F]:
    """``--month YYYY-MM``."""
    return click.option("--month", required=required, metavar="YYYY-MM", help=help)


def artefact_options(func: F) -> F:
    """The findings document of a run (``audit``, ``merge``): ``--format``, ``--output``
    (checked before the run), ``--fail-on``."""
    return _apply(
        func,
        [
            format_option([f.value for f in OutputFormat], envvar="HYGIENE_FORMAT"),
            output_option(
                "Write the report here instead of stdout (a file is replaced atomically; "
                "a device or FIFO is written through).",
                check_early=True,
            ),
            fail_on_option(envvar="HYGIENE_FAIL_ON"),
            click.option(
                "--verbose",
                "-v",
                is_flag=True,
                expose_value=False,
                callback=_remember_verbose,
                help="Table format: list every group of findings, not only the summary and the "
                "top findings of each check.",
            ),
        ],
    )


def _remember_verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta["hygiene.verbose"] = value
    return value


def verbose_requested() -> bool:
    """Whether the current command was given ``--verbose``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("hygiene.verbose"))
