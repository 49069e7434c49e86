"""run_audit(): statuses, isolation of failing checks, exceptions, and recording."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from hygiene import registry
from hygiene.context import Collection, RunContext
from hygiene.errors import CheckSkipped, HygieneError
from hygiene.findings import Finding
from hygiene.pipeline import run_audit, select_checks
from hygiene.policy import Policy, PolicyException
from hygiene.registry import CheckSpec

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
HERE = __name__


def collect_ok(ctx: RunContext) -> Collection:
    return Collection(records=["arn:aws:s3:::a", "arn:aws:s3:::legacy-1"], stats={"seen": 2})


def collect_partial(ctx: RunContext) -> Collection:
    return Collection(records=["arn:aws:ec2:b"], errors=["ec2 eu-west-1 111: AccessDenied"])


def collect_skip(ctx: RunContext) -> Collection:
    raise CheckSkipped("no AWS credentials found")


def collect_crash(ctx: RunContext) -> Collection:
    raise RuntimeError("boom")


def evaluate(records: list[str], policy: Policy, as_of: datetime) -> list[Finding]:
    return [
        Finding.create(
            check="fake",
            rule="missing-tag",
            severity="high",
            resource=r,
            message=f"{r} lacks Owner",
            details={"as_of": as_of.isoformat()},
        )
        for r in records
    ]


class FlaggedTally:
    """A tally as a check declares one: it sees each batch with the findings the run kept."""

    def __init__(self, policy: Policy, as_of: datetime) -> None:
        self.seen: list[str] = []
        self.flagged: list[str] = []

    def add(self, records: list[str], findings: Sequence[Finding]) -> None:
        self.seen += records
        self.flagged += [f.resource for f in findings]

    def stats(self) -> dict[str, Any]:
        return {"seen": len(self.seen), "clean": sorted(set(self.seen) - set(self.flagged))}


@pytest.fixture
def fake_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "CHECKS", {})
    for name, collector in [
        ("good", "collect_ok"),
        ("partial", "collect_partial"),
        ("skipper", "collect_skip"),
        ("crasher", "collect_crash"),
    ]:
        registry.CHECKS[name] = CheckSpec(name, name, f"{HERE}:{collector}", f"{HERE}:evaluate")
    import hygiene.pipeline

    monkeypatch.setattr(hygiene.pipeline, "CHECKS", registry.CHECKS)


def test_statuses_and_isolation(fake_checks: None) -> None:
    run = run_audit(policy=Policy(), as_of=AS_OF)
    statuses = {r.name: (r.status, r.reason) for r in run.results}
    assert statuses["good"] == ("ok", "")
    assert statuses["skipper"] == ("skipped", "no AWS credentials found")
    assert statuses["crasher"] == ("error", "RuntimeError: boom")
    assert statuses["partial"][0] == "error"
    assert "ec2 eu-west-1 111: AccessDenied" in statuses["partial"][1]
    assert run.status == "incomplete"
    # the partial check's findings are still reported, and the good check's
    assert {f.resource for f in run.findings} == {
        "arn:aws:s3:::a",
        "arn:aws:s3:::legacy-1",
        "arn:aws:ec2:b",
    }
    assert all(f.details["as_of"] == AS_OF.isoformat() for f in run.findings)


def test_only_and_skip(fake_checks: None) -> None:
    run = run_audit(policy=Policy(), as_of=AS_OF, only=["good", "skipper"], skip=["skipper"])
    assert [r.name for r in run.results] == ["good", "policy"]
    assert run.status == "complete"
    with pytest.raises(HygieneError, match="unknown check 'nope'"):
        select_checks(["nope"])


def test_live_exception_suppresses_and_expired_one_is_reported(fake_checks: None) -> None:
    policy = Policy(
        exceptions=[
            PolicyException(
                match={"resource": "arn:aws:s3:::legacy-*"},
                reason="migrating",
                owner="ops",
                expires=date(2026, 12, 31),
            ),
            PolicyException(
                match={"rule": "missing-tag", "resource": "arn:aws:ec2:*"},
                reason="old",
                owner="web",
                expires=date(2026, 10, 1),
            ),
        ]
    )
    run = run_audit(policy=policy, as_of=AS_OF, only=["good", "partial"])
    rules = sorted((f.rule, f.resource) for f in run.findings)
    assert rules == [
        ("exception-expired", "exception:resource=arn:aws:ec2:*, rule=missing-tag"),
        ("missing-tag", "arn:aws:ec2:b"),
        ("missing-tag", "arn:aws:s3:::a"),
    ]
    expired = next(f for f in run.findings if f.rule == "exception-expired")
    assert expired.details["still_matching"] == 1 and expired.owner == "web"
    policy_check = next(r for r in run.results if r.name == "policy")
    assert policy_check.stats == {"exceptions": 2, "suppressed": 1, "expired": 1}


def test_a_tally_counts_from_the_findings_kept_after_exceptions(
    fake_checks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = CheckSpec("good", "good", f"{HERE}:collect_ok", f"{HERE}:evaluate")
    monkeypatch.setitem(registry.CHECKS, "good", replace(spec, tally=f"{HERE}:FlaggedTally"))
    legacy = PolicyException(
        match={"resource": "arn:aws:s3:::legacy-*"}, reason="r", owner="o", expires=date(2027, 1, 1)
    )
    run = run_audit(policy=Policy(exceptions=[legacy]), as_of=AS_OF, only=["good"])
    [good] = [r for r in run.results if r.name == "good"]
    # the collector's stats, then the tally's: the excepted resource is clean, judged once
    assert good.stats == {"seen": 2, "clean": ["arn:aws:s3:::legacy-1"]}


def test_recorded_runs_mark_new_then_open(fake_checks: None, tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    first = run_audit(policy=Policy(), as_of=AS_OF, only=["good"], state_path=state)
    second = run_audit(policy=Policy(), as_of=AS_OF, only=["good"], state_path=state)
    assert {f.status for f in first.findings} == {"new"}
    assert {f.status for f in second.findings} == {"open"}
    document: dict[str, Any] = second.to_contract()
    assert document["run"]["checks"]["good"]["stats"] == {"seen": 2}
    assert document["findings"][0]["first_seen"] == "2026-11-01T00:00:00Z"


def test_findings_are_ordered_most_severe_first(fake_checks: None) -> None:
    policy = Policy(
        exceptions=[
            PolicyException(
                match={"check": "none"}, reason="r", owner="o", expires=date(2020, 1, 1)
            )
        ]
    )
    run = run_audit(policy=policy, as_of=AS_OF, only=["good"])
    assert [f.severity.value for f in run.findings] == ["high", "high", "low"]
