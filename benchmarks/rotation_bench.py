"""Rotation benchmark: the pure evaluator over many records, and the AWS collector against moto.

Part 1 times ``hygiene.checks.rotation.rules.evaluate`` over ``--records`` synthetic credentials of every
kind. Part 2 seeds moto's server with ``--users`` IAM users (two keys each, half used), secrets and
KMS keys, then times ``collect_credentials`` and counts its API calls, next to the baseline
Prowler uses — IAM's credential report (GenerateCredentialReport + GetCredentialReport: two calls,
but up to four hours stale and without last use per key beyond the report's columns).

    python -m benchmarks.rotation_bench [--records 100000] [--users 200]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from hygiene.checks.rotation.rules import evaluate
from hygiene.policy import AwsPolicy, Policy
from hygiene.records.cloud import CredentialRecord

KINDS = (
    "iam-access-key",
    "secretsmanager-secret",
    "kms-key",
    "acm-certificate",
    "gcp-sa-key",
    "external",
)


def synthetic(count: int, as_of: datetime, seed: int = 7) -> list[CredentialRecord]:
    """``count`` records of every kind with random ages, uses, schedules and expiries."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        principal = f"arn:aws:iam::111122223333:user/u{index // 2}"
        records.append(
            CredentialRecord(
                provider="aws",
                account="111122223333",
                kind=kind,
                resource_id=principal if kind == "iam-access-key" else f"arn:{kind}:{index}",
                name=f"{kind}-{index}",
                created=as_of - timedelta(days=rng.randint(0, 400)),
                last_used=None
                if rng.random() < 0.2
                else as_of - timedelta(days=rng.randint(0, 200)),
                rotation_enabled=rng.random() < 0.5
                if kind in ("secretsmanager-secret", "kms-key")
                else None,
                rotation_interval_days=rng.choice((30, 90, 365)),
                expires=as_of + timedelta(days=rng.randint(-10, 400))
                if kind == "acm-certificate"
                else None,
                tags={"Env": rng.choice(("prod", "dev", "staging"))},
                details={"principal": principal},
            )
        )
    return records


def bench_evaluator(count: int) -> dict[str, Any]:
    """Seconds and findings for ``count`` records."""
    as_of = datetime(2026, 11, 27, tzinfo=UTC)
    records = synthetic(count, as_of)
    started = time.perf_counter()
    findings = evaluate(records, Policy(), as_of)
    seconds = time.perf_counter() - started
    return {
        "records": count,
        "findings": len(findings),
        "seconds": round(seconds, 3),
        "records_per_second": round(count / seconds) if seconds else None,
    }


def bench_collector(users: int) -> dict[str, Any]:
    """Wall time and API calls of the AWS collector on moto, and of the credential-report baseline."""
    import boto3
    from moto.server import ThreadedMotoServer

    from hygiene.sources.aws.credentials import collect_credentials
    from hygiene.sources.aws.session import AwsScope

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    }
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
    )
    try:
        iam = boto3.client("iam", region_name="us-east-1")
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        kms = boto3.client("kms", region_name="us-east-1")
        for number in range(users):
            iam.create_user(UserName=f"user-{number}")
            for _ in range(2):
                iam.create_access_key(UserName=f"user-{number}")
        for number in range(users // 2):
            sm.create_secret(Name=f"secret-{number}", SecretString="x")
        for _ in range(users // 10):
            kms.create_key()
        scope = AwsScope.connect(
            AwsPolicy(regions=["us-east-1"]), session=boto3.Session(region_name="us-east-1")
        )
        started = time.perf_counter()
        inventory = collect_credentials(scope)
        seconds = time.perf_counter() - started
        report_started = time.perf_counter()
        while iam.generate_credential_report()["State"] != "COMPLETE":
            time.sleep(0.1)
        report = iam.get_credential_report()["Content"]
        report_seconds = time.perf_counter() - report_started
        return {
            "users": users,
            "records": len(inventory.records),
            "errors": inventory.errors,
            "seconds": round(seconds, 2),
            "api_calls": scope.calls.total,
            "api_calls_by_operation": dict(sorted(scope.calls.counts.items())),
            "baseline_credential_report": {
                "api_calls": 2,
                "seconds": round(report_seconds, 2),
                "rows": report.decode().count("\n"),
            },
        }
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run both parts, print and return the numbers."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rotation_bench")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=200)
    args = parser.parse_args(argv)
    result = {"evaluator": bench_evaluator(args.records), "collector": bench_collector(args.users)}
    evaluator, collector = result["evaluator"], result["collector"]
    print(
        f"evaluator: {evaluator['records']} records → {evaluator['findings']} findings in "
        f"{evaluator['seconds']}s ({evaluator['records_per_second']}/s)"
    )
    print(
        f"collector: {collector['users']} users → {collector['records']} records in {collector['seconds']}s, "
        f"{collector['api_calls']} API calls (credential report: 2 calls, {collector['baseline_credential_report']['seconds']}s)"
    )
    return result


if __name__ == "__main__":
    main()
