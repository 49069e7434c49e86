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

AWS = "AKIAZ3MHGKQW7P2LSNYT"
GHP = "ghp_9fK2LmQ8vR4tZ1xW7yB3nC6hJ0pS5dG2aE8u"
TOKEN = "Tok3nInTheCloneUrl9x"
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
