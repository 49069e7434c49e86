"""Tags benchmark: inventory of a seeded moto organisation against a one-call-per-resource baseline.

Seeds moto's server (in-process) with an organisation of two accounts (the caller's and a member
entered through sts:AssumeRole) × two regions holding ``--per-slice`` resources each (EC2 instances
with their root volumes, security groups, SQS queues, SNS topics, log groups, DynamoDB tables;
a sixth never tagged), then, in the same run:

- **hygiene**: ``run_inventory`` over all 49 resource types — list, then tags inline or in bulk
  (Tagging API ``GetResources`` with 100 ARNs per call);
- **naive**: the same listing calls, then one tag call per resource (``ec2:DescribeTags`` by id,
  ``sqs:ListQueueTags``, ``sns:ListTagsForResource``, ``logs:ListTagsForResource``,
  ``dynamodb:ListTagsOfResource``) — what a tool that looks tags up resource by resource does.

Both run with the same thread pool over account × region × service slices, after one untimed
warm-up pass (botocore loads its service models once), and report wall time, API calls, and API
calls per 1,000 resources.

Then times the pure evaluator and the compliance figures over ``--records`` synthetic records.

    python -m benchmarks.tags_bench [--per-slice 1300] [--workers 16] [--records 100000]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

OUT = Path(__file__).resolve().parent / "out"
REGIONS = ("us-east-1", "eu-west-1")
PROFILES = (
    {"Project": "checkout", "Owner": "team-a", "Env": "prod"},
    {"Project": "checkout"},
    {"project": "billing", "Owner": "team-b", "Environment": "dev"},
    {"Project": "search", "Owner": "team-c", "Env": "prodution"},
    {"Project": "search", "Owner": "team-d", "Env": "staging"},
    {},
)


def _kv(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def seed(per_slice: int) -> int:
    """Seed the organisation; returns how many resources were created."""
    import boto3

    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    member = orgs.create_account(Email="bench@example.invalid", AccountName="bench")
    member_id = member["CreateAccountStatus"]["AccountId"]
    creds = boto3.client("sts", region_name="us-east-1").assume_role(
        RoleArn=f"arn:aws:iam::{member_id}:role/HygieneReadOnly", RoleSessionName="seed"
    )["Credentials"]
    sessions = [
        boto3.Session(),
        boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        ),
    ]
    created = 0
    for session in sessions:
        for region in REGIONS:
            created += _seed_slice(session, region, per_slice)
    return created


def _seed_slice(session: Any, region: str, per_slice: int) -> int:
    ec2 = session.client("ec2", region_name=region)
    sqs, sns = session.client("sqs", region_name=region), session.client("sns", region_name=region)
    logs, ddb = (
        session.client("logs", region_name=region),
        session.client("dynamodb", region_name=region),
    )
    instances = per_slice * 2 // 13  # each brings its root volume: 4/13 of the slice
    others = (per_slice - 2 * instances) // 9
    created = 0
    for start in range(0, instances, 50):
        count = min(50, instances - start)
        tags = PROFILES[(start // 50) % len(PROFILES)]
        spec = (
            [{"ResourceType": t, "Tags": _kv(tags)} for t in ("instance", "volume")] if tags else []
        )
        ec2.run_instances(
            ImageId="ami-12c6146b", MinCount=count, MaxCount=count, TagSpecifications=spec
        )
        created += 2 * count
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    for i in range(others * 2):
        tags = PROFILES[i % len(PROFILES)]
        extra = (
            {"TagSpecifications": [{"ResourceType": "security-group", "Tags": _kv(tags)}]}
            if tags
            else {}
        )
        ec2.create_security_group(GroupName=f"sg-{i}", Description="bench", VpcId=vpc, **extra)
    for i in range(others * 2):
        tags = PROFILES[i % len(PROFILES)]
        sqs.create_queue(QueueName=f"queue-{i}", **({"tags": tags} if tags else {}))
        sns.create_topic(Name=f"topic-{i}", **({"Tags": _kv(tags)} if tags else {}))
        logs.create_log_group(logGroupName=f"/bench/{i}", **({"tags": tags} if tags else {}))
    for i in range(others):
        tags = PROFILES[i % len(PROFILES)]
        ddb.create_table(
            TableName=f"table-{i}",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            **({"Tags": _kv(tags)} if tags else {}),
        )
    return created + others * 9


def naive_tags(scope: Any, record: Any) -> None:
    """One tag call for one resource, with the service's own per-resource API."""
    account, region, rtype, arn = (
        record.account,
        record.region,
        record.resource_type,
        record.resource_id,
    )
    service = rtype.split(":", 1)[0]
    if service == "ec2":
        scope.client("ec2", region, account).describe_tags(
            Filters=[{"Name": "resource-id", "Values": [record.details["id"]]}]
        )
    elif service == "sqs":
        scope.client("sqs", region, account).list_queue_tags(QueueUrl=record.details["url"])
    elif service == "sns":
        scope.client("sns", region, account).list_tags_for_resource(ResourceArn=arn)
    elif service == "logs":
        scope.client("logs", region, account).list_tags_for_resource(resourceArn=arn)
    elif service == "dynamodb":
        scope.client("dynamodb", region, account).list_tags_of_resource(ResourceArn=arn)
    else:
        scope.client(
            "resourcegroupstaggingapi", region if region != "global" else "us-east-1", account
        ).get_resources(ResourceARNList=[arn])


def run(label: str, workers: int, per_record: Callable[[Any, Any], None] | None) -> dict[str, Any]:
    """One inventory pass (hygiene's, or the naive one when ``per_record`` is given)."""
    from hygiene.policy import AwsPolicy
    from hygiene.sources.aws import inventory as inv
    from hygiene.sources.aws.session import AwsScope, Slice

    scope = AwsScope.connect(
        AwsPolicy(organization=True, regions=list(REGIONS), max_workers=workers)
    )
    started = time.perf_counter()
    if per_record is None:
        result = inv.run_inventory(scope)
        records, errors = result.records, result.errors
    else:
        # the naive tool: list per slice, then look each resource's tags up on its own
        families = {f.name: f for f in inv.FAMILIES}
        slices = [
            Slice(a, r if not f.global_service else inv.GLOBAL, f.name)
            for a in scope.accounts()
            for f in inv.FAMILIES
            for r in (REGIONS if not f.global_service else REGIONS[:1])
        ]

        def work(unit: Any) -> list[Any]:
            region = scope.default_region if unit.region == inv.GLOBAL else unit.region
            found = families[unit.service].lister(scope, unit.account, region, lambda _t: True)
            for record in found:
                per_record(scope, record)
            return found

        fanned = scope.fan_out(slices, work)
        records = [r for _s, rs in fanned.values for r in rs]
        errors = fanned.errors
    seconds = time.perf_counter() - started
    calls = scope.calls.total - 1  # minus the GetCallerIdentity of connect()
    return {
        "approach": label,
        "resources": len(records),
        "seconds": round(seconds, 2),
        "api_calls": calls,
        "api_calls_per_1000_resources": round(1000 * calls / len(records), 1) if records else None,
        "errors": len(errors),
    }


def bench_evaluator(count: int) -> dict[str, Any]:
    """The pure evaluator and the compliance figures over ``count`` synthetic records."""
    from datetime import UTC, datetime

    from hygiene.checks.tags.rules import compliance, evaluate
    from hygiene.policy import Policy
    from hygiene.records.cloud import ResourceRecord

    records = [
        ResourceRecord(
            provider="aws",
            account=f"1111111111{i % 20:02d}",
            region="us-east-1",
            resource_type=f"ec2:type{i % 40}",
            resource_id=f"arn:aws:ec2:us-east-1:111111111111:thing/{i}",
            tags=dict(PROFILES[i % len(PROFILES)]),
            name=f"r{i}",
        )
        for i in range(count)
    ]
    as_of = datetime(2026, 11, 27, tzinfo=UTC)
    started = time.perf_counter()
    findings = evaluate(records, Policy(), as_of)
    evaluate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    stats = compliance(records, Policy(), as_of)
    compliance_seconds = time.perf_counter() - started
    return {
        "records": count,
        "findings": len(findings),
        "evaluate_seconds": round(evaluate_seconds, 2),
        "records_per_second": round(count / evaluate_seconds) if evaluate_seconds else None,
        "compliance_seconds": round(compliance_seconds, 2),
        "compliance_percent": stats["compliance_percent"],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Seed, run both approaches, print and return the numbers."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.tags_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--per-slice", type=int, default=1300, help="resources per account × region (4 slices)"
    )
    parser.add_argument("--workers", type=int, default=16, help="threads of the fan-out")
    parser.add_argument(
        "--records", type=int, default=100_000, help="synthetic records for the evaluator"
    )
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from moto.server import ThreadedMotoServer

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    server.start()
    try:
        with mock.patch.dict(os.environ, env):
            urllib.request.urlopen(
                urllib.request.Request(f"{env['AWS_ENDPOINT_URL']}/moto-api/reset", method="POST")
            )
            started = time.perf_counter()
            seeded = seed(args.per_slice)
            seed_seconds = round(time.perf_counter() - started, 1)
            run("warm-up", args.workers, None)  # load botocore's models once, for both approaches
            hygiene = run("hygiene (list + bulk tags)", args.workers, None)
            naive = run("naive (list + one tag call per resource)", args.workers, naive_tags)
    finally:
        server.stop()
    result = {
        "benchmark": "tags",
        "seeded_resources": seeded,
        "seed_seconds": seed_seconds,
        "workers": args.workers,
        "runs": [hygiene, naive],
        "call_ratio": round(naive["api_calls"] / hygiene["api_calls"], 1)
        if hygiene["api_calls"]
        else None,
        "evaluator": bench_evaluator(args.records),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "tags_bench.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"seeded {seeded} resources in {seed_seconds}s (2 accounts × 2 regions, moto in-process)")
    for r in result["runs"]:
        print(
            f"{r['approach']:<44} {r['resources']:>6} resources  {r['seconds']:>7.2f} s  "
            f"{r['api_calls']:>6} calls  {r['api_calls_per_1000_resources']:>7} calls/1k  errors {r['errors']}"
        )
    e = result["evaluator"]
    print(
        f"evaluator: {e['records']} records → {e['findings']} findings in {e['evaluate_seconds']} s "
        f"({e['records_per_second']} records/s); compliance figures in {e['compliance_seconds']} s"
    )
    return result


if __name__ == "__main__":
    main()
