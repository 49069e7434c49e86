"""``hygiene audit --only rotation`` as a user runs it: seeded moto account, registry, --as-of."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REPO_ROOT, run_cli
from tests.fixtures.rotation.seed import ACCOUNT, SECRET_VALUE, seed

pytestmark = pytest.mark.e2e


def write_policy(path: Path, as_of_day: str, stripe_rotated: str, vault_rotated: str) -> Path:
    path.write_text(
        f"""\
aws:
  regions: [us-east-1]
rotation:
  registry:
    - name: stripe-api-key
      owner: payments
      env: production
      last_rotated: {stripe_rotated}
    - name: vault-db-root
      kind: vault-token
      owner: dba
      env: dev
      max_age_days: 30
      last_rotated: {vault_rotated}
    - name: newrelic-license
      owner: sre
      last_rotated: {as_of_day}
exceptions:
  - match: {{check: rotation, rule: rotation-disabled, name: legacy-token}}
    reason: vendor integration pins a yearly rotation until Q3
    owner: platform
    expires: 2099-01-01
""",
        encoding="utf-8",
    )
    return path


def test_audit_reports_exactly_overdue_due_soon_disabled_unused_and_registry(
    aws: str, tmp_path: Path
) -> None:
    estate = seed(aws)
    as_of = estate.seeded_at + timedelta(days=100, hours=1)
    day = as_of.date()
    policy = write_policy(
        tmp_path / "policy.yaml",
        day.isoformat(),
        stripe_rotated=(day - timedelta(days=95)).isoformat(),
        vault_rotated=(day - timedelta(days=20)).isoformat(),
    )

    done = run_cli(
        "audit", "--only", "rotation", "--config", str(policy), "--as-of", as_of.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--format", "json", "--no-state", cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    assert "hygiene: complete;" in done.stderr
    document = json.loads(done.stdout)
    jsonschema.validate(
        document, json.loads((REPO_ROOT / "docs" / "findings-v1.schema.json").read_text())
    )
    assert document["run"]["checks"]["rotation"]["status"] == "ok"
    names = {v: k for k, v in estate.keys.items()} | {v: f"kms:{k}" for k, v in estate.kms.items()}
    found = {
        (
            f["rule"],
            names.get(
                f["details"].get("name"), f["details"].get("name") or f["details"]["principal"]
            ),
        )
        for f in document["findings"]
    }
    assert found == {
        ("rotation-overdue", "alice"),  # prod key, 100 days > 90
        (
            "unused-credential",
            "alice",
        ),  # her key: last used 100 days ago; her console password: never
        ("unused-credential", "ci-used"),  # last used 100 days ago
        ("unused-credential", "ci-never"),
        ("multiple-active-keys", f"arn:aws:iam::{ACCOUNT}:user/ci-bot"),
        ("certificate-expiring", "legacy-lb"),
        ("certificate-expiring", "shop.example.org"),
        ("rotation-disabled", "db-password"),
        ("unused-credential", "db-password"),
        ("rotation-overdue", "api-token"),
        ("unused-credential", "api-token"),
        # legacy-token's rotation-disabled is covered by the policy's exception
        ("rotation-overdue", "legacy-token"),
        ("unused-credential", "legacy-token"),
        ("rotation-disabled", "kms:plain"),
        ("rotation-overdue", "stripe-api-key"),
        ("rotation-due-soon", "vault-db-root"),
    }
    unused_alice = [
        f
        for f in document["findings"]
        if f["rule"] == "unused-credential" and f["details"].get("user") == "alice"
    ]
    assert {f["details"]["kind"] for f in unused_alice} == {
        "iam-access-key",
        "iam-console-password",
    }
    stripe = next(f for f in document["findings"] if f["details"].get("name") == "stripe-api-key")
    assert stripe["severity"] == "high"
    assert (stripe["owner"], stripe["env"], stripe["resource"]) == (
        "payments",
        "prod",
        "registry:stripe-api-key",
    )
    assert (stripe["details"]["age_days"], stripe["details"]["limit_days"]) == (95, 90)
    assert stripe["message"] == (
        "The external secret stripe-api-key (owner payments) was last rotated 95 days ago, over the 90-day "
        "limit for prod: rotate it where it lives, then update last_rotated in the policy registry."
    )
    assert document["run"]["checks"]["policy"]["stats"]["suppressed"] == 1
    assert SECRET_VALUE not in done.stdout and SECRET_VALUE not in done.stderr


def test_audit_with_only_the_registry_and_no_cloud_reports_the_registry(tmp_path: Path) -> None:
    policy = write_policy(tmp_path / "policy.yaml", "2026-06-30", "2026-01-01", "2026-06-10")
    done = run_cli(
        "audit", "--only", "rotation", "--config", str(policy), "--as-of", "2026-06-30",
        "--format", "json", "--no-state", "--fail-on", "critical", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    check = document["run"]["checks"]["rotation"]
    assert check["status"] == "ok"
    assert check["stats"]["aws"]["status"] == "skipped"
    assert check["stats"]["gcp"]["status"] == "skipped"
    assert {(f["rule"], f["details"]["name"]) for f in document["findings"]} == {
        ("rotation-overdue", "stripe-api-key"),  # 180 days
        ("rotation-due-soon", "vault-db-root"),  # 20 days of its own 30
    }
    assert "hygiene: complete; 2 finding(s), 0 at or above critical" in done.stderr
