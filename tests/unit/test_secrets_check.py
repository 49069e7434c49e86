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
    category="provider-token",
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
        # a provider's token format is high (critical only when validated live); one level
        # lower when only history holds it
        ("in-tree", Severity.HIGH, "api:app/settings.py"),
        ("history-only", Severity.MEDIUM, "api:old/deploy.py"),
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
        "category": "provider-token",
        "engine": "detect-secrets",
    }
    assert live.message.startswith("Rotate the AWS Access Key committed in app/settings.py line 12")
    assert "3f2c9a1b7d4e" in findings[1].message and "HEAD no longer has it" in findings[1].message


def test_id_ignores_line_and_commit_but_not_the_secret() -> None:
    moved = replace(LIVE, line=40, commit="f" * 40)
    other = replace(LIVE, sha256="d" * 64)
    ids = [f.id for f in evaluate([LIVE, moved, other], Policy(), AS_OF)]
    assert ids[0] == ids[1] != ids[2]


def test_severity_per_kind_and_per_detector_from_the_policy() -> None:
    policy = Policy(
        secrets=SecretsPolicy.model_validate(
            {
                "severity": {
                    "provider-token": "critical",
                    "github-token/provider-token": "low",
                    "generic": "low",
                },
                "lower": {"history_only": 0},
            }
        )
    )
    other_gone = replace(
        GONE, rule="secret-keyword", type="Secret Keyword", sha256="e" * 64, category="generic"
    )
    found = {
        f.details["type"]: f.severity for f in evaluate([LIVE, GONE, other_gone], policy, AS_OF)
    }
    assert found == {
        "aws-access-key": Severity.CRITICAL,
        "github-token": Severity.LOW,
        "secret-keyword": Severity.LOW,
    }


def test_default_severities_by_kind_pass_fail_on_high_for_generic_values() -> None:
    """A keyword-assigned or high-entropy value of no known format is medium (so the default
    --fail-on high passes a repository with only such hits); a hash low; an encrypted file info."""
    kinds = {
        "provider-token": Severity.HIGH,
        "private-key": Severity.HIGH,
        "password": Severity.HIGH,
        "generic": Severity.MEDIUM,
        "password-hash": Severity.LOW,
        "encrypted-file": Severity.INFO,
    }
    records = [
        replace(LIVE, category=kind, sha256=str(i) * 64)  # type: ignore[arg-type]
        for i, kind in enumerate(kinds)
    ]
    findings = evaluate(records, Policy(), AS_OF)
    assert {f.details["category"]: f.severity for f in findings} == kinds
    assert {f.details["category"]: f.rule for f in findings} == {
        "provider-token": "in-tree",
        "private-key": "in-tree",
        "password": "in-tree",
        "generic": "in-tree",
        "password-hash": "password-hash",
        "encrypted-file": "encrypted-file",
    }
    by_rule = {f.rule: f for f in findings}
    assert "password hash" in by_rule["password-hash"].message
    assert "encrypted secrets file" in by_rule["encrypted-file"].message


def test_test_fixture_example_and_docs_paths_are_one_level_lower() -> None:
    paths = ["tests/fixtures/keys.py", "src/app.test.ts", "examples/config.py", "docs/setup.md"]
    records = [replace(LIVE, path=p, sha256=str(i) * 64) for i, p in enumerate(paths)]
    assert {f.severity for f in evaluate(records, Policy(), AS_OF)} == {Severity.MEDIUM}
    # history-only and a test path: two levels; never below info
    old = replace(GONE, path="spec/old.rb", category="generic")
    assert evaluate([old], Policy(), AS_OF)[0].severity == Severity.INFO
    custom = Policy(secrets=SecretsPolicy(test_paths=["qa/**"]))
    assert evaluate([replace(LIVE, path="tests/x.py")], custom, AS_OF)[0].severity == "high"
    assert evaluate([replace(LIVE, path="qa/x.py")], custom, AS_OF)[0].severity == "medium"


def test_baseline_false_positives_are_dropped_audited_are_marked() -> None:
    findings = evaluate(
        [replace(LIVE, baseline="false-positive"), replace(GONE, baseline="audited")],
        Policy(),
        AS_OF,
    )
    assert [(f.rule, f.details["baseline"]) for f in findings] == [("history-only", "audited")]
    assert "audited in the detect-secrets baseline" in findings[0].message
