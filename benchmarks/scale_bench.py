"""Scale benchmark: unsharded vs N shards in parallel on a moto organisation, and the merge.
(Peak memory of runs over 100,000+ resources is ``benchmarks/stream_bench.py``.)

1. Starts ``moto_server`` as its own process and seeds an organisation of ``--accounts`` accounts
   (the caller's plus members created through Organizations, entered with sts:AssumeRole) ×
   ``--regions`` regions, with ``--per-slice`` SQS queues and SNS topics per account × region
   (a fifth of them untagged).
2. Runs the installed CLI, ``hygiene audit --only tags`` (resource types limited to
   ``--types``), once unsharded and then as N = 2 and 4 shards started at the same time
   (``--shard I/N``, one process each), and times ``hygiene merge`` of the parts. Checks that the
   merged findings equal the unsharded ones.

    python -m benchmarks.scale_bench [--accounts 20] [--regions 4] [--per-slice 5]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out" / "scale"
ALL_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1", "sa-east-1")
PROFILES = (
    {"Project": "checkout", "Owner": "team-a", "Env": "prod"},
    {"Project": "checkout"},
    {"project": "billing", "Owner": "team-b", "Environment": "dev"},
    {"Project": "search", "Owner": "team-c", "Env": "staging"},
    {},
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _exe(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """A ``moto_server`` process on a free port, answering; yields its endpoint URL."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [_exe("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/reset", data=b"")
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=30)


def seed(accounts: int, regions: tuple[str, ...], per_slice: int) -> int:
    """The organisation and its queues/topics; returns how many resources were created."""
    import boto3

    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    sessions = [boto3.Session()]
    sts = boto3.client("sts", region_name="us-east-1")
    for n in range(accounts - 1):
        member = orgs.create_account(Email=f"m{n}@example.invalid", AccountName=f"member-{n}")
        account = member["CreateAccountStatus"]["AccountId"]
        creds = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/HygieneReadOnly", RoleSessionName="seed"
        )["Credentials"]
        sessions.append(
            boto3.Session(
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
        )
    created = 0
    for session in sessions:
        for region in regions:
            sqs, sns = (
                session.client("sqs", region_name=region),
                session.client("sns", region_name=region),
            )
            for i in range(per_slice):
                tags = PROFILES[i % len(PROFILES)]
                sqs.create_queue(QueueName=f"q-{i}", **({"tags": tags} if tags else {}))
                sns.create_topic(
                    Name=f"t-{i}",
                    **({"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}),
                )
                created += 2
    return created


def audit(
    policy: Path, out: Path, env: dict[str, str], shard: str | None = None
) -> subprocess.Popen[str]:
    """Start ``hygiene audit --only tags`` (a shard of it when ``shard``)."""
    args = [
        _exe("hygiene"),
        "audit",
        "--config",
        str(policy),
        "--only",
        "tags",
        "--no-state",
        "--as-of",
        "2026-11-27",
        "--format",
        "json",
        "-o",
        str(out),
    ]
    if shard:
        args += ["--shard", shard]
    return subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def timed(processes: list[subprocess.Popen[str]]) -> float:
    started = time.perf_counter()
    for process in processes:
        _out, err = process.communicate()
        if process.returncode not in (0, 1):
            raise RuntimeError(f"audit failed ({process.returncode}): {err[-2000:]}")
    return time.perf_counter() - started


def run_sharded(count: int, policy: Path, env: dict[str, str]) -> dict[str, Any]:
    """N shard processes started together, then the merge; wall times and the merged findings."""
    parts = [OUT / f"part-{count}-{i}.json" for i in range(count)]
    started = time.perf_counter()
    wall = timed([audit(policy, parts[i], env, f"{i}/{count}") for i in range(count)])
    merge_started = time.perf_counter()
    merged = OUT / f"merged-{count}.json"
    done = subprocess.run(
        [
            _exe("hygiene"),
            "merge",
            *map(str, parts),
            "--expect",
            str(count),
            "--config",
            str(policy),
            "--no-state",
            "--format",
            "json",
            "-o",
            str(merged),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"merge failed: {done.stderr[-2000:]}")
    merge_cli = time.perf_counter() - merge_started
    # the merge alone, in-process (without the CLI's start-up)
    from hygiene.config import load_policy
    from hygiene.merge import merge_files

    loaded = load_policy([str(policy)])
    in_process = time.perf_counter()
    merge_files(parts, count, loaded, None)
    merge_lib = time.perf_counter() - in_process
    return {
        "shards": count,
        "shards_wall_seconds": round(wall, 2),
        "merge_cli_seconds": round(merge_cli, 2),
        "merge_seconds": round(merge_lib, 3),
        "total_seconds": round(time.perf_counter() - started, 2),
        "findings": sorted(f["id"] for f in json.loads(merged.read_text())["findings"]),
        "api_calls": sum(
            json.loads(p.read_text())["run"]["checks"]["tags"]["stats"].get("api_calls", 0)
            for p in parts
        ),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; prints and returns the numbers."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale_bench")
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--regions", type=int, default=4)
    parser.add_argument(
        "--per-slice", type=int, default=5, help="queues and topics per account × region"
    )
    parser.add_argument(
        "--types", default="sqs:queue,sns:topic", help="tags.resource_types of the audit"
    )
    parser.add_argument("--shards", default="2,4")
    args = parser.parse_args(argv)

    OUT.mkdir(parents=True, exist_ok=True)
    regions = ALL_REGIONS[: args.regions]
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "HYGIENE_LOG_LEVEL": "ERROR",
    }
    policy = OUT / "policy.yaml"
    types = [t for t in args.types.split(",") if t]
    policy.write_text(
        "version: 1\n"
        f"aws: {{organization: true, regions: {json.dumps(list(regions))}, max_workers: 16}}\n"
        f"tags: {{resource_types: {json.dumps(types)}}}\n",
        encoding="utf-8",
    )
    with moto_server() as endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            started = time.perf_counter()
            seeded = seed(args.accounts, regions, args.per_slice)
            seed_seconds = round(time.perf_counter() - started, 1)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        whole_out = OUT / "whole.json"
        whole_seconds = timed([audit(policy, whole_out, env)])
        whole = json.loads(whole_out.read_text())
        whole_ids = sorted(f["id"] for f in whole["findings"])
        runs = [run_sharded(int(n), policy, env) for n in args.shards.split(",") if n]
    result = {
        "benchmark": "scale",
        "accounts": args.accounts,
        "regions": len(regions),
        "resource_types": types,
        "seeded_resources": seeded,
        "seed_seconds": seed_seconds,
        "unsharded_seconds": round(whole_seconds, 2),
        "unsharded_api_calls": whole["run"]["checks"]["tags"]["stats"].get("api_calls"),
        "unsharded_findings": len(whole_ids),
        "sharded": [
            {
                **{k: v for k, v in r.items() if k != "findings"},
                "equal_to_unsharded": r["findings"] == whole_ids,
            }
            for r in runs
        ],
    }
    (OUT / "scale_bench.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(
        f"seeded {seeded} resources in {seed_seconds}s ({args.accounts} accounts × {len(regions)} regions, "
        "moto_server process)"
    )
    print(
        f"unsharded: {result['unsharded_seconds']} s, {result['unsharded_api_calls']} calls, "
        f"{len(whole_ids)} findings"
    )
    for r in result["sharded"]:
        print(
            f"N={r['shards']}: shards in parallel {r['shards_wall_seconds']} s, merge {r['merge_seconds']} s "
            f"(CLI {r['merge_cli_seconds']} s), {r['api_calls']} calls, equal: {r['equal_to_unsharded']}"
        )
    return result


if __name__ == "__main__":
    main()
