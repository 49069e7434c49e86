"""Git repositories: names, tracked files, ignore rules. History enumeration (unique blobs
across all refs) is added by the secret scanner's work."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from hygiene.errors import HygieneError


class GitError(HygieneError):
    """A git command failed on a repository."""


def run_git(repo: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    """Run ``git -C repo args`` and return stdout; GitError names the repo on failure."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=input_bytes,
            capture_output=True,
            check=False,
        )
    except OSError as exc:
        raise GitError(f"{repo}: cannot run git: {exc.strerror}") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"{repo}: git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


def toplevel(path: Path) -> Path:
    """The top of the git work tree containing ``path``."""
    return Path(run_git(path, "rev-parse", "--show-toplevel").decode().strip())


def repo_name(path: Path) -> str:
    """A name for the repo that is the same on every machine: the origin URL's last part
    without ``.git``, else the directory name."""
    try:
        url = run_git(path, "config", "--get", "remote.origin.url").decode().strip()
    except GitError:
        url = ""
    if url:
        tail = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return tail.removesuffix(".git") or path.resolve().name
    return path.resolve().name


def tracked_files(repo: Path) -> list[str]:
    """Paths (relative, POSIX) of the files git tracks in the work tree."""
    out = run_git(repo, "ls-files", "-z", "--cached")
    return sorted({p for p in out.decode("utf-8", "surrogateescape").split("\0") if p})


def ignored(repo: Path, paths: Sequence[str]) -> set[str]:
    """Which of ``paths`` git's ignore rules cover (whether or not the file exists)."""
    if not paths:
        return set()
    proc = subprocess.run(
        ["git", "-C", str(repo), "check-ignore", "--no-index", "-z", "--stdin"],
        input="\0".join(paths).encode() + b"\0",
        capture_output=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise GitError(f"{repo}: git check-ignore failed: {proc.stderr.decode().strip()}")
    return {p for p in proc.stdout.decode().split("\0") if p}


def head_commit(repo: Path) -> str | None:
    """The commit HEAD points at, or None in a repo with no commits."""
    try:
        return run_git(repo, "rev-parse", "--verify", "-q", "HEAD").decode().strip() or None
    except GitError:
        return None
