"""``hygiene secrets``: write a detect-secrets baseline; scan staged files (pre-commit).

The full audit of a repository, history included, is ``hygiene audit --only secrets``.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from hygiene.cli.options import config_option, load, output_option, repo_option, write_atomically
from hygiene.errors import HygieneError
from hygiene.exit_codes import ExitCode


@click.group()
def secrets() -> None:
    """Committed secrets: baselines and pre-commit scans.

    \b
    Examples:
      hygiene audit --only secrets --repo . --format sarif -o secrets.sarif   # tree + history
      hygiene secrets baseline --repo . -o .secrets.baseline
      hygiene secrets scan                     # what is staged; exit 1 on a new secret
      hygiene secrets scan app/settings.py     # these files (pre-commit passes them)
    """


@secrets.command()
@config_option
@repo_option("Repository whose tracked files to scan.")
@output_option(
    "Write here instead of stdout "
    "(default: the policy's secrets.baseline under --repo when --update)."
)
@click.option(
    "--update",
    is_flag=True,
    help="Rewrite the repository's baseline, keeping its audit verdicts (is_secret).",
)
def baseline(configs: tuple[str, ...], repo: Path, output: Path | None, update: bool) -> None:
    """Write a detect-secrets baseline of the tracked files' secrets.

    The file is in detect-secrets' format (``detect-secrets audit`` works on it); entries you
    mark ``is_secret: false`` are suppressed by ``hygiene audit`` and ``hygiene secrets scan``.
    Hashes and line numbers only: the baseline never holds a secret value.

    \b
    Examples:
      hygiene secrets baseline --repo . -o .secrets.baseline
      hygiene secrets baseline --update        # keep verdicts, refresh lines and new entries
    """
    from hygiene.checks.secrets.collect import tree_hits
    from hygiene.findings import iso_z
    from hygiene.scan.baseline import build_baseline

    policy = load(configs)
    target = output or (repo / policy.secrets.baseline if update else None)
    previous = _read_json(target, repo) if update and target is not None else None
    hits = tree_hits(repo, policy.secrets)
    document = build_baseline(hits, iso_z(datetime.now(UTC)), previous)
    text = json.dumps(document, indent=2) + "\n"
    count = sum(len(v) for v in document["results"].values())
    if target is not None:
        write_atomically(target, text)
        click.echo(
            f"hygiene: {count} secret(s) in {len(document['results'])} file(s); written to {target}",
            err=True,
        )
    else:
        click.echo(text, nl=False)
        click.echo(f"hygiene: {count} secret(s) in {len(document['results'])} file(s)", err=True)


@secrets.command()
@config_option
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@repo_option("Repository whose staged files, or FILES, to scan.")
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Baseline of known secrets (default: the policy's secrets.baseline in the repo).",
)
def scan(
    configs: tuple[str, ...], files: tuple[str, ...], repo: Path, baseline_path: Path | None
) -> None:
    """Scan FILES (or, without FILES, what is staged) and exit 1 on a secret the baseline does
    not list — the pre-commit hook. Prints path:line, detector, a 4-character preview and the
    SHA-256 prefix; never the value.

    \b
    Examples:
      hygiene secrets scan
      hygiene secrets scan src/app.py config/settings.yaml
      pre-commit run hygiene-secrets --all-files
    """
    from hygiene.checks.secrets.collect import staged_hits
    from hygiene.scan.baseline import new_hits
    from hygiene.sources import git

    policy = load(configs)
    top = git.toplevel(repo)
    known = _read_json(baseline_path or top / policy.secrets.baseline, top)
    hits = staged_hits(top, policy.secrets, list(files) or None)
    fresh = new_hits(hits, known)
    for path in sorted(fresh):
        for hit in sorted(fresh[path], key=lambda h: (h.line, h.rule)):
            shown = git.display_path(path)
            click.echo(f"{shown}:{hit.line}: {hit.rule} {hit.preview} sha256:{hit.sha256[:12]}")
    total = sum(len(v) for v in fresh.values())
    if total:
        click.echo(
            f"hygiene: {total} new secret(s) found; remove them (rotate any that were real), or "
            "if one is a false positive, add `# pragma: allowlist secret` on its line or mark it "
            "is_secret: false in the baseline (hygiene secrets baseline --update).",
            err=True,
        )
        sys.exit(ExitCode.FINDINGS)
    click.echo("hygiene: no new secrets", err=True)


def _read_json(path: Path | None, top: Path | None = None) -> dict[str, Any] | None:
    """The baseline at ``path``, or None when there is none. Inside the repository ``top`` only
    a regular file is read (never a link out of it, a FIFO or a device); elsewhere ``path`` must
    be a regular file too."""
    from hygiene.checks.secrets.collect import BASELINE_MAX_BYTES, NOT_READ
    from hygiene.scan.baseline import parse_baseline
    from hygiene.sources.checkout import Skipped, read_checkout_file

    if path is None:
        return None
    inside = _inside(path, top)
    if inside is not None:
        found = read_checkout_file(inside[0], inside[1], BASELINE_MAX_BYTES)
    else:  # a file the user named: its links are theirs to follow
        real = Path(os.path.realpath(path))
        found = read_checkout_file(real.parent, real.name, BASELINE_MAX_BYTES)
    if isinstance(found, Skipped):
        if found.reason == "missing":
            return None
        raise HygieneError(
            f"{path}: not read as a baseline ({NOT_READ.get(found.reason, found.reason)}); "
            "use a regular file inside the repository"
        )
    return parse_baseline(found, str(path))


def _inside(path: Path, top: Path | None) -> tuple[Path, str] | None:
    """``(top, path relative to it)`` when ``path`` is in the repository ``top``."""
    if top is None:
        return None
    try:
        rel = path.absolute().relative_to(top.absolute())
    except ValueError:
        return None
    return top, rel.as_posix()
