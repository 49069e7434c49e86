"""Streaming benchmark (issue #11 item 4): peak memory of whole runs as the estate grows.

A run must never hold all of a large estate's records or findings in memory: records stream from
the collectors slice by slice (repository by repository), findings go to an on-disk spool batch
by batch, and the store and the JSON artefact read them back a page at a time. If that holds,
peak memory stays flat while the estate grows; if anything gathers the estate, it grows with it.

Each measurement is one child process running the real pipeline, ``run_audit`` with a SQLite
state, then the JSON artefact written the way ``hygiene audit --format json -o`` writes it:

- **resources**: the ``tags`` check over ``N`` synthetic AWS resources. A ``moto_server``
  process answers the AWS calls the run makes (STS); the inventory's families are replaced by
  100 synthetic families (one slice each per region, 4 regions) whose listers generate
  ``N / 400`` records per slice with five tag profiles (4 in 5 resources get a finding), so
  the fan-out, evaluation, exceptions, spool, store and rendering are the shipped code.
- **repos**: the repository checks (``env``, ``secrets``, ``readiness``) over ``R`` git
  repositories built with ``git fast-import`` (3 commits; a 60 KB Python module, a Flask app
  reading two variables, a ``.env.example`` documenting one, README, config; every fourth repo
  has an AWS key in HEAD and one in history only).

Peak RSS is the child's own ``VmHWM`` (reset at start); the secret scanner's worker processes are
reported apart (largest worker, ``RUSAGE_CHILDREN``).

    python -m benchmarks.stream_bench                                   # 25k/100k/200k resources, 250/1,000 repos
    python -m benchmarks.stream_bench --resources 20000,40000 --repos 50,100   # quick
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.scale_bench import PROFILES, moto_server

OUT = Path(__file__).resolve().parent / "out" / "stream"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2")
FAMILIES = 100
FAKE_KEY = "AKIA" + "Q3EGJ7TBDXW5LZPV"  # a made-up key in AWS's format; planted in the repos


# ------------------------------------------------------------------------------ children


def _reset_peak() -> None:
    """Forget the peak RSS inherited from the parent at fork (Linux ≥ 4.0: clear_refs 5)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_kib() -> int:
    """This process's peak RSS in KiB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def bench_policy() -> Any:
    """The policy of the resource runs (shards and their merge must share it)."""
    from hygiene.policy import AwsPolicy, Policy

    return Policy(aws=AwsPolicy(regions=list(REGIONS), max_workers=8))


def resources_child(total: int, endpoint: str, shard: str = "", part: str = "") -> dict[str, Any]:
    """The tags check over ``total`` synthetic resources, recorded and rendered; with ``shard``
    (``I/N``) only that shard's share, written as a partial document to ``part``."""
    from datetime import UTC, datetime

    from hygiene.cli.options import write_atomically
    from hygiene.pipeline import run_audit
    from hygiene.records.cloud import ResourceRecord
    from hygiene.shard import Shard
    from hygiene.sources.aws import inventory
    from hygiene.sources.aws.inventory.base import Family

    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
    )
    per_slice = total // (FAMILIES * len(REGIONS))

    def family(number: int) -> Family:
        def lister(scope: Any, account: str, region: str, wanted: Any) -> list[ResourceRecord]:
            return [
                ResourceRecord(
                    provider="aws",
                    account=account,
                    region=region,
                    resource_type=f"synthetic:type{number}",
                    resource_id=f"arn:aws:synthetic:{region}:{account}:t{number}/{i}",
                    tags=dict(PROFILES[i % len(PROFILES)]),
                    name=f"r{number}-{i}",
                )
                for i in range(per_slice)
            ]

        return Family(f"synthetic{number:03d}", (f"synthetic:type{number}",), lister)

    inventory.FAMILIES = tuple(family(n) for n in range(FAMILIES))
    options = {"shard": Shard(*map(int, shard.split("/")))} if shard else None
    _reset_peak()
    baseline = _peak_kib()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run = run_audit(
            policy=bench_policy(),
            as_of=datetime(2026, 11, 27, tzinfo=UTC),
            only=["tags"],
            state_path=Path(tmp) / "state.db",
            options=options,
        )
        out = Path(part) if part else Path(tmp) / "audit.json"
        write_atomically(out, json_artefact(run))
        seconds = time.perf_counter() - started
        size = out.stat().st_size
    (tags,) = [r for r in run.results if r.name == "tags"]
    if tags.status != "ok":
        raise RuntimeError(f"tags check {tags.status}: {tags.reason}")
    return {
        "resources": tags.stats["resources"],
        "findings": len(run.findings),
        "seconds": round(seconds, 1),
        "json_mib": round(size / 2**20, 1),
        "peak_rss_mib": round(_peak_kib() / 1024, 1),
        "baseline_rss_mib": round(baseline / 1024, 1),
    }


def merge_child(parts: list[str]) -> dict[str, Any]:
    """``hygiene merge`` of the shard documents ``parts``, recorded and rendered."""
    from hygiene.cli.options import write_atomically
    from hygiene.merge import merge_files

    _reset_peak()
    baseline = _peak_kib()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run = merge_files([Path(p) for p in parts], len(parts), bench_policy(), Path(tmp) / "s.db")
        write_atomically(Path(tmp) / "merged.json", json_artefact(run))
        seconds = time.perf_counter() - started
    return {
        "parts": len(parts),
        "status": run.status,
        "findings": len(run.findings),
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(_peak_kib() / 1024, 1),
        "baseline_rss_mib": round(baseline / 1024, 1),
    }


def repos_child(count: int) -> dict[str, Any]:
    """The repository checks over the first ``count`` benchmark repositories."""
    from datetime import UTC, datetime

    from hygiene.cli.options import write_atomically
    from hygiene.pipeline import run_audit
    from hygiene.policy import Policy

    repos = sorted((OUT / "repos-v2").iterdir())[:count]
    _reset_peak()
    baseline = _peak_kib()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        run = run_audit(
            policy=Policy(),
            as_of=datetime(2026, 11, 27, tzinfo=UTC),
            only=["env", "secrets", "readiness"],
            repos=repos,
            state_path=Path(tmp) / "state.db",
        )
        write_atomically(Path(tmp) / "audit.json", json_artefact(run))
        seconds = time.perf_counter() - started
    for result in run.results:
        if result.status != "ok":
            raise RuntimeError(f"{result.name} check {result.status}: {result.reason}")
    (secrets,) = [r for r in run.results if r.name == "secrets"]
    by_check: dict[str, int] = {}
    for finding in run.findings:
        by_check[finding.check] = by_check.get(finding.check, 0) + 1
    return {
        "repos": secrets.stats["repos"],
        "findings": len(run.findings),
        "findings_by_check": by_check,
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(_peak_kib() / 1024, 1),
        "baseline_rss_mib": round(baseline / 1024, 1),
        "largest_worker_rss_mib": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
    }


def json_artefact(run: Any) -> Any:
    """What ``--format json -o`` writes: chunks from the spool (or, run with ``PYTHONPATH``
    pointing at a checkout from before streaming, the whole text, for the comparison)."""
    try:
        from hygiene.publish.formats import render_chunks
    except ImportError:  # code before streaming
        from hygiene.publish.formats import render

        return render(run.to_contract(), "json")
    return render_chunks(run.to_contract(lazy=True), "json")


# ------------------------------------------------------------------------------ set-up


def make_repos(count: int) -> None:
    """``count`` small repositories under out/stream/repos (kept between runs)."""
    root = OUT / "repos-v2"
    root.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        repo = root / f"repo-{n:04d}"
        if (repo / ".git").exists():
            continue
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        subprocess.run(
            ["git", "-C", str(repo), "fast-import", "--quiet"],
            input=_history(n).encode(),
            check=True,
        )
        subprocess.run(["git", "-C", str(repo), "checkout", "-q", "-f", "main"], check=True)


def _history(n: int) -> str:
    planted = n % 4 == 0
    module = "".join(
        f"def handler_{n}_{i}(event, context):\n    return {{'id': {i}, 'name': 'item-{i}'}}\n\n"
        for i in range(900)
    )
    files = {
        "app.py": "import os\n\nfrom flask import Flask\n\napp = Flask(__name__)\n"
        'DSN = os.environ["DATABASE_URL"]\nLEVEL = os.getenv("LOG_LEVEL", "info")\n'
        f'VERSION = "{n}"\n',
        "handlers.py": module,
        ".env.example": "DATABASE_URL=postgresql://localhost/app\n",
        "README.md": f"# service {n}\n\nRun it with `make run`.\n",
        "config.yaml": f"name: service-{n}\nreplicas: {n % 5 + 1}\n",
    }
    commits = [
        dict(files),
        {**files, "deploy.sh": f"aws_access_key_id = {FAKE_KEY}\n"} if planted else files,
        {
            **files,
            "settings.py": f'AWS_ACCESS_KEY_ID = "{FAKE_KEY[:-4]}{n % 10}XYZ"\n'
            if planted
            else "DEBUG = False\n",
        },
    ]
    out = []
    for number, tree in enumerate(commits):
        message = f"commit {number}\n"
        out.append("commit refs/heads/main")
        out.append(f"committer Bench <bench@example.invalid> {1_700_000_000 + number} +0000")
        out.append(f"data {len(message.encode())}\n{message}")
        out.append("deleteall")
        for path, text in tree.items():
            out.append(f"M 100644 inline {path}\ndata {len(text.encode())}\n{text}")
        out.append("")
    return "\n".join(out) + "\n"


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.stream_bench", *args],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "HYGIENE_LOG_LEVEL": "ERROR"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {args} failed: {done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure_merge(total: int, endpoint: str, count: int = 4) -> dict[str, Any]:
    """``total`` resources audited as ``count`` shards (one after another), then merged."""
    paths = [str(OUT / f"part-{i}-of-{count}.json") for i in range(count)]
    shards = [
        _child(
            [
                "--resources-child",
                str(total),
                "--endpoint",
                endpoint,
                "--shard",
                f"{i}/{count}",
                "--part",
                paths[i],
            ]
        )
        for i in range(count)
    ]
    merged = _child(["--merge-child", *paths])
    print(
        f"merge of {count} shards of {total} resources: {merged['findings']} findings in "
        f"{merged['seconds']} s, peak RSS {merged['peak_rss_mib']} MiB; shards' peaks "
        + ", ".join(f"{s['peak_rss_mib']}" for s in shards)
        + " MiB",
        flush=True,
    )
    return {"shards": shards, "merged": merged}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; prints and returns the numbers."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stream_bench")
    parser.add_argument("--resources", default="25000,100000,200000")
    parser.add_argument("--repos", default="250,1000")
    parser.add_argument(
        "--merge", type=int, default=100_000, help="resources audited as 4 shards, then merged"
    )
    parser.add_argument("--resources-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    parser.add_argument("--shard", default="", help=argparse.SUPPRESS)
    parser.add_argument("--part", default="", help=argparse.SUPPRESS)
    parser.add_argument("--merge-child", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--repos-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.resources_child:
        result = resources_child(args.resources_child, args.endpoint, args.shard, args.part)
        print(json.dumps(result))
        return result
    if args.merge_child:
        result = merge_child(args.merge_child)
        print(json.dumps(result))
        return result
    if args.repos_child:
        result = repos_child(args.repos_child)
        print(json.dumps(result))
        return result

    OUT.mkdir(parents=True, exist_ok=True)
    sizes = [int(n) for n in args.resources.split(",") if n]
    repo_counts = [int(n) for n in args.repos.split(",") if n]
    resources: list[dict[str, Any]] = []
    merge: dict[str, Any] = {}
    if sizes or args.merge:
        with moto_server() as endpoint:
            for size in sizes:
                resources.append(_child(["--resources-child", str(size), "--endpoint", endpoint]))
                print(
                    "resources: {resources} → {findings} findings in {seconds} s, JSON "
                    "{json_mib} MiB, peak RSS {peak_rss_mib} MiB (start {baseline_rss_mib} MiB)".format(
                        **resources[-1]
                    ),
                    flush=True,
                )
            if args.merge:
                merge = measure_merge(args.merge, endpoint)
    repos: list[dict[str, Any]] = []
    if repo_counts:
        started = time.perf_counter()
        make_repos(max(repo_counts))
        print(f"{max(repo_counts)} repositories ready in {time.perf_counter() - started:.1f} s")
        for count in repo_counts:
            repos.append(_child(["--repos-child", str(count)]))
            print(
                "repos: {repos} → {findings} findings {findings_by_check} in {seconds} s, peak RSS {peak_rss_mib} MiB "
                "(start {baseline_rss_mib} MiB; largest scan worker {largest_worker_rss_mib} MiB)".format(
                    **repos[-1]
                ),
                flush=True,
            )
    result = {"benchmark": "stream", "resources": resources, "merge": merge, "repos": repos}
    (OUT / "stream_bench.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    if not shutil.which("git"):
        sys.exit("stream_bench needs git")
    main()
