"""hygiene merge reads one shard document at a time: findings move to an on-disk spool."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hygiene.errors import HygieneError
from hygiene.findings import SCHEMA, Finding
from hygiene.merge import merge_files, read_part
from hygiene.policy import Policy, PolicyException

AS_OF = "2026-11-27T00:00:00Z"


def finding(resource: str, severity: str = "high") -> dict[str, Any]:
    data = Finding.create(
        check="tags",
        rule="missing-tag",
        severity=severity,
        resource=resource,
        message=f"{resource} lacks Owner",
        details={"account": resource.split(":")[4]},
    ).to_contract()
    return {**data, "first_seen": AS_OF, "status": "new"}  # as a shard writes them


def part(path: Path, index: int, count: int, findings: list[dict[str, Any]]) -> Path:
    accounts = sorted({f["details"]["account"] for f in findings})
    document = {
        "schema": SCHEMA,
        "run": {
            "id": f"shard{index}",
            "started_at": AS_OF,
            "finished_at": AS_OF,
            "as_of": AS_OF,
            "status": "complete",
            "checks": {
                "tags": {
                    "status": "ok",
                    "reason": "",
                    "duration_s": 1.0,
                    "stats": {"resources": len(findings), "compliant": 0},
                }
            },
            "resolved": [],
            "shard": {
                "index": index,
                "count": count,
                "scopes": {"tags": accounts},
                "suppressed": 1,
            },
        },
        "findings": findings,
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_read_part_moves_the_findings_to_a_spool(tmp_path: Path) -> None:
    items = [finding(f"arn:aws:sqs:eu-west-1:11111111111{i % 2}:q{i}") for i in range(2_100)]
    read = read_part(part(tmp_path / "p0.json", 0, 2, items))
    assert "findings" not in read.document  # the document kept in memory is the head only
    assert read.findings is not None and len(read.findings) == 2_100
    assert {f.status for f in read.findings} == {None}  # the merge decides new/open again


def test_merge_takes_each_id_once_in_report_order_and_judges_expired_exceptions(
    tmp_path: Path,
) -> None:
    shared = finding("arn:aws:sqs:eu-west-1:111111111111:shared", "critical")
    first = [shared, *(finding(f"arn:aws:sqs:eu-west-1:111111111111:a{i}") for i in range(3))]
    second = [
        shared,
        *(finding(f"arn:aws:sqs:eu-west-1:222222222222:b{i}", "low") for i in range(2)),
    ]
    policy = Policy(
        exceptions=[
            PolicyException(
                match={"resource": "*:b*"}, reason="r", owner="o", expires=date(2026, 11, 1)
            )
        ]
    )
    run = merge_files(
        [part(tmp_path / "p0.json", 0, 2, first), part(tmp_path / "p1.json", 1, 2, second)],
        2,
        policy,
        None,
    )
    ids = [f.id for f in run.findings if f.check == "tags"]
    assert ids == [shared["id"], *(f["id"] for f in first[1:]), *(f["id"] for f in second[1:])]
    (expired,) = [f for f in run.findings if f.rule == "exception-expired"]
    assert expired.details["still_matching"] == 2  # counted once over both shards
    tags = next(r for r in run.results if r.name == "tags")
    assert tags.finding_count == 6 and tags.stats["resources"] == 7  # stats add up
    policy_check = next(r for r in run.results if r.name == "policy")
    assert policy_check.stats["suppressed"] == 2  # what the shards' live exceptions hid


def test_a_malformed_finding_names_the_file(tmp_path: Path) -> None:
    broken = finding("arn:aws:sqs:eu-west-1:111111111111:q")
    del broken["rule"]
    with pytest.raises(HygieneError, match=r"p0\.json: a finding does not follow"):
        read_part(part(tmp_path / "p0.json", 0, 1, [broken]))
