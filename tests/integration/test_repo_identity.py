"""A repository's name is unique in a run: two checkouts both called ``repo`` get distinct names,
so their findings and ids never collide; a repository alone keeps the short name it always had
(its findings' ids stay stable)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from hygiene.checks.repos import RepoTarget, unique_names
from hygiene.pipeline import run_audit
from hygiene.policy import Policy
from tests.conftest import git

AS_OF = datetime(2026, 11, 30, tzinfo=UTC)


def _checkout(make_repo: Callable[..., Path], folder: str, origin: str | None) -> Path:
    repo = make_repo(f"{folder}/repo", [{".env": "DEBUG=1\n", "app.py": "import os\n"}])
    if origin:
        git(repo, "remote", "add", "origin", origin)
    return repo


def test_two_checkouts_named_repo_get_distinct_names_and_ids(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "other").mkdir()
    first = _checkout(make_repo, "work", "https://x:token@github.com/acme/repo.git")
    second = _checkout(make_repo, "other", "git@gitlab.example.com:shop/repo.git")
    run = run_audit(policy=Policy(), as_of=AS_OF, only=["env"], repos=[first, second])
    dotenv = [f for f in run.findings if f.rule == "committed-dotenv"]
    assert sorted(f.location.repo for f in dotenv if f.location) == [
        "github.com/acme/repo",
        "gitlab.example.com/shop/repo",
    ]
    assert len({f.id for f in dotenv}) == 2
    assert all("token" not in (f.location.repo if f.location else "") for f in dotenv)

    # the secrets check names them the same way (its findings carry the same repo names)
    both = run_audit(policy=Policy(), as_of=AS_OF, only=["secrets"], repos=[first, second])
    assert run.status == "complete" and both.status == "complete"
    from hygiene.checks.secrets.collect import targets

    assert sorted(t.name or "" for t in targets((first, second), Policy())) == [
        "github.com/acme/repo",
        "gitlab.example.com/shop/repo",
    ]

    alone = run_audit(policy=Policy(), as_of=AS_OF, only=["env"], repos=[first])
    [single] = [f for f in alone.findings if f.rule == "committed-dotenv"]
    assert single.location is not None and single.location.repo == "repo"  # the old form


def test_without_remotes_the_path_tells_them_apart(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = _checkout(make_repo, "a", None), _checkout(make_repo, "b", None)
    named = unique_names([RepoTarget(str(first)), RepoTarget(str(second))])
    assert [t.name for t in named] == ["a/repo", "b/repo"]
    # a name the policy gives wins, and the same remote twice is numbered
    given = unique_names([RepoTarget(str(first), "payments"), RepoTarget(str(second))])
    assert [t.name for t in given] == ["payments", None]
    twice = unique_names(
        [RepoTarget("https://github.com/acme/api.git"), RepoTarget("git@github.com:acme/api")]
    )
    assert [t.name for t in twice] == ["github.com/acme/api", "github.com/acme/api#2"]
