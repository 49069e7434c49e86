"""sources/git.py against hostile input: credentials in clone URLs never reach a message."""

from __future__ import annotations

import pytest

from hygiene.sources.git import redact_url, repo_name, scrub

TOKEN = "ghp_T0kenThatMustNotLeak42"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"https://user:{TOKEN}@host/org/repo.git", "https://***@host/org/repo.git"),
        (f"https://{TOKEN}@github.com/org/repo", "https://***@github.com/org/repo"),
        (f"ssh://git:{TOKEN}@host:2222/org/repo.git", "ssh://***@host:2222/org/repo.git"),
        (f"file://user:{TOKEN}@/srv/repo.git", "file://***@/srv/repo.git"),
        (f"https:/user:{TOKEN}@host/org/repo.git", "https:/***@host/org/repo.git"),  # a Path's
        (f"https://user:pa/{TOKEN}@host/repo", "https://***@host/repo"),  # unencoded "/"
        (f"user:{TOKEN}@host:org/repo.git", "***@host:org/repo.git"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),  # no secret: kept
        ("https://host:8443/org/repo.git", "https://host:8443/org/repo.git"),
        ("/srv/git/repo", "/srv/git/repo"),
    ],
)
def test_redact_url_replaces_the_userinfo(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_scrub_removes_urls_and_the_bare_token_from_git_messages() -> None:
    url = f"https://user:{TOKEN}@127.0.0.1:1/org/repo.git"
    message = f"fatal: unable to access '{url}/': password {TOKEN} rejected"
    cleaned = scrub(message, url)
    assert TOKEN not in cleaned
    assert (
        cleaned
        == "fatal: unable to access 'https://***@127.0.0.1:1/org/repo.git/': password *** rejected"
    )


def test_repo_name_of_a_url_with_credentials_and_no_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import git

    git(tmp_path, "init", "-q")
    git(tmp_path, "remote", "add", "origin", f"https://user:{TOKEN}@host")
    assert repo_name(tmp_path) == "host"


def test_a_clone_url_given_as_repo_is_a_url_again_for_the_secrets_check() -> None:
    """``--repo https://host/x.git`` reaches the collector as ``Path('https:/host/x.git')``."""
    from pathlib import Path

    from hygiene.checks.secrets.collect import targets
    from hygiene.policy import Policy

    chosen = targets((Path("https://git.example/org/api.git"), Path("file:///srv/a.git")), Policy())
    assert [t.location for t in chosen] == ["https://git.example/org/api.git", "file:///srv/a.git"]
