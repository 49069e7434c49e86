"""Spend join memory: what the tags inventory of the spend↔resources join costs as the estate
grows, before and after it stopped keeping the tags check's records.

Each measurement is one child process that feeds the inventory as the joins stage does when
tags and budgets run together: ``N`` synthetic resource records in 400 batches (one per slice,
as the inventory streams them; five tag profiles), each batch judged by the tags check's own
rules (``evaluate``) and handed over with its findings (``see``, then ``kept``), then the
``allocation`` stats of a bill of 50,000 per-resource costs (the budgets read's limit): 40,000
resources of the estate, named by ARN or by short id, 10,000 the estate does not hold, charges
without a resource and the limit's tail row. Variants:

- **before**: the inventory of commit ``--before`` (loaded from git into a temporary module),
  which keeps every record and finding until the join;
- **after, bill first**: the bill reaches the inventory before the first batch (the budgets
  check read it first): batches are joined as they come;
- **after, bill last**: the bill comes after the last batch: batches wait in the spool on disk.

Peak RSS is the child's ``VmHWM`` (reset once the bill is built, so both sides start alike);
``join s`` is the time spent in the inventory and the join, ``total s`` adds making the records
and evaluating them. The children's ``allocation`` stats are compared: before and after must
give the same figures.

    python -m benchmarks.join_bench                          # 100k and 200k resources
    python -m benchmarks.join_bench --resources 20000        # quick
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks.scale_bench import PROFILES
from benchmarks.stream_bench import _peak_kib, _reset_peak

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "out" / "join_memory"
#: the last commit whose inventory kept every record (the join before this benchmark)
BEFORE = "52b3fa2"
MODULE = "src/hygiene/joins/spend_resources.py"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2")
ACCOUNTS = ("123456789012", "210987654321")
FAMILIES = 50  # × 4 regions × 2 accounts = 400 batches
BILLED, UNKNOWN = 40_000, 10_000
KEYS = ("Project", "Owner", "Env")
AS_OF = datetime(2026, 11, 27, tzinfo=UTC)


def slices() -> list[tuple[str, str, int]]:
    return [(a, r, f) for a in ACCOUNTS for r in REGIONS for f in range(FAMILIES)]


def batch(account: str, region: str, family: int, per_slice: int) -> list[Any]:
    """One slice's records (unique short ids, as EC2's ``i-…``; the name is the short id)."""
    from hygiene.records.cloud import ResourceRecord

    out = []
    for i in range(per_slice):
        short = f"r{family:02d}-{REGIONS.index(region)}-{account[:3]}-{i:05d}"
        out.append(
            ResourceRecord(
                provider="aws",
                account=account,
                region=region,
                resource_type=f"synthetic:type{family}",
                resource_id=f"arn:aws:synthetic:{region}:{account}:t{family}/{short}",
                tags=dict(PROFILES[i % len(PROFILES)]),
                name=short,
            )
        )
    return out


def bill(per_slice: int) -> Any:
    """The budgets check's spend data: per-resource costs of 50,000 resources and the rest."""
    from hygiene.records.billing import ResourceCost, ResourceSpend, SpendData

    costs = []
    every = slices()
    billed = min(BILLED, per_slice * len(every))
    for n in range(billed):  # spread over the slices, every other by its ARN
        account, region, family = every[n % len(every)]
        i = n // len(every)
        short = f"r{family:02d}-{REGIONS.index(region)}-{account[:3]}-{i:05d}"
        arn = f"arn:aws:synthetic:{region}:{account}:t{family}/{short}"
        costs.append(_cost(arn if n % 2 else short, account, 1 + n % 97, n % 3 == 0))
    for n in range(UNKNOWN):
        costs.append(_cost(f"gone-{n:05d}", ACCOUNTS[n % 2], 1 + n % 13, n % 2 == 0))
    for kind in ("support", "tax", "data-transfer"):
        costs.append(
            ResourceCost(None, "USD", "AWS", None, None, kind, {}, Decimal(50), Decimal(50))
        )
    costs.append(
        ResourceCost(
            None, "USD", "AWS", None, None, None, {}, Decimal(900), Decimal(850), 0, 7, True
        )
    )
    spend = ResourceSpend(date(2026, 11, 1), billed + UNKNOWN, costs)
    return SpendData(tag_keys=KEYS, resources=spend)


def _cost(resource_id: str, account: str, amount: int, tagged: bool) -> Any:
    from hygiene.records.billing import ResourceCost

    tags = {"Project": "checkout", "Owner": "team-a", "Env": "prod"} if tagged else {}
    value = Decimal(amount) + Decimal("0.25")
    return ResourceCost(
        resource_id,
        "USD",
        "AWS",
        account,
        "Synthetic",
        None,
        {k: tags.get(k) for k in KEYS},
        value,
        value,
        line_items=3,
    )


def load_before(rev: str, into: Path) -> ModuleType:
    """The join module of ``rev``, imported under another name (its imports are today's)."""
    text = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:{MODULE}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = into / "spend_resources_before.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("spend_resources_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def child(variant: str, total: int, rev: str) -> dict[str, Any]:
    """Feed ``total`` resources to one variant's inventory, then join: the figures."""
    from hygiene.checks.tags.rules import evaluate
    from hygiene.policy import Policy

    policy = Policy()
    per_slice = total // len(slices())
    with tempfile.TemporaryDirectory() as tmp:
        if variant == "before":
            module = load_before(rev, Path(tmp))
            inventory = module.TagsInventory()
        else:
            from hygiene.joins import spend_resources as module

            inventory = module.TagsInventory(policy, spool_dir=tmp)
        spend = bill(per_slice)
        _reset_peak()
        baseline = _peak_kib()
        started = time.perf_counter()
        in_join = 0.0
        spooled = 0
        if variant == "after-bill-first":
            inventory.bill(spend)
        for account, region, family in slices():
            records = batch(account, region, family, per_slice)
            findings = evaluate(records, policy, AS_OF)
            mark = time.perf_counter()
            inventory.see(records)
            inventory.kept(findings)
            in_join += time.perf_counter() - mark
            del records, findings
        mark = time.perf_counter()
        if variant == "after-bill-last":
            spooled = inventory.spooled[2]
            inventory.bill(spend)
        stats = module.allocation_stats(spend, policy, inventory)
        in_join += time.perf_counter() - mark
        seconds = time.perf_counter() - started
        peak = _peak_kib()
    assert stats is not None
    digest = hashlib.sha256(json.dumps(stats, sort_keys=True).encode()).hexdigest()[:16]
    return {
        "variant": variant,
        "resources": stats["resources_counted"],
        "billed": len(spend.resources.costs),
        "coverage_by_spend": stats["coverage_by_spend"],
        "judged_by": stats["judged_by"],
        "stats_sha256": digest,
        "join_s": round(in_join, 2),
        "total_s": round(seconds, 1),
        "spooled_mib": round(spooled / 2**20, 1),
        "baseline_rss_mib": round(baseline / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "growth_mib": round((peak - baseline) / 1024, 1),
    }


def _run_child(variant: str, total: int, rev: str) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.join_bench",
            "--child",
            variant,
            "--resources",
            str(total),
            "--before",
            rev,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "HYGIENE_LOG_LEVEL": "ERROR"},
    )
    if done.returncode != 0:
        raise RuntimeError(f"child {variant} {total} failed: {done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


VARIANTS = ("before", "after-bill-first", "after-bill-last")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; prints and returns the numbers."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.join_bench")
    parser.add_argument("--resources", default="100000,200000")
    parser.add_argument("--before", default=BEFORE, help="the commit measured as 'before'")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        result = child(args.child, int(args.resources), args.before)
        print(json.dumps(result))
        return result
    rows: list[dict[str, Any]] = []
    for total in [int(n) for n in args.resources.split(",") if n]:
        digests = set()
        for variant in [v for v in args.variants.split(",") if v]:
            row = _run_child(variant, total, args.before)
            rows.append(row)
            digests.add(row["stats_sha256"])
            print(
                "{resources} resources, {variant}: peak RSS {peak_rss_mib} MiB (+{growth_mib} "
                "over {baseline_rss_mib} MiB), join {join_s} s, total {total_s} s, spooled "
                "{spooled_mib} MiB, coverage by spend {coverage_by_spend} % "
                "[{stats_sha256}]".format(**row),
                flush=True,
            )
        if len(digests) != 1:
            raise SystemExit(f"the variants' allocation stats differ at {total}: {digests}")
    result = {"benchmark": "join_memory", "before": args.before, "rows": rows}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "join_memory.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
