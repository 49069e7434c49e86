"""§1 of #19: a key committed to git joined to the live key, in one audit over real parts.

moto's server holds the IAM user and its keys, a real git repository holds the committed keys
(one only in history, one still in the tree), and the local GCP server holds service-account
keys; one ``run_audit`` of secrets + rotation gives one ``leaked-live-credential`` per live key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest

from hygiene.findings import Finding, Severity, secret_hash
from hygiene.pipeline import AuditRun, run_audit
from hygiene.policy import Policy
from tests.conftest import git
from tests.integration.gcp_server.fixtures import Gcp, gcp_fixture, gcp_servers_fixture  # noqa: F401

pytestmark = pytest.mark.integration

AS_OF = datetime(2026, 12, 1, tzinfo=UTC)
AWS_POLICY = Policy.model_validate({"aws": {"regions": ["us-east-1"]}})
GCP_POLICY = Policy.model_validate({"gcp": {"organization": "100"}})
DEPLOYER = "deployer@shop-prod.iam.gserviceaccount.com"


@cache
def pem() -> str:
    """A throwaway RSA key, made for the test (a key file's ``private_key``)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def key_file(key_id: str, email: str, project: str) -> str:
    """A GCP service-account key file as ``gcloud iam service-accounts keys create`` writes it."""
    return json.dumps(
        {
            "type": "service_account",
            "project_id": project,
            "private_key_id": key_id,
            "private_key": pem(),
            "client_email": email,
            "client_id": "100000000000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": "https://oauth2.googleapis.com/token",
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        },
        indent=2,
    )


def iam_user(endpoint: str, name: str, tags: dict[str, str]) -> tuple[dict[str, Any], str]:
    """An IAM user with one access key, used once (so IAM records its last use); its ARN."""
    iam = boto3.client("iam", endpoint_url=endpoint)
    user = iam.create_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    session = boto3.Session(
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        region_name="us-east-1",
    )
    session.client("s3", endpoint_url=endpoint).list_buckets()
    return key, user["User"]["Arn"]


def by_rule(run: AuditRun) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = {}
    for finding in run.findings:
        out.setdefault(finding.rule, []).append(finding)
    return out


def test_a_committed_aws_key_is_joined_to_the_live_key(
    aws: str, make_repo: Callable[..., Path]
) -> None:
    live, live_arn = iam_user(aws, "deploy-bot", {"Owner": "team-payments", "Env": "prod"})
    parked, _ = iam_user(aws, "old-bot", {"Owner": "team-data"})
    boto3.client("iam", endpoint_url=aws).update_access_key(
        UserName="old-bot", AccessKeyId=parked["AccessKeyId"], Status="Inactive"
    )
    config = (
        f'aws_access_key_id = "{live["AccessKeyId"]}"\n'
        f'aws_secret_access_key = "{live["SecretAccessKey"]}"\n'
    )
    repo = make_repo(
        "payments",
        [
            {"deploy/config.py": config},  # committed, then removed: only in history
            {"deploy/config.py": "import os\n", "ci/env.py": f'KEY = "{parked["AccessKeyId"]}"\n'},
        ],
    )
    first_commit = git(repo, "rev-list", "--max-parents=0", "HEAD").strip()

    run = run_audit(policy=AWS_POLICY, as_of=AS_OF, only=["secrets", "rotation"], repos=[repo])

    rules = by_rule(run)
    leaked = {f.details["principal"]: f for f in rules["leaked-live-credential"]}
    assert set(leaked) == {"deploy-bot", "old-bot"}
    active = leaked["deploy-bot"]
    assert active.check == "secrets" and active.severity == Severity.CRITICAL
    assert active.resource == live_arn
    assert active.owner == "team-payments" and active.env == "prod"
    details = active.details
    assert (details["provider"], details["kind"], details["status"]) == (
        "aws",
        "iam-access-key",
        "active",
    )
    assert details["account"] == "123456789012"
    assert details["name"] == live["AccessKeyId"]
    assert details["owner_tag"] == "team-payments"
    assert details["created"] is not None and details["created"].endswith("Z")
    assert details["last_used"]["at"] is not None
    assert details["last_used"]["service"] == "s3"
    assert details["last_used"]["region"] == "us-east-1"
    assert (details["repo"], details["path"], details["where"]) == (
        "payments",
        "deploy/config.py",
        "history-only",
    )
    assert details["first_commit"] == first_commit
    assert details["key_id_sha256"] == secret_hash(live["AccessKeyId"])
    assert details["with_secret"] is True  # the secret half, committed beside it, is folded in
    # the key id and its secret are one hit (kingfisher's pair rule, on the secret's line): the
    # one secrets finding it replaces
    assert len(details["replaces"]) == 1
    assert details["committed"] == [
        {
            "repo": "payments",
            "path": "deploy/config.py",
            "line": 2,
            "commit": first_commit,
            "in_tree": False,
            "where": "history-only",
        }
    ]
    assert active.location is not None and active.location.commit == first_commit
    assert "deploy-bot" in active.message and "last used" in active.message
    assert live["SecretAccessKey"] not in json.dumps(run.to_contract())  # the secret never leaves

    inactive = leaked["old-bot"]
    assert inactive.severity == Severity.HIGH  # lower: it works only if re-activated
    assert inactive.details["status"] == "inactive"
    assert inactive.details["where"] == "in-tree"
    assert inactive.details["last_used"]["at"] is not None
    assert "inactive" in inactive.message

    # the joined findings replace the secrets findings of the keys
    replaced = set(active.details["replaces"]) | set(inactive.details["replaces"])
    assert not replaced & {f.id for f in run.findings}
    key_findings = [
        f
        for f in run.findings
        if f.check == "secrets" and f.details.get("type") == "aws-access-key"
    ]
    assert key_findings == []
    secrets = next(r for r in run.results if r.name == "secrets")
    assert secrets.stats["live_keys"] == {
        "active": 1,
        "inactive": 1,
        "not_found": 0,
        "not_checked": 0,
    }
    assert secrets.finding_count == sum(1 for f in run.findings if f.check == "secrets")


def test_without_cloud_access_the_secret_finding_says_the_key_was_not_checked(
    make_repo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    key_id = "AKIA2E7A4F3B244C5336"  # base32 after AKIA, as AWS key ids are
    repo = make_repo("svc", [{"settings.py": f'AWS_ACCESS_KEY_ID = "{key_id}"\n'}])

    alone = run_audit(policy=AWS_POLICY, as_of=AS_OF, only=["secrets"], repos=[repo])
    [finding] = [f for f in alone.findings if f.details.get("type") == "aws-access-key"]
    assert finding.rule == "in-tree"
    assert finding.details["live_check"] == {
        "provider": "aws",
        "status": "not-checked",
        "reason": "the rotation check was not part of this audit",
    }
    assert "could not be checked" in finding.message

    no_credentials = run_audit(
        policy=AWS_POLICY, as_of=AS_OF, only=["secrets", "rotation"], repos=[repo]
    )
    [again] = [f for f in no_credentials.findings if f.details.get("type") == "aws-access-key"]
    assert again.id == finding.id  # the same finding as before, now saying why
    assert again.details["live_check"]["status"] == "not-checked"
    assert "could not be checked" in again.message


def test_a_key_no_live_inventory_holds_is_said_to_match_none(
    aws: str, make_repo: Callable[..., Path]
) -> None:
    iam_user(aws, "someone", {})
    key_id = "AKIA2E7A4F3B244C5336"  # of no user here
    repo = make_repo("svc", [{"settings.py": f'AWS_ACCESS_KEY_ID = "{key_id}"\n'}])

    run = run_audit(policy=AWS_POLICY, as_of=AS_OF, only=["secrets", "rotation"], repos=[repo])

    assert "leaked-live-credential" not in by_rule(run)
    [finding] = [f for f in run.findings if f.details.get("type") == "aws-access-key"]
    assert finding.details["live_check"] == {
        "provider": "aws",
        "status": "not-found",
        "scopes": ["123456789012"],
    }
    assert "matches no live key of the AWS accounts read (123456789012)" in finding.message


@pytest.mark.parametrize(
    "engine",
    [
        "kingfisher",  # names the key file's private_key_id itself
        "hygiene",  # finds the PEM only: the join reads the key file's id from git
    ],
)
def test_a_committed_gcp_key_file_is_joined_to_the_live_service_account_key(
    gcp: Gcp, make_repo: Callable[..., Path], engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the collector does not pass secrets.engines to the scanner yet (the lead wires it): until
    # then this applies the policy's choice; a no-op once it is wired
    from dataclasses import replace

    from hygiene.checks.secrets import collect

    wired = collect.engine_config
    monkeypatch.setattr(
        collect, "engine_config", lambda p: replace(wired(p), engines=tuple(p.engines))
    )
    repo = make_repo(
        "shop",
        [
            {"keys/deployer.json": key_file("1111aaaa2222bbbb", DEPLOYER, "shop-prod")},
            {
                "keys/ci.json": key_file(
                    "5555eeee6666ffff", "ci@sandbox.iam.gserviceaccount.com", "sandbox"
                )
            },
        ],
    )
    commits = git(repo, "rev-list", "--reverse", "HEAD").split()

    policy = GCP_POLICY.model_copy(
        update={"secrets": GCP_POLICY.secrets.model_copy(update={"engines": [engine]})}
    )
    run = run_audit(
        policy=policy,
        as_of=AS_OF,
        only=["secrets", "rotation"],
        repos=[repo],
        environ=dict(gcp.env),
    )

    leaked = {f.details["principal"]: f for f in by_rule(run)["leaked-live-credential"]}
    deployer = leaked[DEPLOYER]
    assert deployer.severity == Severity.CRITICAL
    assert deployer.resource == (
        f"projects/shop-prod/serviceAccounts/{DEPLOYER}/keys/1111aaaa2222bbbb"
    )
    assert deployer.owner == "team-shop"
    details = deployer.details
    assert (details["provider"], details["kind"], details["account"], details["status"]) == (
        "gcp",
        "gcp-sa-key",
        "shop-prod",
        "active",
    )
    assert details["created"] == "2026-05-01T00:00:00Z"
    assert details["last_used"] == {"at": None, "service": None, "region": None}
    assert details["owner_tag"] == "team-shop"
    assert (details["path"], details["where"], details["first_commit"]) == (
        "keys/deployer.json",
        "in-tree",
        commits[0],
    )
    ci = leaked["ci@sandbox.iam.gserviceaccount.com"]
    assert ci.severity == Severity.HIGH and ci.details["status"] == "inactive"
    assert ci.details["first_commit"] == commits[1]
    assert not [f for f in run.findings if f.check == "secrets" and f.rule == "in-tree"]


def test_sharded_runs_are_joined_by_the_merge(aws: str, make_repo: Callable[..., Path]) -> None:
    from hygiene.merge import Part, merge_parts
    from hygiene.shard import Shard

    live, _ = iam_user(aws, "deploy-bot", {"Owner": "team-payments"})
    repos = [
        make_repo("a", [{"x.py": f'K = "{live["AccessKeyId"]}"\n'}]),
        make_repo("b", [{"y.py": 'K = "AKIA2E7A4F3B244C5336"\n'}]),
    ]

    def audit(shard: Shard | None) -> dict[str, Any]:
        options = {"shard": shard} if shard else None
        only = ["secrets", "rotation"]
        run = run_audit(policy=AWS_POLICY, as_of=AS_OF, only=only, repos=repos, options=options)
        return json.loads(json.dumps(run.to_contract()))  # as the shard's file holds it

    whole = audit(None)
    parts = [Part(f"p{i}", audit(Shard(i, 2))) for i in range(2)]
    assert all("live_keys" not in p.run["checks"]["secrets"]["stats"] for p in parts)
    merged = merge_parts(parts, 2, AWS_POLICY).run.to_contract()

    def view(document: dict[str, Any]) -> list[tuple[str, str, str]]:
        return sorted(
            (f["id"], f["rule"], f["message"])
            for f in document["findings"]
            if f["check"] == "secrets"
        )

    assert view(merged) == view(whole)
    assert {f["rule"] for f in merged["findings"]} >= {"leaked-live-credential"}
    stats = merged["run"]["checks"]["secrets"]["stats"]["live_keys"]
    assert stats == whole["run"]["checks"]["secrets"]["stats"]["live_keys"]
    assert stats == {"active": 1, "inactive": 0, "not_found": 1, "not_checked": 0}
