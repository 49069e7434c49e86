"""§3 of #19: Owner tags judged against the owner directory — the policy's entries, a file,
a repository's CODEOWNERS and AWS IAM Identity Center (moto's identitystore) — in one audit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from hygiene.findings import Severity
from hygiene.pipeline import AuditRun, run_audit
from hygiene.policy import Policy
from hygiene.sources.codeowners import parse_codeowners

pytestmark = pytest.mark.integration

AS_OF = datetime(2026, 12, 1, tzinfo=UTC)
STORE = "d-1234567890"


def bucket(name: str, owner: str) -> str:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    tags = {"Owner": owner, "Project": "shop", "Env": "prod"}
    s3.put_bucket_tagging(
        Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}
    )
    return f"arn:aws:s3:::{name}"


def owner_findings(run: AuditRun) -> dict[str, tuple[str, Severity, str | None]]:
    return {
        f.resource: (f.rule, f.severity, f.details.get("did_you_mean"))
        for f in run.findings
        if f.rule in ("unknown-owner", "departed-owner")
    }


def policy(**owners: object) -> Policy:
    return Policy.model_validate(
        {"aws": {"regions": ["us-east-1"]}, "tags": {"resource_types": ["s3:*"]}, "owners": owners}
    )


def test_owner_tags_resolve_against_every_directory_source(
    aws: str, make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    store = boto3.client("identitystore", region_name="us-east-1")
    store.create_user(
        IdentityStoreId=STORE,
        UserName="bob",
        DisplayName="Bob Smith",
        Name={"GivenName": "Bob", "FamilyName": "Smith"},
        Emails=[{"Value": "bob@example.com", "Primary": True}],
    )
    store.create_group(IdentityStoreId=STORE, DisplayName="team-data")
    repo = make_repo(
        "shop", [{".github/CODEOWNERS": "# owners\n*.py @acme/team-web\n/docs/ @carol\n"}]
    )
    (tmp_path / "owners.yaml").write_text(
        "owners:\n  - id: team-ops\n    email: ops@example.com\n", encoding="utf-8"
    )
    known = {
        bucket("pay-1", "team-payments"),  # policy entry
        bucket("pay-2", "Team-Payments"),  # the same, by case
        bucket("alias-1", "payments"),  # a policy alias
        bucket("bob-1", "bob@example.com"),  # Identity Center user, by address
        bucket("data-1", "team-data"),  # Identity Center group
        bucket("web-1", "team-web"),  # CODEOWNERS team slug
        bucket("web-2", "@acme/team-web"),  # CODEOWNERS, as written there
        bucket("ops-1", "team-ops"),  # the owners file
    }
    typo = bucket("typo-1", "team-paymnts")
    nobody = bucket("nobody-1", "zz-unrelated")
    gone = bucket("gone-1", "alice")

    run = run_audit(
        policy=policy(
            entries=[
                {"id": "team-payments", "aliases": ["payments"], "email": "pay@example.com"},
                {"id": "alice", "name": "Alice Jones", "active": False},
            ],
            file=str(tmp_path / "owners.yaml"),
            identity_store_id=STORE,
        ),
        as_of=AS_OF,
        only=["tags"],
        repos=[repo],
    )

    tags = run.results[0]
    assert tags.status == "ok", tags.reason
    assert owner_findings(run) == {
        typo: ("unknown-owner", Severity.MEDIUM, "team-payments"),
        nobody: ("unknown-owner", Severity.MEDIUM, None),
        gone: ("departed-owner", Severity.MEDIUM, None),
    }
    assert not known & {f.resource for f in run.findings}
    [typo_finding] = [f for f in run.findings if f.resource == typo]
    assert "did you mean 'team-payments'?" in typo_finding.message
    assert typo_finding.check == "tags" and typo_finding.owner == "team-paymnts"
    assert typo_finding.details["account"] == "123456789012"
    [gone_finding] = [f for f in run.findings if f.resource == gone]
    assert "Alice Jones" in gone_finding.message
    assert tags.stats["owners"] == {
        "judged": True,
        "directory": 7,
        "sources": {"codeowners": 2, "file": 1, "identity-center": 2, "policy": 2},
        "unknown": 2,
        "departed": 1,
    }
    # an unresolved owner is as bad as none: the resource is not compliant
    assert tags.stats["compliant"] == len(known)


def test_no_directory_no_owner_judgement(aws: str) -> None:
    bucket("typo-1", "team-paymnts")
    run = run_audit(policy=policy(), as_of=AS_OF, only=["tags"])
    assert owner_findings(run) == {}
    assert "owners" not in run.results[0].stats


def test_an_unreadable_directory_makes_the_tags_check_incomplete(aws: str) -> None:
    bucket("typo-1", "team-paymnts")
    run = run_audit(
        policy=policy(entries=[{"id": "x"}], file="/nonexistent/owners.yaml"),
        as_of=AS_OF,
        only=["tags"],
    )
    tags = run.results[0]
    assert tags.status == "error" and "owner directory not read" in tags.reason
    assert owner_findings(run) == {}


def test_codeowners_owners() -> None:
    text = (
        "# c\n* @acme/platform\n/src/ @dev1 dev2@example.com # tail\n[Docs]\n/docs/ @acme/writers\n"
    )
    assert parse_codeowners(text) == [
        "@acme/platform",
        "@dev1",
        "dev2@example.com",
        "@acme/writers",
    ]


def test_repository_findings_take_their_path_s_codeowners_owner(
    make_repo: Callable[..., Path], tmp_path: Path
) -> None:
    """A committed secret and env drift are owned by whoever CODEOWNERS says owns their path
    (the last matching rule; nested groups and GitLab section defaults included)."""
    key = "AKIA" + "Z7Q4LRX2MNB5TW3H"
    secret = "q8Vd2kP0xL5mR9tY3wB7" + "nF1hJ6cE4gU0aS2zQ8vK"
    repo = make_repo(
        "shop",
        [
            {
                ".github/CODEOWNERS": (
                    "* @acme/platform\n/app/ @acme/shop/backend\n[Deploy] @acme/ops\n/deploy/\n"
                ),
                "app/aws.py": f'AWS_ACCESS_KEY_ID = "{key}"\nAWS_SECRET_ACCESS_KEY = "{secret}"\n',
                "deploy/run.py": "import os\nTOKEN = os.environ['DEPLOY_TOKEN']\n",
                ".env.example": "UNUSED=1\n",
            }
        ],
    )
    run = run_audit(
        policy=Policy(),
        as_of=AS_OF,
        only=["secrets", "env"],
        repos=[repo],
        state_path=tmp_path / "state.db",
        environ={},
    )
    owners = {(f.rule, f.location.path if f.location else None): f.owner for f in run.findings}
    assert owners[("in-tree", "app/aws.py")] == "backend"  # @acme/shop/backend's short name
    assert owners[("undocumented-variable", "deploy/run.py")] == "ops"  # the section's default
    assert owners[("unused-variable", ".env.example")] == "platform"  # only '*' matches it
