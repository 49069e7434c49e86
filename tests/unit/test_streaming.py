"""Streaming collectors: batches are judged and spooled as they arrive, never gathered first.

Issue #11 item 4: a run over 100,000 resources or 1,000 repositories never holds them all in
memory. These tests pin the mechanics: the pipeline pulls the next batch only after the previous
one was evaluated and spooled, stats arrive when the stream ends, exceptions work across
batches, the fan-out never runs far ahead of its consumer, and compliance counted batch by batch
equals compliance over everything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import boto3
import pytest

from hygiene import registry
from hygiene.checks.tags.rules import ComplianceTally, compliance
from hygiene.checks.tags.rules import evaluate as evaluate_tags
from hygiene.context import Collection, RunContext
from hygiene.errors import HygieneError
from hygiene.exceptions import apply_exceptions
from hygiene.findings import Finding
from hygiene.pipeline import run_audit
from hygiene.policy import AwsPolicy, Policy, PolicyException
from hygiene.records.cloud import ResourceRecord
from hygiene.registry import CheckSpec
from hygiene.sources.aws.session import AwsScope, FanOutResult, Slice
from hygiene.store import Store

AS_OF = datetime(2026, 11, 1, tzinfo=UTC)
HERE = __name__
BATCHES = 5
PER_BATCH = 40
EVENTS: list[str] = []  # what the stream and the evaluator did, in order


def events() -> list[str]:
    return list(EVENTS)


def collect_stream(ctx: RunContext) -> Collection:
    collection = Collection(scopes=[])

    def batches() -> Iterator[list[str]]:
        for number in range(BATCHES):
            EVENTS.append(f"yield {number}")
            yield [f"arn:aws:sqs:{number}:{i}" for i in range(PER_BATCH)]
            assert collection.scopes is not None
            collection.scopes.append(f"acct{number}")
        collection.stats = {"batches": BATCHES}

    collection.batches = batches()
    return collection


def collect_breaks(ctx: RunContext) -> Collection:
    def batches() -> Iterator[list[str]]:
        yield ["arn:aws:sqs:0:first"]
        raise HygieneError("organizations:ListAccounts: AccessDenied")

    return Collection(batches=batches())


def evaluate(records: list[str], policy: Policy, as_of: datetime) -> list[Finding]:
    EVENTS.append(f"evaluate {records[0].split(':')[3]}")
    return [
        Finding.create(
            check="stream",
            rule="missing-tag",
            severity="high",
            resource=r,
            message=f"{r} lacks Owner",
            details={"account": f"acct{r.split(':')[3]}"},
        )
        for r in records
    ]


@pytest.fixture
def stream_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    EVENTS.clear()
    monkeypatch.setattr(
        registry,
        "CHECKS",
        {
            "stream": CheckSpec("stream", "", f"{HERE}:collect_stream", f"{HERE}:evaluate"),
            "breaks": CheckSpec("breaks", "", f"{HERE}:collect_breaks", f"{HERE}:evaluate"),
        },
    )
    monkeypatch.setattr("hygiene.pipeline.CHECKS", registry.CHECKS)


@pytest.mark.usefixtures("stream_checks")
def test_each_batch_is_evaluated_before_the_next_is_read(tmp_path: Path) -> None:
    run = run_audit(policy=Policy(), as_of=AS_OF, only=["stream"], state_path=tmp_path / "s.db")

    expected = [e for n in range(BATCHES) for e in (f"yield {n}", f"evaluate {n}")]
    assert events() == expected
    result = next(r for r in run.results if r.name == "stream")
    assert result.status == "ok"
    assert result.stats == {"batches": BATCHES}  # final only once the stream was exhausted
    assert result.scopes == [f"acct{n}" for n in range(BATCHES)]
    assert result.finding_count == len(run.findings) == BATCHES * PER_BATCH
    assert {f.status for f in run.findings} == {"new"}  # annotated in the spool by the store
    with Store(tmp_path / "s.db") as store:
        stored = store.latest_run()
    assert stored is not None
    assert [f["id"] for f in stored["findings"]] == [f.id for f in run.findings]


@pytest.mark.usefixtures("stream_checks")
def test_a_stream_that_breaks_midway_is_an_error_that_resolves_nothing(tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    first = run_audit(policy=Policy(), as_of=AS_OF, only=["stream"], state_path=state)
    assert first.status == "complete"

    broken = run_audit(policy=Policy(), as_of=AS_OF, only=["breaks"], state_path=state)
    result = next(r for r in broken.results if r.name == "breaks")
    assert (result.status, broken.status) == ("error", "incomplete")
    assert "AccessDenied" in result.reason
    assert [f.resource for f in broken.findings] == ["arn:aws:sqs:0:first"]  # what was judged
    assert broken.resolved == []


@pytest.mark.usefixtures("stream_checks")
def test_exceptions_apply_to_every_batch_and_expired_ones_count_across_them() -> None:
    policy = Policy(
        exceptions=[
            PolicyException(
                match={"resource": "arn:aws:sqs:1:*"},
                reason="legacy queues",
                owner="team-a",
                expires=date(2027, 1, 1),
            ),
            PolicyException(
                match={"resource": "arn:aws:sqs:[34]:*"},
                reason="migration",
                owner="team-b",
                expires=date(2026, 10, 1),
            ),
        ]
    )
    run = run_audit(policy=policy, as_of=AS_OF, only=["stream"])
    resources = [f.resource for f in run.findings if f.check == "stream"]
    assert len(resources) == (BATCHES - 1) * PER_BATCH
    assert not any(r.startswith("arn:aws:sqs:1:") for r in resources)
    (expired,) = [f for f in run.findings if f.rule == "exception-expired"]
    assert expired.details["still_matching"] == 2 * PER_BATCH
    policy_result = next(r for r in run.results if r.name == "policy")
    assert policy_result.stats["suppressed"] == PER_BATCH


def test_fan_out_stream_never_runs_far_ahead_of_its_consumer() -> None:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    )
    scope = AwsScope(AwsPolicy(max_workers=3), session=session)
    started = 0
    lock = threading.Lock()

    def work(unit: Slice) -> list[str]:
        nonlocal started
        with lock:
            started += 1
        return [unit.service] * 10

    slices = [Slice("111122223333", "eu-west-1", f"svc{i:02d}") for i in range(40)]
    result: FanOutResult[list[str]] = FanOutResult()
    taken = 0
    for _unit, _value in scope.fan_out_stream(slices, work, result):
        taken += 1
        time.sleep(0.005)  # a slow consumer (the evaluator)
        with lock:
            assert started <= taken + 2 * 3  # at most twice the pool read ahead
    assert taken == 40 and result.errors == [] and result.values == []


def record(i: int, tags: dict[str, str] | None) -> ResourceRecord:
    return ResourceRecord(
        provider="aws",
        account=f"11112222333{i % 3}",
        region="eu-west-1",
        resource_type=["sqs:queue", "sns:topic"][i % 2],
        resource_id=f"arn:aws:sqs:eu-west-1:1:q{i}",
        name=f"q{i}",
        tags=tags,
    )


def test_compliance_counted_in_batches_equals_compliance_over_everything() -> None:
    variants: list[dict[str, str] | None] = [
        {"Project": "checkout", "Owner": "team-a", "Env": "prod"},
        {"Project": "checkout", "Owner": "team-b", "Env": "prodution"},
        {},
        None,
        {"project": "search", "Owner": "team-a", "Env": "dev"},
    ]
    records = [record(i, variants[i % len(variants)]) for i in range(503)]
    policy = Policy(
        exceptions=[
            PolicyException(
                match={"resource": "*q1?"}, reason="r", owner="o", expires=date(2027, 1, 1)
            )
        ]
    )
    tally = ComplianceTally(policy, AS_OF)
    for start in range(0, len(records), 50):
        batch = records[start : start + 50]
        found = evaluate_tags(batch, policy, AS_OF)
        kept = apply_exceptions(found, policy.exceptions, AS_OF).kept
        tally.add(batch, kept)
    assert tally.stats() == compliance(records, policy, AS_OF)
    assert 0 < tally.stats()["compliant"] < tally.stats()["resources"]
