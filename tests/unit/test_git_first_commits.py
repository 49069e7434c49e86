"""git.first_commits_of: one pass over the merges attributes every merge-only blob, as the
per-blob ``first_commit_of`` does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hygiene.sources import git as hgit
from tests.conftest import git


def _merge_writing(repo: Path, branch: str, name: str, text: str) -> str:
    git(repo, "checkout", "-q", "-b", branch)
    (repo / f"{branch}.txt").write_text(branch + "\n")
    git(repo, "add", f"{branch}.txt")
    git(repo, "commit", "-q", "-m", branch)
    git(repo, "checkout", "-q", "main")
    (repo / f"main-{branch}.txt").write_text("main\n")
    git(repo, "add", f"main-{branch}.txt")
    git(repo, "commit", "-q", "-m", f"main before {branch}")
    git(repo, "merge", "-q", "--no-commit", branch)
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-q", "-m", f"merge {branch}")
    return git(repo, "rev-parse", "HEAD").strip()


def test_merge_only_blobs_get_their_merge_commit(make_repo: Callable[..., Path]) -> None:
    repo = make_repo("svc", [{"a.txt": "a\n"}])
    first = _merge_writing(repo, "one", "x.py", "x = 1\n")
    second = _merge_writing(repo, "two", "y.py", "y = 2\n")
    blobs = {
        git(repo, "rev-parse", "HEAD:x.py").strip(): first,
        git(repo, "rev-parse", "HEAD:y.py").strip(): second,
    }
    attributed = hgit.blob_occurrences(repo)
    assert not set(blobs) & set(attributed)  # git log --raw (no -m) does not see them
    assert hgit.first_commits_of(repo, blobs) == blobs
    assert {oid: hgit.first_commit_of(repo, oid) for oid in blobs} == blobs


def test_blobs_no_merge_wrote_are_left_out(make_repo: Callable[..., Path]) -> None:
    repo = make_repo("svc", [{"a.txt": "a\n"}])
    oid = git(repo, "rev-parse", "HEAD:a.txt").strip()
    assert hgit.first_commits_of(repo, [oid]) == {}
    assert hgit.first_commits_of(repo, []) == {}
