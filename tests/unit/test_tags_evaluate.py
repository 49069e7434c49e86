"""The tags evaluator on plain records: each rule, suggestions, scope rules, compliance figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hygiene.checks.tags.rules import ComplianceTally, compliance, evaluate, suggest
from hygiene.exceptions import apply_exceptions
from hygiene.findings import Severity
from hygiene.policy import Policy, PolicyException, TagsPolicy
from hygiene.records.cloud import ResourceRecord

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)
GOOD = {"Project": "checkout", "Owner": "team-a", "Env": "prod"}


def rec(
    name: str,
    tags: dict[str, str] | None,
    *,
    rtype: str = "ec2:instance",
    account: str = "111111111111",
    provider: Any = "aws",
    managed: bool = False,
) -> ResourceRecord:
    return ResourceRecord(
        provider=provider,
        account=account,
        region="us-east-1",
        resource_type=rtype,
        resource_id=f"arn:aws:ec2:us-east-1:{account}:instance/{name}",
        tags=tags,
        name=name,
        managed_by_provider=managed,
    )


def summary(
    records: list[ResourceRecord], policy: Policy | None = None
) -> set[tuple[str, str, str]]:
    out = set()
    for f in evaluate(records, policy or Policy(), AS_OF):
        key = (
            f.details.get("raw_key")
            or f.details.get("key")
            or ",".join(f.details.get("missing", []))
        )
        out.add((f.rule, f.details["name"], key))
    return out


def test_compliant_resource_has_no_finding() -> None:
    assert (
        summary([rec("ok", GOOD), rec("aliased-value", {**GOOD, "Env": " Production "})]) == set()
    )


def test_each_rule_exactly() -> None:
    records = [
        rec("never", {}),
        rec("partial", {"Project": "x"}),
        rec("cased", {"project": "x", "Owner": "o", "ENV": "dev"}),
        rec("alias", {"Project": "x", "Owner": "o", "Environment": "dev"}),
        rec("spaces", {"Project": "x", " Owner ": "o", "Env": "dev"}),
        rec("invalid", {"Project": "x", "Owner": "o", "Env": "prodution"}),
        rec("empty", {"Project": "", "Owner": "  ", "Env": "dev"}),
    ]
    assert summary(records) == {
        ("missing-tag", "never", "Project,Owner,Env"),
        ("missing-tag", "partial", "Owner,Env"),
        ("tag-key-case", "cased", "project"),
        ("tag-key-case", "cased", "ENV"),
        ("tag-key-case", "alias", "Environment"),
        ("tag-key-case", "spaces", " Owner "),
        ("invalid-tag-value", "invalid", "Env"),
        ("empty-tag-value", "empty", "Project"),
        ("empty-tag-value", "empty", "Owner"),
    }


def test_finding_content_and_severity_from_policy() -> None:
    policy = Policy(tags=TagsPolicy(severity={"invalid-tag-value": Severity.HIGH}))
    [finding] = evaluate(
        [rec("web", {"Project": "shop", "Owner": "team-z", "Env": "prodution"})], policy, AS_OF
    )
    assert finding.rule == "invalid-tag-value"
    assert finding.severity is Severity.HIGH
    assert (finding.owner, finding.project, finding.env) == ("team-z", "shop", "prodution")
    assert finding.resource == "arn:aws:ec2:us-east-1:111111111111:instance/web"
    assert finding.details == {
        "provider": "aws",
        "account": "111111111111",
        "region": "us-east-1",
        "resource_type": "ec2:instance",
        "arn": "arn:aws:ec2:us-east-1:111111111111:instance/web",
        "name": "web",
        "tags": {"Project": "shop", "Owner": "team-z", "Env": "prodution"},
        "key": "Env",
        "value": "prodution",
        "allowed": ["local", "dev", "staging", "prod"],
        "suggestion": "prod",
    }
    assert finding.message == (
        "Set tag Env on ec2:instance web (account 111111111111 in us-east-1) to one of local, dev, staging, prod "
        "(did you mean 'prod'?); 'prodution' is not allowed."
    )


def test_never_tagged_message_and_missing_keys() -> None:
    [finding] = evaluate([rec("bare", {})], Policy(), AS_OF)
    assert finding.details["missing"] == ["Project", "Owner", "Env"]
    assert finding.owner is None
    assert finding.message.endswith("(it has no tags at all).")


def test_suggestions() -> None:
    tags = TagsPolicy()
    assert suggest("Env", "prodution", tags) == "prod"
    assert suggest("Env", "Staing", tags) == "staging"
    assert suggest("Env", "developer", tags) == "dev"
    assert suggest("Env", "qa", tags) is None


def test_ids_are_stable_and_distinct_per_key() -> None:
    record = rec("e", {"Project": "", "Owner": "", "Env": "dev"})
    first = {f.id for f in evaluate([record], Policy(), AS_OF)}
    again = {f.id for f in evaluate([record], Policy(), AS_OF)}
    assert first == again and len(first) == 2
    # the missing-tag id does not change when the set of missing keys does
    a = evaluate([rec("m", {"Project": "x"})], Policy(), AS_OF)[0].id
    b = evaluate([rec("m", {})], Policy(), AS_OF)[0].id
    assert a == b


def test_scope_rules_managed_types_and_unknown_tags() -> None:
    records = [
        rec("managed", {}, managed=True),
        rec("bucket", {}, rtype="s3:bucket"),
        rec("unknown", None),
        rec("instance", {}),
    ]
    assert {n for _r, n, _k in summary(records)} == {"bucket", "instance"}
    assert {
        n for _r, n, _k in summary(records, Policy(tags=TagsPolicy(resource_types=["ec2:*"])))
    } == {"instance"}
    assert {
        n for _r, n, _k in summary(records, Policy(tags=TagsPolicy(skip_aws_managed=False)))
    } == {"managed", "bucket", "instance"}


def test_gcp_lowercase_labels_are_correct() -> None:
    labels = {"project": "checkout", "owner": "team-a", "env": "prod"}
    assert (
        summary([rec("vm", labels, provider="gcp", rtype="gcp:compute.googleapis.com/Instance")])
        == set()
    )
    # an alias is still an alias on GCP
    aliased = {"project": "checkout", "owner": "team-a", "environment": "prod"}
    assert summary([rec("vm", aliased, provider="gcp")]) == {("tag-key-case", "vm", "environment")}
    assert summary([rec("ec2", labels)]) == {
        ("tag-key-case", "ec2", "project"),
        ("tag-key-case", "ec2", "owner"),
        ("tag-key-case", "ec2", "env"),
    }


def test_compliance_figures() -> None:
    records = [
        rec("a", GOOD, account="111111111111"),
        rec(
            "b",
            {**GOOD, "Owner": "team-b", "Env": "prodution"},
            account="111111111111",
            rtype="s3:bucket",
        ),
        rec("c", {}, account="222222222222"),
        rec("d", GOOD, account="222222222222", rtype="s3:bucket"),
        rec("m", {}, managed=True),
    ]
    stats = compliance(records, Policy(), AS_OF)
    assert stats == {
        "resources": 4,
        "compliant": 2,
        "compliance_percent": 50.0,
        "managed_skipped": 1,
        "tags_unknown": 0,
        "by_resource_type": {
            "ec2:instance": {"resources": 2, "compliant": 1, "percent": 50.0},
            "s3:bucket": {"resources": 2, "compliant": 1, "percent": 50.0},
        },
        "by_account": {
            "111111111111": {"resources": 2, "compliant": 1, "percent": 50.0},
            "222222222222": {"resources": 2, "compliant": 1, "percent": 50.0},
        },
        "by_owner": {
            "(no owner)": {"resources": 1, "compliant": 0, "percent": 0.0},
            "team-a": {"resources": 2, "compliant": 2, "percent": 100.0},
            "team-b": {"resources": 1, "compliant": 0, "percent": 0.0},
        },
        "by_provider": {"aws": {"resources": 4, "compliant": 2, "percent": 50.0}},
    }
    # a live exception makes its resources count as compliant
    excepted = Policy(
        exceptions=[
            PolicyException(
                match={"account": "222222222222"},
                reason="sandbox",
                owner="ops",
                expires="2027-01-01",
            )
        ]
    )
    assert compliance(records, excepted, AS_OF)["compliant"] == 3


def test_exception_on_a_tag_condition() -> None:
    records = [
        rec("dev", {"Project": "x", "Env": "dev"}),
        rec("prod", {"Project": "x", "Env": "prod"}),
    ]
    findings = evaluate(records, Policy(), AS_OF)
    exception = PolicyException(
        match={"tags.Env": "dev", "rule": "missing-tag"},
        reason="dev boxes",
        owner="ops",
        expires="2027-01-01",
    )
    applied = apply_exceptions(findings, [exception], AS_OF)
    assert [f.details["name"] for f in applied.suppressed] == ["dev"]
    assert [f.details["name"] for f in applied.kept] == ["prod"]


BASE = {"Project": "x", "Owner": "o"}


def test_a_required_key_carried_twice_is_flagged_once_per_key() -> None:
    records = [
        rec("exact-and-case", {**BASE, "Env": "prod", "env": "dev"}),
        rec("case-first", {**BASE, "env": "dev", "Env": "prod"}),
        rec("two-aliases", {**BASE, "Environment": "prod", "stage": "dev"}),
        rec("same-meaning", {**BASE, "Env": "prod", "Environment": "production"}),
        rec("owner-twice", {"Project": "x", "Owner": "a", "team": "b", "Env": "dev"}),
        rec("whitespace", {**BASE, "Env": "prod", " Env": "dev"}),
        rec("invalid-used", {**BASE, "Env": "prodution", "env": "prod"}),
        rec("once", {**BASE, "Env": "prod"}),
    ]
    assert summary(records) == {
        ("duplicate-tag-key", "exact-and-case", "Env"),
        ("duplicate-tag-key", "case-first", "Env"),
        ("tag-key-case", "two-aliases", "Environment"),
        ("tag-key-case", "two-aliases", "stage"),
        ("duplicate-tag-key", "two-aliases", "Env"),
        ("duplicate-tag-key", "same-meaning", "Env"),
        ("duplicate-tag-key", "owner-twice", "Owner"),
        ("duplicate-tag-key", "whitespace", "Env"),
        # the other rules judge the exact spelling's value: 'prodution', not 'prod'
        ("duplicate-tag-key", "invalid-used", "Env"),
        ("invalid-tag-value", "invalid-used", "Env"),
    }
    found = {
        f.details["name"]: f
        for f in evaluate(records, Policy(), AS_OF)
        if f.rule == "duplicate-tag-key"
    }
    # which value counts: the exact spelling when present, whatever the order; else the first
    assert {name: (f.details["used_key"], f.env) for name, f in found.items()} == {
        "exact-and-case": ("Env", "prod"),
        "case-first": ("Env", "prod"),
        "two-aliases": ("Environment", "prod"),
        "same-meaning": ("Env", "prod"),
        "owner-twice": ("Owner", "dev"),
        "whitespace": ("Env", "prod"),
        "invalid-used": ("Env", "prodution"),
    }
    assert found["owner-twice"].owner == "a"
    assert {name: f.details["conflicting"] for name, f in found.items()} == {
        "exact-and-case": True,
        "case-first": True,
        "two-aliases": True,
        "same-meaning": False,  # production is prod
        "owner-twice": True,
        "whitespace": True,
        "invalid-used": True,
    }


def test_duplicate_tag_key_finding_content() -> None:
    [finding] = evaluate([rec("web", {**BASE, "Env": "prod", "env": "dev"})], Policy(), AS_OF)
    assert (finding.rule, finding.severity) == ("duplicate-tag-key", Severity.MEDIUM)
    assert (finding.owner, finding.project, finding.env) == ("o", "x", "prod")
    assert finding.details == {
        "provider": "aws",
        "account": "111111111111",
        "region": "us-east-1",
        "resource_type": "ec2:instance",
        "arn": "arn:aws:ec2:us-east-1:111111111111:instance/web",
        "name": "web",
        "tags": {"Project": "x", "Owner": "o", "Env": "prod", "env": "dev"},
        "key": "Env",
        "raw_keys": ["Env", "env"],
        "values": {"Env": "prod", "env": "dev"},
        "used_key": "Env",
        "used_value": "prod",
        "conflicting": True,
    }
    assert finding.message == (
        "Tag Env is set twice on ec2:instance web (account 111111111111 in us-east-1): "
        "'Env'='prod', 'env'='dev' (hygiene uses 'Env'); keep 'Env' with the right value and "
        "delete 'env'."
    )
    [aliases] = [
        f
        for f in evaluate(
            [rec("db", {**BASE, "Environment": "prod", "stage": "dev", "ENV": "prod"})],
            Policy(),
            AS_OF,
        )
        if f.rule == "duplicate-tag-key"
    ]
    assert aliases.message == (
        "Tag Env is set 3 times on ec2:instance db (account 111111111111 in us-east-1): "
        "'ENV'='prod', 'Environment'='prod', 'stage'='dev' (hygiene uses 'ENV': without 'Env', the "
        "alphabetically first); keep one key, spelt 'Env', with the right value and delete the others."
    )
    # one finding per key, stable across value changes
    again = evaluate([rec("web", {**BASE, "Env": "dev", "env": "prod"})], Policy(), AS_OF)
    assert [f.id for f in again] == [finding.id]
    policy = Policy(tags=TagsPolicy(severity={"duplicate-tag-key": Severity.HIGH}))
    [high] = evaluate([rec("web", {**BASE, "Env": "prod", "env": "dev"})], policy, AS_OF)
    assert high.severity is Severity.HIGH


def test_gcp_lowercase_label_alone_is_not_a_duplicate() -> None:
    gcp = {"provider": "gcp", "rtype": "gcp:compute.googleapis.com/Instance"}
    assert summary([rec("vm", {"project": "x", "owner": "o", "env": "prod"}, **gcp)]) == set()
    # as the asset source hands it over: env renamed to the policy's Env
    assert summary([rec("vm", {"Project": "x", "Owner": "o", "Env": "prod"}, **gcp)]) == set()
    both = [rec("vm", {"project": "x", "owner": "o", "env": "prod", "environment": "dev"}, **gcp)]
    assert summary(both) == {
        ("tag-key-case", "vm", "environment"),
        ("duplicate-tag-key", "vm", "Env"),
    }
    [duplicate] = [f for f in evaluate(both, Policy(), AS_OF) if f.rule == "duplicate-tag-key"]
    assert duplicate.details["used_key"] == "env"
    assert duplicate.message.endswith("keep 'env' with the right value and delete 'environment'.")


def test_a_duplicate_makes_a_resource_non_compliant_in_batches_too() -> None:
    records = [
        rec("a", GOOD),
        rec("b", {**GOOD, "env": "dev"}),
        rec("c", {**GOOD, "Environment": "prod"}),
        rec("d", GOOD, account="222222222222"),
    ]
    stats = compliance(records, Policy(), AS_OF)
    assert (stats["resources"], stats["compliant"]) == (4, 2)
    tally = ComplianceTally(Policy(), AS_OF)
    for record in records:
        tally.add([record], evaluate([record], Policy(), AS_OF))
    assert tally.stats() == stats
