"""Property tests of git path names: any bytes a file name may hold (newlines, quotes, bytes
that are not UTF-8, leading dashes, glob and shell characters) committed into a real repository
and audited — in the tree or only in the history — give the finding at that path, in every
output, with no exception escaping and no secret value in any finding's text."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from hygiene.pipeline import run_audit
from hygiene.policy import Policy, SecretsPolicy
from hygiene.publish.formats import render
from hygiene.scan.engine import file_filtered
from hygiene.scan.history import excluded
from hygiene.sources.git import display_path
from tests.conftest import git
from tests.property.conftest import examples

AWS = "AKIAZ3MHGKQW7P2LSNYT"
AS_OF = datetime(2026, 11, 27, 12, tzinfo=UTC)
PIECES = [b"\n", b'"', b"'", b"-", b"--", b"\xff", b"\xc3(", b"\\", b" ", b"\t", b"*", b"?"]
PIECES += [b"[", b"$(x)", b"\r", b":", b"@", b"~", b"\xe2\x80\xae", b"#", b";", b"%2F", b"\x1b"]
NAMES = (
    st.lists(st.sampled_from(PIECES) | st.binary(min_size=1, max_size=6), min_size=1, max_size=6)
    .map(b"".join)
    .filter(lambda n: b"\0" not in n and b"/" not in n and n not in (b".", b".."))
    .filter(lambda n: not n.lower().startswith(b".git") and len(n) < 200)
)
POLICY = Policy(secrets=SecretsPolicy(workers=1))


def _commit(repo: Path, name: bytes, keep: bool) -> bool:
    """Commit a key at ``name`` (then delete it unless ``keep``); False when git refuses it."""
    with open(os.path.join(os.fsencode(repo), name), "wb") as handle:
        handle.write(f'AWS = "{AWS}"\n'.encode())
    try:
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "add")
        if not keep:
            # literal: a name such as ":\x80" is not pathspec magic
            git(repo, "--literal-pathspecs", "rm", "-q", "--cached", "--", os.fsdecode(name))
            os.unlink(os.path.join(os.fsencode(repo), name))
            git(repo, "commit", "-q", "-m", "remove")
    except (subprocess.CalledProcessError, UnicodeDecodeError):
        return False  # a name git itself refuses (its message quotes the bytes) (e.g. one NTFS would misread)
    return True


@settings(deadline=None, max_examples=examples(40), suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES, keep=st.booleans())
@example(name=b":\x80", keep=False)  # pathspec magic and a non-UTF-8 byte
def test_any_file_name_is_reported_at_its_path(name: bytes, keep: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        repo = Path(scratch) / "svc"
        repo.mkdir()
        git(repo, "init", "-q", "-b", "main")
        git(repo, "commit", "-q", "--allow-empty", "-m", "root")
        assume(_commit(repo, name, keep))
        run = run_audit(
            policy=POLICY,
            as_of=AS_OF,
            only=["secrets"],
            repos=[repo],
            state_path=Path(scratch) / "state.db",
        )
        result = run.results[0]
        assert result.status == "ok", result.reason
        path = os.fsdecode(name)
        shown = display_path(path)
        skipped = file_filtered(path) or excluded(path, POLICY.secrets.exclude_paths)
        expected = set() if skipped else {("in-tree" if keep else "history-only", shown)}
        findings = list(run.findings)
        assert {(f.rule, f.location.path) for f in findings if f.location} == expected
        for finding in findings:
            assert AWS not in finding.message and AWS not in json.dumps(finding.details)
        document = run.to_contract()
        for fmt in ("json", "sarif", "markdown", "table"):
            text = render(document, fmt)
            text.encode("utf-8")  # valid text: no lone surrogate
            assert AWS not in text
