"""The repositories of a check that reads work trees (env, readiness), streamed one at a time.

A run over 1,000 repositories must not hold every repository's files or reads at once: the
pipeline evaluates each repository's record, spools its findings and drops it before the next
repository is read. A repository that cannot be read is an error line, never a silent gap.

A repository is a local path (any directory of a checkout) or a clone URL. A URL is mirrored
(``git.mirror``) into ``<cache_dir>/work-trees`` and read from a checkout of its default branch
kept beside the mirror (``git_checkout.checkout``, refreshed each run); env and readiness share
both through ``ctx.memo``. It is named as the secrets check names it: the policy entry's
``name``, else the URL's last part (``git.repo_name`` of the mirror, never its credentials).

The mirror is not the secrets check's own (``<cache_dir>/repos``): the checks run in threads at
once, and ``git.mirror`` does not lock a mirror against a second writer in the same process.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from traceback import format_tb
from typing import Any, TypeVar

from hygiene.context import Collection, RunContext
from hygiene.errors import HygieneError
from hygiene.policy import Policy
from hygiene.sources import git, git_checkout

T = TypeVar("T")
log = logging.getLogger(__name__)

#: where the work-tree checks keep their checkouts, under the run's cache directory (the mirrors
#: are the secrets check's own, under ``repos/``: git.mirror serialises callers per URL)
WORK_TREES = "work-trees"

#: what ``Path`` leaves of a URL: ``https:/host/…`` (``//`` collapsed), ``file:/srv/…``
_MANGLED_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):/(?!/)")


@dataclass(frozen=True)
class RepoTarget:
    """A repository of the run: where it is (a path or a clone URL) and the name a policy
    entry gives it."""

    location: str
    name: str | None = None

    @property
    def shown(self) -> str:
        """The location for messages and logs: a URL's credentials redacted."""
        return git.redact_url(self.location)


@dataclass(frozen=True)
class WorkTree:
    """A local checkout to read and the name its findings carry (None: git's own)."""

    path: Path
    name: str | None


def clone_location(path: Path | str) -> str:
    """The location a ``--repo`` / policy value names: a clone URL back from what ``Path`` made
    of it (``https:/host/x`` → ``https://host/x``, ``file:/srv/x`` → ``file:///srv/x``), or
    the path as given."""
    text = str(path)
    match = _MANGLED_URL.match(text)
    if match is None or git.is_clone_url(text):
        return text
    scheme = match.group(1)
    rest = text[match.end() :]
    return f"{scheme}:///{rest}" if scheme.lower() == "file" else f"{scheme}://{rest}"


def repo_targets(paths: Sequence[Path], policy: Policy) -> list[RepoTarget]:
    """The run's repositories (``--repo`` values, else the policy's); a policy entry gives its
    URL exactly (``Path`` mangles ``//``) and its name."""
    by_path = {str(Path(r.url)): r for r in policy.repos}
    chosen = []
    for path in paths:
        entry = by_path.get(str(path))
        if entry is not None:
            chosen.append(RepoTarget(entry.url, entry.name))
        else:
            chosen.append(RepoTarget(clone_location(path)))
    return chosen


def work_tree(target: RepoTarget, cache_dir: Path) -> WorkTree:
    """A local work tree of ``target``: a local path as is; a clone URL's mirror (under
    ``cache_dir``) checked out at its default branch. HygieneError (credentials redacted)
    when it cannot be had."""
    if not git.is_clone_url(target.location):
        return WorkTree(Path(target.location), target.name)
    mirror = git.mirror(target.location, cache_dir)
    if git.head_commit(mirror) is None:
        raise HygieneError(f"{target.shown}: the repository has no commits to check out")
    tree = git_checkout.checkout(mirror, cache_dir / WORK_TREES)
    return WorkTree(tree, target.name or git.repo_name(mirror))


def checkout_top(path: Path) -> Path:
    """The top of the git checkout holding ``path``; HygieneError naming ``path`` when it is not
    a directory inside a git work tree."""
    if not path.is_dir():
        raise HygieneError(f"{path}: not a directory; pass the path of a git checkout")
    try:
        return git.toplevel(path)
    except git.GitError:
        raise HygieneError(
            f"{path}: not inside a git repository; pass the path of a git checkout"
        ) from None


def parse_failure(path: str, exc: BaseException) -> str:
    """Why the parser of the file ``path`` could not finish, for the run's errors, logged (a
    warning; the traceback's frames at debug level). Never the exception's own text: a parser
    may quote the file, and the file may hold a secret."""
    if isinstance(exc, RecursionError):
        reason = "too deeply nested to parse (RecursionError)"
    elif isinstance(exc, MemoryError):
        reason = "too large to parse (MemoryError)"
    else:
        reason = f"its parser failed ({type(exc).__name__})"
        log.debug("%s: parser traceback:\n%s", path, "".join(format_tb(exc.__traceback__)))
    log.warning("%s: %s", path, reason)
    return reason


def stream_repos(
    ctx: RunContext,
    read: Callable[[WorkTree], T],
    name: Callable[[T], str],
    count: Callable[[T, dict[str, Any]], None],
    stats: dict[str, Any],
    errors: Callable[[T], Sequence[str]] | None = None,
) -> Collection:
    """A streaming Collection of ``read(work tree)`` for each repository of the run, one
    repository per batch. Both checks of a run that read work trees share one mirror and
    checkout per URL (``ctx.memo``).

    ``count(record, stats)`` adds a record's figures to ``stats`` as it passes, ``errors(record)``
    the parts of a repository that could not be read (a file whose parser failed: the check
    errs, the record is still judged); ``stats``, ``scopes`` (the repositories read) and
    ``errors`` are complete once the stream is exhausted.
    """
    collection = Collection(scopes=[])
    targets = repo_targets(ctx.repos, ctx.policy)

    def batches() -> Iterator[list[T]]:
        for target in targets:
            try:
                key = ("work-tree", target.location, str(ctx.cache_dir))
                tree = ctx.memo.once(key, partial(work_tree, target, ctx.cache_dir))
                record = read(tree)
            except HygieneError as exc:
                collection.errors.append(str(exc))
                continue
            assert collection.scopes is not None
            collection.scopes.append(name(record))
            count(record, stats)
            if errors is not None:
                collection.errors.extend(errors(record))
            yield [record]
        collection.stats = stats

    collection.batches = batches()
    return collection
