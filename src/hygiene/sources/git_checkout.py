"""Work trees of mirrored repositories: the checks that read files (env, readiness) need a
checkout, while a clone URL is kept as a bare mirror (``git.mirror``).

A checkout of the mirror's default branch (its ``HEAD``) lives under
``<cache_dir>/checkouts/<mirror name>``, cloned with ``--shared`` (objects stay in the mirror:
no copy) and brought to the mirror's ``HEAD`` on every call, whatever was left in it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

from hygiene.sources import git

_LOCKS: dict[Path, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock(path: Path) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(path, threading.Lock())


def _git(repo: Path, *args: str) -> None:
    """``git -C repo args``; a checkout never runs LFS filters (no network) nor prompts."""
    env = {**os.environ, "GIT_LFS_SKIP_SMUDGE": "1", "GIT_TERMINAL_PROMPT": "0"}
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, check=False, env=env
        )
    except OSError as exc:
        raise git.GitError(f"{repo}: cannot run git: {exc.strerror}") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise git.GitError(
            f"{repo}: git {args[0]} failed: {lines[-1] if lines else proc.returncode}"
        )


def checkout(mirror: Path, cache_dir: Path) -> Path:
    """A work tree at the commit the bare ``mirror``'s ``HEAD`` names, refreshed on each call
    (reset to it, untracked files removed); GitError when git cannot make it."""
    # absolute: git runs in the target's parent, where a relative path (the default cache,
    # ``.hygiene/cache`` in the working directory) would name a folder below it
    target = (cache_dir / "checkouts" / mirror.name.removesuffix(".git")).absolute()
    with _lock(target.resolve()):
        if (target / ".git").is_dir():
            try:
                _refresh(target, mirror)
                return target
            except git.GitError:
                shutil.rmtree(target, ignore_errors=True)  # a broken checkout: clone it anew
        elif target.exists():
            shutil.rmtree(target, ignore_errors=True)
        _clone(mirror, target)
        return target


def _clone(mirror: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _git(
            target.parent,
            "clone",
            "--quiet",
            "--shared",
            "--no-tags",
            str(mirror.resolve()),
            str(tmp),
        )
        os.replace(tmp, target)
    except OSError as exc:
        raise git.GitError(f"{target}: cannot make the checkout: {exc.strerror}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _refresh(target: Path, mirror: Path) -> None:
    if git.head_commit(mirror) is None:  # an empty repository: nothing to check out
        raise git.GitError(f"{mirror}: no commits")
    _git(target, "fetch", "--quiet", "--no-tags", "--force", str(mirror.resolve()), "HEAD")
    _git(target, "reset", "--quiet", "--hard", "FETCH_HEAD")
    _git(target, "clean", "--quiet", "-ffdx")


def names_in_folder(top: Path, directory: str, pattern: str) -> list[str]:
    """Names of the entries of ``top/directory`` matching the glob ``pattern``, sorted (files on
    disk whether git tracks them or not; read them with ``sources.checkout``)."""
    folder = top / directory if directory else top
    return sorted(path.name for path in folder.glob(pattern))
