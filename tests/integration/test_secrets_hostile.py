"""The secrets check against hostile repositories: credentials in clone URLs, shallow and
partial clones, missing objects, symlinks and special files, broken baselines, legacy
encodings — each on real git repositories and the real store."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygiene.pipeline import run_audit
from hygiene.policy import Policy, Repo
from hygiene.publish.formats import render_json
from tests.conftest import git

AWS = "AKIAZ3MHGKQW7P2LSNYT"
GHP = "ghp_9fK2LmQ8vR4tZ1xW7yB3nC6hJ0pS5dG2aE8u"
TOKEN = "Tok3nInTheCloneUrl9x"
PWD = "Tr0ub4dor&3-horse-battery"
AS_OF = datetime(2026, 11, 27, 12, tzinfo=UTC)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bytes_under(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- 1. clone URLs


def test_credentials_in_clone_urls_reach_no_reason_log_output_state_or_cache(
    make_repo: Callable[..., Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    origin = make_repo("origin", [{"app.py": f'AWS = "{AWS}"\n'}])
    urls = [
        f"https://user:{TOKEN}@127.0.0.1:{_closed_port()}/org/closed.git",
        f"file://user:{TOKEN}@{tmp_path}/nope.git",
        f"file://user:{TOKEN}@{origin}",  # git ignores a file URL's userinfo: this one clones
    ]
    policy = Policy(repos=[Repo(url=u) for u in urls])
    state, cache = tmp_path / "state" / "state.db", tmp_path / "cache"
    for _ in range(2):  # a clone, then a fetch into the existing mirror
        with caplog.at_level(logging.DEBUG):
            run = run_audit(
                policy=policy, as_of=AS_OF, only=["secrets"], state_path=state, cache_dir=cache
            )
        result = run.results[0]
        assert result.status == "error" and run.status == "incomplete"
        assert "closed.git" in result.reason and "nope.git" in result.reason
        assert "***@" in result.reason
        assert {f.resource for f in run.findings} == {"origin:app.py"}
        assert TOKEN not in result.reason
        assert TOKEN not in json.dumps(result.stats)
        assert TOKEN not in render_json(run.to_contract())
        assert not [r for r in caplog.records if TOKEN in r.getMessage()]
        assert TOKEN.encode() not in _bytes_under(state.parent)
        assert TOKEN.encode() not in _bytes_under(cache)  # the mirror keeps the redacted URL


# --------------------------------------------------------------------------- 2. shallow, partial


def _audit(repos: list[Path], state: Path | None = None, policy: Policy | None = None):  # type: ignore[no-untyped-def]
    return run_audit(
        policy=policy or Policy(), as_of=AS_OF, only=["secrets"], repos=repos, state_path=state
    )


def _clone(origin: Path, dest: Path, *options: str) -> Path:
    git(dest.parent, "clone", "-q", *options, f"file://{origin}", str(dest))
    return dest


def _history_only_origin(make_repo: Callable[..., Path]) -> Path:
    return make_repo(
        "svc",
        [
            {"old.py": f'TOKEN = "{GHP}"\n', "app.py": "x = 1\n"},
            {"old.py": None, "app.py": "x = 2\n"},
        ],
    )


def test_a_shallow_clone_resolves_no_history_finding(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    origin = _history_only_origin(make_repo)
    full = _clone(origin, tmp_path / "full")
    shallow = _clone(origin, tmp_path / "shallow", "--depth", "1")
    state = tmp_path / "state.db"
    first = _audit([full], state)
    (finding,) = list(first.findings)
    assert finding.rule == "history-only" and finding.resource == "svc:old.py"
    assert first.results[0].scopes == ["svc"] and first.results[0].stats["history"] == {}

    second = _audit([shallow], state)
    result = second.results[0]
    assert result.status == "ok" and list(second.findings) == []
    assert result.stats["history"] == {"svc": "shallow"}
    assert result.scopes == []  # the history of svc was not covered: nothing of it resolves
    assert second.resolved == []

    third = _audit([full], state)
    assert [(f.id, f.status) for f in third.findings] == [(finding.id, "open")]


def test_a_partial_clone_is_reported_and_its_promised_blobs_are_not_fetched(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    origin = _history_only_origin(make_repo)
    git(origin, "config", "uploadpack.allowFilter", "true")
    full = _clone(origin, tmp_path / "full")
    partial = _clone(origin, tmp_path / "partial", "--filter=blob:none")
    listing = ["rev-list", "--objects", "--all", "--missing=print"]
    absent = [line for line in git(partial, *listing).splitlines() if line.startswith("?")]
    assert absent  # the old blobs were never fetched
    state = tmp_path / "state.db"
    (finding,) = list(_audit([full], state).findings)
    run = _audit([partial], state)
    assert finding.rule == "history-only"
    result = run.results[0]
    assert result.status == "ok" and list(run.findings) == [] and run.resolved == []
    assert result.stats["history"] == {"svc": "partial"}
    assert result.stats["missing_objects"] == len(absent) and result.scopes == []
    assert [line for line in git(partial, *listing).splitlines() if line.startswith("?")] == absent
    assert [(f.id, f.status) for f in _audit([full], state).findings] == [(finding.id, "open")]


# --------------------------------------------------------------------------- 3. missing objects


def _drop_object(repo: Path, oid: str) -> None:
    (repo / ".git" / "objects" / oid[:2] / oid[2:]).unlink()


def test_a_missing_blob_loses_only_itself(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        "svc",
        [
            {"lost.py": f'password = "{PWD}"\n', "old.py": f'TOKEN = "{GHP}"\n'},
            {"lost.py": None, "old.py": None, "app.py": f'AWS = "{AWS}"\n'},
        ],
    )
    other = make_repo("other", [{"key.py": f'AWS = "{AWS}"\n'}])
    _drop_object(repo, git(repo, "rev-parse", "HEAD~1:lost.py").strip())
    run = _audit([repo, other])
    result = run.results[0]
    assert run.status == "incomplete" and result.status == "error"
    assert {(f.rule, f.resource) for f in run.findings} == {
        ("in-tree", "svc:app.py"),
        ("history-only", "svc:old.py"),
        ("in-tree", "other:key.py"),
    }
    (error,) = result.stats["errors"]
    assert error.startswith("svc: 1 object(s) are missing")
    assert result.stats["missing_objects"] == 1
    assert result.stats["history"] == {"svc": "missing-objects"}
    assert result.scopes == ["other"]


@pytest.mark.parametrize("history", [True, False])
def test_a_missing_blob_in_head_loses_only_itself(
    make_repo: Callable[..., Path], history: bool
) -> None:
    from hygiene.policy import SecretsPolicy

    repo = make_repo("svc", [{"lost.py": f'password = "{PWD}"\n', "app.py": f'AWS = "{AWS}"\n'}])
    _drop_object(repo, git(repo, "rev-parse", "HEAD:lost.py").strip())
    run = _audit([repo], policy=Policy(secrets=SecretsPolicy(history=history)))
    result = run.results[0]
    assert result.status == "error" and result.stats["missing_objects"] == 1
    assert result.stats["errors"] == [
        "svc: 1 object(s) are missing from the repository and were not scanned; "
        "run `git fsck` and re-fetch them"
    ]
    assert {(f.rule, f.resource) for f in run.findings} == {("in-tree", "svc:app.py")}


def test_a_missing_tree_still_reports_head(make_repo: Callable[..., Path]) -> None:
    repo = make_repo(
        "svc",
        [{"old/x.py": f'TOKEN = "{GHP}"\n'}, {"old/x.py": None, "app.py": f'AWS = "{AWS}"\n'}],
    )
    _drop_object(repo, git(repo, "rev-parse", "HEAD~1:old").strip())
    run = _audit([repo])
    result = run.results[0]
    assert result.status == "error" and "svc: history could not be listed" in result.reason
    assert {(f.rule, f.resource) for f in run.findings} == {("in-tree", "svc:app.py")}
    assert result.stats["history"] == {"svc": "missing-objects"}


# --------------------------------------------------------------------------- 5. broken baselines

BROKEN_BASELINES = {
    "a string per file": '{"results": {"a.py": "x"}}',
    "a top-level list": "[1, 2]",
    "a number per entry": '{"results": {"a.py": [1]}}',
    "100k-deep nesting": "[" * 100_000 + "]" * 100_000,
}


@pytest.mark.parametrize("text", BROKEN_BASELINES.values(), ids=BROKEN_BASELINES.keys())
def test_a_broken_baseline_stays_with_its_repository(
    make_repo: Callable[..., Path], text: str
) -> None:
    broken = make_repo("broken", [{"app.py": f'AWS = "{AWS}"\n', ".secrets.baseline": text}])
    other = make_repo("other", [{"key.py": f'TOKEN = "{GHP}"\n'}])
    run = _audit([broken, other])
    result = run.results[0]
    assert run.status == "incomplete" and result.status == "error"
    (error,) = result.stats["errors"]
    assert error.startswith("broken: unreadable baseline") and ".secrets.baseline" in error
    assert {f.resource for f in run.findings} == {"broken:app.py", "other:key.py"}
    assert result.scopes == ["broken", "other"]


# --------------------------------------------------------------------------- 6. encodings


def test_keys_in_cp1252_and_utf16_files_are_found_in_the_tree_and_history(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    import codecs

    repo = make_repo("svc", [{"README.md": "x\n"}])
    text = f'# café\nAWS = "{AWS}"\n'
    (repo / "legacy.py").write_bytes(text.encode("cp1252"))
    (repo / "wide.py").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    git(repo, "add", "legacy.py", "wide.py")
    git(repo, "commit", "-q", "-m", "encodings")
    (repo / "wide.py").unlink()
    git(repo, "commit", "-q", "-am", "drop the UTF-16 one")
    state = tmp_path / "state.db"
    for _ in range(2):  # cold, then from the blob cache
        run = _audit([repo], state)
        assert {(f.rule, f.resource, f.location.line) for f in run.findings} == {
            ("in-tree", "svc:legacy.py", 2),
            ("history-only", "svc:wide.py", 2),
        }
        assert run.results[0].stats["skipped_binary"] == 0
