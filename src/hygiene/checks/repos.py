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
    URL exactly (``Path`` mangles ``//``) and its name. Names are unique in the run
    (:func:`unique_names`)."""
    by_path = {str(Path(r.url)): r for r in policy.repos}
    chosen = []
    for path in paths:
        entry = by_path.get(str(path))
        if entry is not None:
            chosen.append(RepoTarget(entry.url, entry.name))
        else:
            chosen.append(RepoTarget(clone_location(path)))
    return unique_names(chosen)


def short_name(location: str) -> str:
    """The name a repository has had since the first release: a clone URL's last part, or the
    origin URL's last part of a local checkout, else its folder's name (``git.repo_name``)."""
    if git.is_clone_url(location):
        return git.repo_name_of_url(location)
    path = Path(location)
    try:
        return git.repo_name(git.toplevel(path))
    except git.GitError:
        return path.resolve().name


def long_name(location: str) -> str | None:
    """``host/org/name`` of a clone URL or of a local checkout's origin (None without one)."""
    if git.is_clone_url(location):
        return git.qualified_name(location)
    try:
        return git.qualified_name(git.origin_url(Path(location)) or "")
    except git.GitError:
        return None


def unique_names(targets: Sequence[RepoTarget]) -> list[RepoTarget]:
    """Targets whose findings cannot be confused: a repository keeps its short name (so the ids
    of existing users' findings stay what they were) unless another repository of the run has
    the same one; then each of those is named ``host/org/name`` from its remote, else by its
    path (``work/a/repo``), and a number as the last resort. A name the policy gives wins."""
    if len(targets) < 2:
        return list(targets)
    short = {t.location: t.name or short_name(t.location) for t in targets}
    clash = {n for n in short.values() if list(short.values()).count(n) > 1}
    named: list[RepoTarget] = []
    taken: set[str] = set()
    for target in targets:
        name = short[target.location]
        if name in clash and target.name is None:
            name = long_name(target.location) or _path_name(target.location, short, clash)
        while name in taken:  # the same remote twice, or paths that end alike
            name = f"{name}#{len([n for n in taken if n.split('#')[0] == name.split('#')[0]]) + 1}"
        taken.add(name)
        keep = target.name is None and name == short[target.location]
        named.append(target if keep or name == target.name else RepoTarget(target.location, name))
    return named


def _path_name(location: str, short: dict[str, str], clash: set[str]) -> str:
    """The shortest tail of the path that tells it apart from the other clashing locations."""
    parts = Path(location).resolve().parts
    others = [
        Path(other).resolve().parts
        for other, name in short.items()
        if other != location and name in clash and not git.is_clone_url(other)
    ]
    for size in range(2, len(parts) + 1):
        tail = parts[-size:]
        if all(o[-size:] != tail for o in others):
            return "/".join(tail)
    return "/".join(parts[1:])


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
