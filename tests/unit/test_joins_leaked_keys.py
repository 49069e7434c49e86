"""The pure parts of the leaked-key join: reading a GCP key file, matching, annotating."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from hygiene.findings import Finding, Location, Severity, secret_hash
from hygiene.joins.leaked_keys import Coverage, Leak, join, live_key_hash
from hygiene.policy import Policy
from hygiene.records.cloud import CredentialRecord
from hygiene.scan.gcp_key import service_account_keys
from hygiene.scan.history import SecretRecord

KEY_FILE = {
    "type": "service_account",
    "project_id": "shop-prod",
    "private_key_id": "1111aaaa2222bbbb",
    "private_key": "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n",
    "client_email": "deployer@shop-prod.iam.gserviceaccount.com",
}


def test_a_service_account_key_file_names_its_key_by_hash_only() -> None:
    [ref] = service_account_keys(json.dumps(KEY_FILE))
    assert ref.key_id_sha256 == secret_hash("1111aaaa2222bbbb")
    assert (ref.client_email, ref.project_id) == (KEY_FILE["client_email"], "shop-prod")
    assert "PRIVATE" not in repr(ref)


def test_other_json_names_no_key() -> None:
    assert service_account_keys(json.dumps({**KEY_FILE, "type": "authorized_user"})) == []
    assert service_account_keys(json.dumps({"private_key_id": "x"})) == []
    assert service_account_keys("{not json, private_key_id") == []
    assert len(service_account_keys(json.dumps([KEY_FILE, KEY_FILE]))) == 2


def record(path: str, sha: str, key: str | None, in_tree: bool = True) -> SecretRecord:
    return SecretRecord(
        repo="r",
        path=path,
        rule="aws-access-key",
        type="AWS Access Key",
        line=1,
        commit="c" * 40,
        preview="AKIA…",
        sha256=sha,
        hashed_secret="h",
        in_tree=in_tree,
        key_id_sha256=secret_hash(key) if key else None,
    )


def secret_finding(rec: SecretRecord) -> Finding:
    return Finding.create(
        check="secrets",
        rule="in-tree",
        severity="high",
        resource=f"r:{rec.path}",
        message="Rotate it.",
        identity=(rec.rule, rec.sha256),
        location=Location(repo="r", path=rec.path, line=1, commit=rec.commit),
        details={"sha256": rec.sha256},
    )


def test_one_finding_per_live_key_and_the_rest_annotated() -> None:
    live = CredentialRecord(
        provider="aws",
        account="111122223333",
        kind="iam-access-key",
        resource_id="arn:aws:iam::111122223333:user/bot",
        name="AKIAAAAAAAAAAAAAAAAA",
        created=datetime(2026, 1, 1, tzinfo=UTC),
        active=True,
        owner="bot",
        tags={"owner": "team-a"},
        details={"user": "bot", "principal": "arn:aws:iam::111122223333:user/bot"},
    )
    digest = live_key_hash(live)
    assert digest is not None
    a = record("a.py", "s1", live.name)
    b = record("b.py", "s2", live.name, in_tree=False)
    other = record("c.py", "s3", "AKIABBBBBBBBBBBBBBBB")
    leaks = [Leak(r, secret_finding(r), r.key_id_sha256 or "", "aws") for r in (a, b, other)]
    out = join(leaks, {digest: live}, {"aws": Coverage(True, ("111122223333",))}, Policy())
    [joined] = [f for f in out if f.rule == "leaked-live-credential"]
    assert joined.severity == Severity.CRITICAL and joined.owner == "team-a"
    assert [c["path"] for c in joined.details["committed"]] == ["a.py", "b.py"]  # in-tree first
    assert joined.details["last_used"] == {"at": None, "service": None, "region": None}
    [rest] = [f for f in out if f.rule != "leaked-live-credential"]
    assert rest.resource == "r:c.py"
    assert rest.details["live_check"]["status"] == "not-found"

    unchecked = join(leaks, {}, {"aws": Coverage(False, reason="no credentials")}, Policy())
    assert {f.details["live_check"]["status"] for f in unchecked} == {"not-checked"}
    assert all(f.message.endswith("could not be checked: no credentials.") for f in unchecked)


def test_a_key_id_and_secret_found_as_one_hit_stands_for_its_key() -> None:
    """kingfisher reports a key id with its secret as one hit: the value is the secret, the key
    id rides along as ``key_id_sha256``; that record is joined (or annotated) by itself."""
    live = CredentialRecord(
        provider="aws",
        account="111122223333",
        kind="iam-access-key",
        resource_id="arn:aws:iam::111122223333:user/bot",
        name="AKIAAAAAAAAAAAAAAAAA",
        active=False,
        details={"user": "bot"},
    )
    digest = live_key_hash(live)
    assert digest is not None
    pair = replace(record("a.py", "secret-1", live.name), preview="k9Xq…", line=2)
    other = replace(record("b.py", "secret-2", "AKIABBBBBBBBBBBBBBBB"), preview="Pz4R…")
    leaks = [
        Leak(r, secret_finding(r), r.key_id_sha256 or "", "aws", companion=True)
        for r in (pair, other)
    ]
    out = join(leaks, {digest: live}, {"aws": Coverage(True, ("111122223333",))}, Policy())
    [joined] = [f for f in out if f.rule == "leaked-live-credential"]
    assert joined.severity == Severity.HIGH and joined.details["with_secret"] is True
    assert joined.details["key_id_sha256"] == digest
    assert [(c["path"], c["line"]) for c in joined.details["committed"]] == [("a.py", 2)]
    assert joined.details["replaces"] == [secret_finding(pair).id]
    [rest] = [f for f in out if f.rule != "leaked-live-credential"]
    assert rest.resource == "r:b.py" and rest.details["live_check"]["status"] == "not-found"


def test_a_secret_half_beside_a_joined_key_id_is_folded_into_it() -> None:
    live = CredentialRecord(
        provider="aws",
        account="111122223333",
        kind="iam-access-key",
        resource_id="arn:aws:iam::111122223333:user/bot",
        name="AKIAAAAAAAAAAAAAAAAA",
        active=True,
        details={"user": "bot"},
    )
    digest = live_key_hash(live)
    assert digest is not None
    key_id = record("a.py", "id-1", live.name)
    half = replace(record("a.py", "secret-1", "AKIACCCCCCCCCCCCCCCC"), preview="k9Xq…", line=2)
    leaks = [
        Leak(key_id, secret_finding(key_id), digest, "aws"),
        Leak(half, secret_finding(half), half.key_id_sha256 or "", "aws", companion=True),
    ]
    [joined] = join(leaks, {digest: live}, {"aws": Coverage(True, ())}, Policy())
    assert joined.details["with_secret"] is True
    assert [c["line"] for c in joined.details["committed"]] == [1]  # the key id's place
    assert len(joined.details["replaces"]) == 2
