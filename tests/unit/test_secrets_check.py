"""The secrets evaluator: pure over records — rules, severities, ids, messages, baseline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hygiene.checks.secrets.rules import evaluate
from hygiene.findings import Severity
from hygiene.policy import Policy, SecretsPolicy
from hygiene.scan.history import SecretRecord

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)
LIVE = SecretRecord(
    repo="api",
    path="app/settings.py",
    rule="aws-access-key",
    type="AWS Access Key",
    line=12,
    commit="3f2c9a1b7d4e" + "0" * 28,
    preview="AKIA…",
    sha256="a" * 64,
    hashed_secret="b" * 40,
    in_tree=True,
)
GONE = replace(
    LIVE,
    path="old/deploy.py",
    rule="github-token",
    type="GitHub Token",
    in_tree=False,
    sha256="c" * 64,
)


def test_rules_severities_and_contract_fields() -> None:
    findings = evaluate([LIVE, GONE], Policy(), AS_OF)
    assert [(f.rule, f.severity, f.resource) for f in findings] == [
        ("in-tree", Severity.CRITICAL, "api:app/settings.py"),
        ("history-only", Severity.HIGH, "api:old/deploy.py"),
    ]
    live = findings[0]
    assert live.location is not None and live.location.line == 12
    assert live.location.commit == LIVE.commit
    assert live.details == {
        "type": "aws-access-key",
        "detector": "AWS Access Key",
        "preview": "AKIA…",
        "sha256": "a" * 64,
        "commit": LIVE.commit,
        "in_tree": True,
        "baseline": None,
    }
    assert live.message.startswith("Rotate the AWS Access Key committed in app/settings.py line 12")
    assert "3f2c9a1b7d4e" in findings[1].message and "HEAD no longer has it" in findings[1].message


def test_id_ignores_line_and_commit_but_not_the_secret() -> None:
    moved = replace(LIVE, line=40, commit="f" * 40)
    other = replace(LIVE, sha256="d" * 64)
    ids = [f.id for f in evaluate([LIVE, moved, other], Policy(), AS_OF)]
    assert ids[0] == ids[1] != ids[2]


def test_severity_per_rule_and_per_detector_from_the_policy() -> None:
    policy = Policy(
        secrets=SecretsPolicy(
            severity={
                "in-tree": Severity.HIGH,
                "history-only": Severity.LOW,
                "github-token/history-only": Severity.CRITICAL,
            }
        )
    )
    other_gone = replace(GONE, rule="secret-keyword", type="Secret Keyword", sha256="e" * 64)
    found = {
        f.details["type"]: f.severity for f in evaluate([LIVE, GONE, other_gone], policy, AS_OF)
    }
    assert found == {
        "aws-access-key": Severity.HIGH,
        "github-token": Severity.CRITICAL,
        "secret-keyword": Severity.LOW,
    }


def test_baseline_false_positives_are_dropped_audited_are_marked() -> None:
    findings = evaluate(
        [replace(LIVE, baseline="false-positive"), replace(GONE, baseline="audited")],
        Policy(),
        AS_OF,
    )
    assert [(f.rule, f.details["baseline"]) for f in findings] == [("history-only", "audited")]
    assert "audited in the detect-secrets baseline" in findings[0].message
