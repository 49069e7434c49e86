"""Rotation findings across runs: fixed credentials resolve; a cloud not read keeps its findings open."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from hygiene.findings import Finding
from hygiene.pipeline import AuditRun, run_audit
from hygiene.policy import Policy
from tests.fixtures.rotation.seed import Estate, seed

pytestmark = pytest.mark.integration


def policy(*registry: dict[str, str]) -> Policy:
    return Policy.model_validate(
        {"aws": {"regions": ["us-east-1"]}, "rotation": {"registry": list(registry)}}
    )


def ids(run: AuditRun, name: str) -> set[str]:
    return {f.id for f in run.findings if f.details.get("name") == name}


def by_name(findings: list[Finding], name: str) -> set[tuple[str, str | None]]:
    return {(f.rule, f.status) for f in findings if f.details.get("name") == name}


def test_fixed_credentials_resolve_and_unread_clouds_stay_open(
    aws: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    estate: Estate = seed(aws)
    as_of = estate.seeded_at + timedelta(days=100, hours=1)
    state = tmp_path / "state.db"
    stripe = {
        "name": "stripe",
        "owner": "payments",
        "last_rotated": (as_of.date() - timedelta(days=120)).isoformat(),
    }
    newrelic = {"name": "newrelic", "last_rotated": as_of.date().isoformat()}
    alice_key = estate.keys["alice"]

    first = run_audit(
        policy=policy(stripe, newrelic), as_of=as_of, only=["rotation"], state_path=state
    )
    assert {f.status for f in first.findings if f.check == "rotation"} == {"new"}
    assert by_name(first.findings, alice_key) == {
        ("rotation-overdue", "new"),
        ("unused-credential", "new"),
    }
    assert by_name(first.findings, "stripe") == {("rotation-overdue", "new")}

    # alice's key is deleted, stripe leaves the registry: exactly their findings resolve.
    boto3.client("iam").delete_access_key(UserName="alice", AccessKeyId=alice_key)
    second = run_audit(policy=policy(newrelic), as_of=as_of, only=["rotation"], state_path=state)
    assert set(second.resolved) == ids(first, alice_key) | ids(first, "stripe")
    remaining = {f.id for f in first.findings if f.check == "rotation"} - set(second.resolved)
    assert {f.id for f in second.findings if f.check == "rotation"} == remaining
    assert {f.status for f in second.findings if f.check == "rotation"} == {"open"}

    # Without AWS credentials only the registry is read: AWS findings are neither reported nor resolved.
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    third = run_audit(policy=policy(newrelic), as_of=as_of, only=["rotation"], state_path=state)
    assert third.results[0].status == "ok"
    assert third.results[0].scopes == ["registry"]
    assert [f for f in third.findings if f.check == "rotation"] == []
    assert third.resolved == []
