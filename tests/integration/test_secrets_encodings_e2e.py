"""Text in latin-1, cp1252 and UTF-16 (with and without a BOM) is decoded, not skipped as binary:
a secret in each is found through the collector, in the tree, in history, inside an archive and
by the baseline verb, on the line it is on."""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygiene.checks.secrets.collect import tree_hits
from hygiene.findings import secret_hash
from hygiene.pipeline import run_audit
from hygiene.policy import Policy, SecretsPolicy
from tests.conftest import git

AWS = "AKIAZ3MHGKQW7P2LSNYT"  # pragma: allowlist secret
GHP = "ghp_9fK2LmQ8vR4tZ1xW7yB3nC6hJ0pS5dG2aE8u"  # pragma: allowlist secret
AS_OF = datetime(2026, 11, 27, 12, tzinfo=UTC)


def _text(secret: str) -> str:
    # accented letters that differ between the encodings, a Windows line end, then the key
    return f"# configuração — café, naïve, Ærø\r\nname = 'déjà vu'\r\nkey = \"{secret}\"\r\n"


ENCODINGS = {
    "latin1.py": lambda t: t.replace("—", "-").encode("latin-1"),
    "cp1252.py": lambda t: t.encode("cp1252"),  # the dash is 0x97: not latin-1, not UTF-8
    "utf16-le-bom.py": lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"),
    "utf16-be-bom.py": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
    "utf16-le.py": lambda t: t.encode("utf-16-le"),
    "utf16-be.py": lambda t: t.encode("utf-16-be"),
    "utf8-bom.py": lambda t: codecs.BOM_UTF8 + t.encode("utf-8"),
}


def _commit(repo: Path, files: dict[str, bytes | None]) -> str:
    for rel, data in files.items():
        if data is None:
            git(repo, "rm", "-q", rel)
            continue
        (repo / rel).write_bytes(data)
        git(repo, "add", rel)
    git(repo, "commit", "-q", "-m", "c")
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture
def encoded_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "svc"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    # history: the GitHub token in every encoding, then removed
    _commit(repo, {f"old-{name}": encode(_text(GHP)) for name, encode in ENCODINGS.items()})
    _commit(repo, {f"old-{name}": None for name in ENCODINGS})
    # tree: the AWS key in every encoding, and once more inside a zip
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("conf/utf16.py", ENCODINGS["utf16-le-bom.py"](_text(AWS)))
    files = {name: encode(_text(AWS)) for name, encode in ENCODINGS.items()}
    _commit(repo, {**files, "bundle.zip": packed.getvalue()})
    return repo


def test_no_encoded_file_is_skipped_as_binary(encoded_repo: Path) -> None:
    run = run_audit(policy=Policy(), as_of=AS_OF, only=["secrets"], repos=[encoded_repo])
    assert run.status == "complete"
    found = {(f.rule, f.location.path, f.location.line, f.details["sha256"]) for f in run.findings}
    expected = {("in-tree", name, 3, secret_hash(AWS)) for name in ENCODINGS}
    expected.add(("in-tree", "bundle.zip!conf/utf16.py", 3, secret_hash(AWS)))
    expected |= {("history-only", f"old-{name}", 3, secret_hash(GHP)) for name in ENCODINGS}
    assert found == expected
    assert run.results[0].stats["skipped_binary"] == 0


def test_the_baseline_verb_reads_every_encoding(encoded_repo: Path) -> None:
    hits = tree_hits(encoded_repo, SecretsPolicy())
    assert {path: {(h.sha256, h.line) for h in found} for path, found in hits.items()} == {
        **{name: {(secret_hash(AWS), 3)} for name in ENCODINGS},
        "bundle.zip!conf/utf16.py": {(secret_hash(AWS), 3)},
    }
