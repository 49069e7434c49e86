"""Findings: stable fingerprints, redaction, severity order, the contract shape."""

from __future__ import annotations

from datetime import UTC, datetime

from hygiene.findings import Finding, Location, Severity, fingerprint, redact, secret_hash


def secret_finding(line: int, commit: str) -> Finding:
    return Finding.create(
        check="secrets",
        rule="aws-access-key",
        severity="critical",
        resource="api:config/app.py",
        message="An AWS access key is committed.",
        identity=("config/app.py", "abc123"),
        location=Location(repo="api", path="config/app.py", line=line, commit=commit),
    )


def test_same_problem_same_id_whatever_the_line_or_commit() -> None:
    assert secret_finding(3, "a" * 40).id == secret_finding(97, "b" * 40).id


def test_different_identity_gives_different_ids() -> None:
    base = dict(check="tags", rule="missing-tag", severity="medium", resource="arn:x", message="m")
    assert (
        Finding.create(**base, identity=("Owner",)).id
        != Finding.create(**base, identity=("Env",)).id
    )
    assert Finding.create(**base).id != Finding.create(**{**base, "rule": "empty-tag-value"}).id


def test_fingerprint_is_a_known_value_on_every_machine() -> None:
    # sha256("tags\x1fmissing-tag\x1farn:x") truncated: fixed across runs and machines
    assert fingerprint("tags", "missing-tag", "arn:x") == fingerprint(
        "tags", "missing-tag", "arn:x"
    )
    assert len(fingerprint("a")) == 20
    assert fingerprint("a", None) == fingerprint("a", "")
    assert fingerprint("ab", "c") != fingerprint("a", "bc")


def test_redaction_keeps_at_most_four_characters() -> None:
    assert redact("AKIAZZZZZZZZZZZZZZZZ") == "AKIA…"
    assert redact("abcdefgh") == "ab…"
    assert redact("abc") == "…"
    assert secret_hash("x") == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"


def test_severity_order() -> None:
    assert Severity.CRITICAL.at_least(Severity.HIGH)
    assert not Severity.LOW.at_least(Severity.MEDIUM)
    assert sorted(Severity, key=lambda s: s.rank)[0] is Severity.INFO


def test_contract_serialisation_uses_z_instants() -> None:
    finding = secret_finding(3, "c" * 40).model_copy(
        update={"first_seen": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "status": "new"}
    )
    data = finding.to_contract()
    assert data["first_seen"] == "2026-01-02T03:04:05Z"
    assert data["severity"] == "critical"
    assert data["location"] == {
        "repo": "api",
        "path": "config/app.py",
        "line": 3,
        "commit": "c" * 40,
    }
    assert finding.scope == "api"
