"""Options and parsing shared by several verbs."""

from __future__ import annotations

import math
import os
import subprocess
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path

import click

from hygiene.config import load_policy
from hygiene.errors import HygieneError
from hygiene.policy import Policy


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
