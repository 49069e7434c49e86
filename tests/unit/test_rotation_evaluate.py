"""The rotation evaluator over plain records: every rule, limits, grace, as_of."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from hygiene.checks.rotation.rules import KINDS, RULES, evaluate, limit_for
from hygiene.findings import Severity
from hygiene.policy import Policy, RotationPolicy
from hygiene.records.cloud import CredentialRecord

AS_OF = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
USER = "arn:aws:iam::111122223333:user/ci-bot"


def ago(days: int, hours: int = 0) -> datetime:
    return AS_OF - timedelta(days=days, hours=hours)


def key(name: str, created_days: int, **fields: object) -> CredentialRecord:
    base = CredentialRecord(
        provider="aws",
        account="111122223333",
        kind="iam-access-key",
        resource_id=USER,
        name=name,
        created=ago(created_days),
        last_used=ago(1),
        owner="ci-bot",
        details={"principal": USER, "user": "ci-bot", "user_has_console": True},
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def secret(name: str, **fields: object) -> CredentialRecord:
    base = CredentialRecord(
        provider="aws",
        account="111122223333",
        kind="secretsmanager-secret",
        resource_id=f"arn:aws:secretsmanager:eu-west-1:111122223333:secret:{name}-AbCdEf",
        name=name,
        region="eu-west-1",
        created=ago(10),
        last_used=ago(1),
        rotation_enabled=True,
        rotation_interval_days=30,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def pairs(
    records: list[CredentialRecord], policy: Policy | None = None, as_of: datetime = AS_OF
) -> set[tuple[str, str]]:
    return {(f.rule, f.details["name"]) for f in evaluate(records, policy or Policy(), as_of)}


def test_every_rule_has_a_default_severity_and_every_kind_a_remedy() -> None:
    assert set(RotationPolicy().severity) == set(RULES)
    assert all(info.rotate and info.retire for info in KINDS.values())


def solo(name: str, created_days: int, **fields: object) -> CredentialRecord:
    """A key that is its user's only key."""
    user = f"arn:aws:iam::111122223333:user/{name.lower()}"
    return key(name, created_days, resource_id=user, details={"principal": user}, **fields)


def test_age_against_limit_overdue_due_soon_and_fine() -> None:
    records = [
        solo("AKIAOVERDUE", 91),
        solo("AKIAEXACTLY90", 90),
        solo("AKIADUESOON", 76),
        solo("AKIAFRESH", 75),
    ]
    assert pairs(records) == {
        ("rotation-overdue", "AKIAOVERDUE"),
        ("rotation-due-soon", "AKIAEXACTLY90"),
        ("rotation-due-soon", "AKIADUESOON"),
    }
    due = {f.details["name"]: f for f in evaluate(records, Policy(), AS_OF)}
    assert due["AKIADUESOON"].details["due_in_days"] == 14
    assert due["AKIAEXACTLY90"].message.endswith(
        "reaches the 90-day limit today: create a new access key, move its clients to it, then deactivate "
        "and delete this one."
    )


def test_overdue_finding_carries_age_limit_owner_and_what_to_do() -> None:
    [finding] = evaluate(
        [key("AKIAOLD", 120, tags={"Env": "production", "Project": "ci"})], Policy(), AS_OF
    )
    assert finding.rule == "rotation-overdue"
    assert finding.severity is Severity.HIGH
    assert finding.resource == USER
    assert (finding.owner, finding.project, finding.env) == ("ci-bot", "ci", "prod")
    assert finding.message == (
        "The IAM access key AKIAOLD (owner ci-bot) was created 120 days ago, over the 90-day limit "
        "for prod: create a new access key, move its clients to it, then deactivate and delete this one."
    )
    assert finding.details["age_days"] == 120
    assert finding.details["limit_days"] == 90
    assert finding.details["limit_source"] == "per_env"
    assert finding.details["basis"] == "created"
    assert finding.details["due_in_days"] == -30
    assert finding.details["account"] == "111122223333"
    assert finding.scope == "111122223333"


def test_owner_tag_wins_over_the_iam_user() -> None:
    [finding] = evaluate([key("AKIAOLD", 120, tags={"owner": "platform-team"})], Policy(), AS_OF)
    assert finding.owner == "platform-team"


def test_limits_per_env_per_kind_and_the_most_specific_wins() -> None:
    policy = RotationPolicy(max_age_days=60, per_kind={"iam-access-key": 30}, per_env={"dev": 180})
    dev = key("AKIA", 1, tags={"Env": "dev"})
    assert limit_for(dev, "dev", policy).days == 30
    assert limit_for(dev, "dev", policy).source == "per_kind"
    assert limit_for(secret("s"), "dev", policy).days == 180
    assert limit_for(secret("s"), None, policy).source == "default"
    assert limit_for(secret("s", details={"max_age_days": 7}), "dev", policy).source == "registry"


def test_dev_key_gets_the_dev_limit_and_untagged_the_default() -> None:
    records = [solo("AKIADEV", 120, tags={"Env": "development"}), solo("AKIANOENV", 120)]
    assert pairs(records) == {("rotation-overdue", "AKIANOENV")}


def test_as_of_moves_time_for_the_whole_check() -> None:
    record = key("AKIA", 0)
    assert pairs([record], as_of=AS_OF) == set()
    assert pairs([record], as_of=AS_OF + timedelta(days=80)) == {("rotation-due-soon", "AKIA")}
    assert pairs([record], as_of=AS_OF + timedelta(days=91)) == {
        ("rotation-overdue", "AKIA"),
        ("unused-credential", "AKIA"),  # last used a day before AS_OF: 92 days idle by then
    }


def test_credentials_created_after_as_of_did_not_exist_yet() -> None:
    assert evaluate([key("AKIA", -5, last_used=None)], Policy(), AS_OF) == []


def test_last_rotated_is_the_age_basis_when_known() -> None:
    [finding] = evaluate([secret("db", created=ago(400), last_rotated=ago(100))], Policy(), AS_OF)
    assert (finding.rule, finding.details["age_days"], finding.details["basis"]) == (
        "rotation-overdue",
        100,
        "last_rotated",
    )
    assert "was last rotated 100 days ago" in finding.message


def test_rotation_off_and_schedule_longer_than_limit() -> None:
    records = [
        secret("off", rotation_enabled=False, rotation_interval_days=None),
        secret("slow", rotation_interval_days=120),
        secret("ok", rotation_interval_days=90),
    ]
    findings = {
        (f.rule, f.details["name"], f.details["reason"]) for f in evaluate(records, Policy(), AS_OF)
    }
    assert findings == {
        ("rotation-disabled", "off", "rotation-off"),
        ("rotation-disabled", "slow", "schedule-exceeds-limit"),
    }


def test_kms_keys_are_judged_by_schedule_not_by_their_creation_date() -> None:
    base = CredentialRecord(
        provider="aws",
        account="1",
        kind="kms-key",
        resource_id="arn:kms:k",
        name="k",
        created=ago(2000),
        rotation_enabled=True,
        rotation_interval_days=365,
    )
    assert evaluate([base], Policy(), AS_OF) == []
    [off] = evaluate(
        [replace(base, rotation_enabled=False, rotation_interval_days=None)], Policy(), AS_OF
    )
    assert (off.rule, off.severity) == ("rotation-disabled", Severity.MEDIUM)
    assert {
        k: off.details[k] for k in ("age_days", "basis", "limit_days", "limit_source", "reason")
    } == {
        "age_days": 2000,
        "basis": "created",
        "limit_days": 365,
        "limit_source": "per_kind",
        "reason": "rotation-off",
    }
    assert off.message == (
        "Automatic rotation is off for the KMS key k: enable automatic key rotation "
        "(aws kms enable-key-rotation) with a period within the limit."
    )
    strict = Policy(rotation=RotationPolicy(per_kind={"kms-key": 180}))
    assert {f.details["reason"] for f in evaluate([base], strict, AS_OF)} == {
        "schedule-exceeds-limit"
    }


def test_unused_never_used_beyond_grace_and_idle_beyond_unused_days() -> None:
    records = [
        key("AKIANEW", 7, last_used=None, resource_id="u1", details={"principal": "u1"}),
        key(
            "AKIANEVER",
            8,
            last_used=None,
            resource_id="u2",
            details={"principal": "u2", "user_has_console": False},
        ),
        key("AKIAIDLE", 20, last_used=ago(91), resource_id="u3", details={"principal": "u3"}),
        key("AKIABUSY", 20, last_used=ago(90), resource_id="u4", details={"principal": "u4"}),
    ]
    findings = {f.details["name"]: f for f in evaluate(records, Policy(), AS_OF)}
    assert set(findings) == {"AKIANEVER", "AKIAIDLE"}
    assert findings["AKIANEVER"].message == (
        "The IAM access key AKIANEVER (owner ci-bot) was created 8 days ago and has never been used: "
        "deactivate it, then delete it if nothing breaks; its user has no console access either, "
        "so the user may be obsolete."
    )
    assert findings["AKIAIDLE"].details["unused_for_days"] == 91
    assert findings["AKIAIDLE"].rule == "unused-credential"


def test_usage_is_judged_only_where_the_source_tracks_it() -> None:
    external = CredentialRecord(
        provider="external",
        account="registry",
        kind="external",
        resource_id="registry:t",
        name="t",
        last_rotated=ago(3),
    )
    kms = CredentialRecord(
        provider="aws",
        account="1",
        kind="kms-key",
        resource_id="k",
        name="k",
        created=ago(300),
        rotation_enabled=True,
        rotation_interval_days=365,
    )
    assert evaluate([external, kms], Policy(), AS_OF) == []


def test_console_password_is_judged_by_use_only() -> None:
    password = CredentialRecord(
        provider="aws",
        account="1",
        kind="iam-console-password",
        resource_id=USER,
        name="ci-bot",
        created=ago(900),
        last_used=ago(200),
        owner="ci-bot",
    )
    [finding] = evaluate(
        [password, replace(password, last_used=ago(10), resource_id="x")], Policy(), AS_OF
    )
    assert (finding.rule, finding.resource) == ("unused-credential", USER)
    assert (
        finding.details["remediation"]
        == "remove the user's console access (delete the login profile)"
    )


def test_multiple_active_keys_per_principal_ignores_inactive_keys() -> None:
    records = [key("AKIAONE", 10), key("AKIATWO", 3), key("AKIAOFF", 5, active=False)]
    [finding] = evaluate(records, Policy(), AS_OF)
    assert finding.rule == "multiple-active-keys"
    assert finding.resource == USER
    assert finding.details["keys"] == ["AKIAONE", "AKIATWO"]
    assert finding.details["key_ages_days"] == [10, 3]
    assert finding.message == (
        f"{USER} has 2 active IAM access keys (AKIAONE, AKIATWO): keep one, move clients to it, "
        "then deactivate and delete the other."
    )


def test_inactive_keys_are_not_judged() -> None:
    assert evaluate([key("AKIAOFF", 400, active=False, last_used=None)], Policy(), AS_OF) == []


def test_certificates_expiring_expired_and_fine() -> None:
    def cert(name: str, expires: datetime) -> CredentialRecord:
        return CredentialRecord(
            provider="aws",
            account="1",
            kind="acm-certificate",
            resource_id=f"arn:acm:{name}",
            name=name,
            expires=expires,
            created=ago(300),
        )

    records = [
        cert("soon.example.org", AS_OF + timedelta(days=30)),
        cert("later.example.org", AS_OF + timedelta(days=31)),
        cert("gone.example.org", AS_OF - timedelta(days=3)),
        cert("today.example.org", AS_OF + timedelta(hours=2)),
    ]
    found = {f.details["name"]: f for f in evaluate(records, Policy(), AS_OF)}
    assert set(found) == {"soon.example.org", "gone.example.org", "today.example.org"}
    assert {f.rule for f in found.values()} == {"certificate-expiring"}
    assert (
        found["soon.example.org"].details["days_left"],
        found["soon.example.org"].details["expired"],
    ) == (30, False)
    assert (
        found["gone.example.org"].details["days_left"],
        found["gone.example.org"].details["expired"],
    ) == (-3, True)
    assert found["gone.example.org"].message == (
        "The ACM certificate gone.example.org expired 3 days ago (2026-06-27): renew or re-import the certificate."
    )
    assert found["today.example.org"].message.startswith(
        "The ACM certificate today.example.org expires today"
    )


def test_registry_entries_are_judged_like_cloud_credentials() -> None:
    token = CredentialRecord(
        provider="external",
        account="registry",
        kind="external",
        resource_id="registry:stripe",
        name="stripe",
        last_rotated=ago(100),
        owner="payments",
        env="prod",
    )
    vault = replace(
        token,
        name="vault-db",
        resource_id="registry:vault-db",
        last_rotated=ago(20),
        details={"max_age_days": 30},
        env="dev",
    )
    findings = {f.details["name"]: f for f in evaluate([token, vault], Policy(), AS_OF)}
    assert {(n, f.rule) for n, f in findings.items()} == {
        ("stripe", "rotation-overdue"),
        ("vault-db", "rotation-due-soon"),
    }
    assert findings["stripe"].owner == "payments"
    assert findings["stripe"].message == (
        "The external secret stripe (owner payments) was last rotated 100 days ago, over the 90-day limit "
        "for prod: rotate it where it lives, then update last_rotated in the policy registry."
    )
    assert findings["vault-db"].details["limit_source"] == "registry"
    assert "max_age_days" not in findings["vault-db"].details
    assert findings["vault-db"].scope == "registry"


def test_severity_comes_from_the_policy() -> None:
    policy = Policy(rotation=RotationPolicy(severity={"rotation-overdue": Severity.CRITICAL}))
    [finding] = evaluate([key("AKIAOLD", 120)], policy, AS_OF)
    assert finding.severity is Severity.CRITICAL


def test_ids_are_stable_across_runs_and_do_not_contain_time() -> None:
    first = evaluate([key("AKIAOLD", 120)], Policy(), AS_OF)
    later = evaluate([key("AKIAOLD", 120)], Policy(), AS_OF + timedelta(days=30))
    assert [f.id for f in first] == [f.id for f in later]
    assert (first[0].details["age_days"], later[0].details["age_days"]) == (120, 150)


@pytest.mark.parametrize("kind", ["gcp-sa-key", "gcp-secret", "some-new-kind"])
def test_other_providers_kinds_are_judged_by_age(kind: str) -> None:
    record = CredentialRecord(
        provider="gcp",
        account="proj-1",
        kind=kind,
        resource_id=f"projects/proj-1/{kind}/x",
        name="x",
        created=ago(200),
    )
    assert pairs([record]) == {("rotation-overdue", "x")}


def test_a_failing_automatic_rotation_says_so() -> None:
    [finding] = evaluate(
        [secret("api", last_rotated=ago(100), rotation_interval_days=30)], Policy(), AS_OF
    )
    assert finding.rule == "rotation-overdue"
    assert (finding.details["rotation_interval_days"], finding.details["rotation_late_days"]) == (
        30,
        70,
    )
    assert finding.message == (
        "The Secrets Manager secret api was last rotated 100 days ago, over the 90-day limit: automatic "
        "rotation is on (every 30 days) but has not run for 70 days past its schedule; check the rotation "
        "function and its logs, then rotate it."
    )


def test_no_due_soon_when_automatic_rotation_comes_first() -> None:
    on_time = secret("s", last_rotated=ago(80), rotation_interval_days=85)
    assert evaluate([on_time], Policy(), AS_OF) == []
    assert pairs([replace(on_time, rotation_interval_days=None, rotation_enabled=False)]) == {
        ("rotation-due-soon", "s"),
        ("rotation-disabled", "s"),
    }


def test_rotation_off_says_how_to_turn_it_on_and_names_aliases() -> None:
    [off] = evaluate(
        [secret("db", rotation_enabled=False, rotation_interval_days=None)], Policy(), AS_OF
    )
    assert off.message == (
        "Automatic rotation is off for the Secrets Manager secret db: turn on automatic rotation with a "
        "rotation function and a schedule within the limit (aws secretsmanager rotate-secret "
        "--rotation-lambda-arn … --rotation-rules …)."
    )
    assert off.details["remediation"].startswith("turn on automatic rotation")
    kms = CredentialRecord(provider="aws", account="1", kind="kms-key", resource_id="arn:kms:k", name="k",
                           created=ago(10), rotation_enabled=False, owner="security",
                           details={"aliases": ["alias/orders", "alias/x"]})  # fmt: skip
    [finding] = evaluate([kms], Policy(), AS_OF)
    assert finding.message.startswith(
        "Automatic rotation is off for the KMS key k (alias/orders, owner security): "
    )


def test_an_owner_equal_to_the_name_is_not_repeated() -> None:
    password = CredentialRecord(provider="aws", account="1", kind="iam-console-password", resource_id=USER,
                                name="ci-bot", created=ago(30), owner="ci-bot")  # fmt: skip
    [finding] = evaluate([password], Policy(), AS_OF)
    assert finding.message == (
        "The console password ci-bot was created 30 days ago and has never been used: remove the user's "
        "console access (delete the login profile)."
    )


ROOT = "arn:aws:iam::111122223333:root"


def root_user(mfa: bool, **fields: object) -> CredentialRecord:
    base = CredentialRecord(
        provider="aws",
        account="111122223333",
        kind="root-user",
        resource_id=ROOT,
        name="root",
        created=ago(2000),
        last_used=ago(3),
        details={"principal": ROOT, "mfa_active": mfa, "active_access_keys": 0,
                 "report_generated": "2026-06-30T10:00:00Z"},
    )  # fmt: skip
    return replace(base, **fields)  # type: ignore[arg-type]


def root_key(slot: int, created_days: int, **fields: object) -> CredentialRecord:
    base = CredentialRecord(
        provider="aws",
        account="111122223333",
        kind="root-access-key",
        resource_id=ROOT,
        name=f"access_key_{slot}",
        created=ago(created_days),
        details={"principal": ROOT, "slot": slot, "last_used_service": None,
                 "last_used_region": None, "report_generated": "2026-06-30T10:00:00Z"},
    )  # fmt: skip
    return replace(base, **fields)  # type: ignore[arg-type]


def test_an_active_root_access_key_is_critical_whatever_its_age_or_use() -> None:
    used = root_key(
        1,
        400,
        last_used=ago(2),
        details={**root_key(1, 400).details, "last_used_service": "s3",
                 "last_used_region": "us-east-1"},
    )  # fmt: skip
    fresh_unused = root_key(2, 0)
    found = evaluate([used, fresh_unused, root_user(True)], Policy(), AS_OF)
    findings = sorted(found, key=lambda f: f.details["name"])
    # one finding per key, and nothing else: no age, unused or multiple-active-keys rules for them
    assert [(f.rule, f.severity, f.resource, f.details["name"]) for f in findings] == [
        ("root-access-key", Severity.CRITICAL, ROOT, "access_key_1"),
        ("root-access-key", Severity.CRITICAL, ROOT, "access_key_2"),
    ]
    first = findings[0]
    assert first.message == (
        "The root user of account 111122223333 has an active access key (access_key_1, created "
        "2025-05-26, last used 2026-06-28 (s3, us-east-1)); the root user must have no access keys: "
        "sign in as the root user, delete the key (Security credentials, Access keys) and give "
        "whatever used it an IAM role or a user of its own."
    )
    assert first.details == {
        "kind": "root-access-key",
        "provider": "aws",
        "account": "111122223333",
        "region": "global",
        "name": "access_key_1",
        "principal": ROOT,
        "slot": 1,
        "last_used_service": "s3",
        "last_used_region": "us-east-1",
        "report_generated": "2026-06-30T10:00:00Z",
        "created": "2025-05-26T12:00:00Z",
        "age_days": 400,
        "last_used": "2026-06-28T12:00:00Z",
        "remediation": KINDS["root-access-key"].rotate,
    }
    assert (first.owner, first.project, first.env) == (None, None, None)
    assert findings[1].message.startswith(
        "The root user of account 111122223333 has an active access key (access_key_2, created "
        "2026-06-30, never used); "
    )
    assert findings[0].id != findings[1].id


def test_an_inactive_root_key_is_not_judged() -> None:
    assert pairs([root_key(1, 100, active=False)]) == set()


def test_root_user_without_mfa() -> None:
    assert pairs([root_user(True)]) == set()
    [finding] = evaluate([root_user(False)], Policy(), AS_OF)
    assert (finding.rule, finding.severity, finding.resource) == (
        "root-mfa-disabled",
        Severity.HIGH,
        ROOT,
    )
    assert finding.message == (
        "The root user of account 111122223333 has no MFA device: sign in as the root user and "
        "assign it an MFA device (Security credentials, Multi-factor authentication), preferably "
        "a hardware key or passkey."
    )
    assert finding.details["mfa_active"] is False
    assert finding.details["password_last_used"] == "2026-06-27T12:00:00Z"
    # the id does not move as time passes
    later = evaluate([root_user(False)], Policy(), AS_OF + timedelta(days=40))
    assert [f.id for f in later] == [finding.id]


def test_root_rule_severities_come_from_the_policy() -> None:
    policy = Policy(
        rotation=RotationPolicy(
            severity={"root-access-key": Severity.HIGH, "root-mfa-disabled": Severity.CRITICAL}
        )
    )
    found = evaluate([root_key(1, 5), root_user(False)], policy, AS_OF)
    assert {(f.rule, f.severity) for f in found} == {
        ("root-access-key", Severity.HIGH),
        ("root-mfa-disabled", Severity.CRITICAL),
    }
