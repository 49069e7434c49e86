"""Spend by tag: hygiene's DuckDB aggregation against a straightforward pandas implementation.

Generates a FOCUS Parquet file of ``--rows`` line items (default 10 million) with JSON ``Tags``
of 100,000 resources, each with one of a few thousand dirty tag sets (``env``/``Environment``/``ENV``, ``production``/``prod``,
untagged rows, credits, two billing periods), then runs each implementation in its own
subprocess and records wall time and peak RSS (``ru_maxrss``) of that process. Both compute
September's usage cost per normalised (Project, Env); the benchmark checks they agree to the cent.

    python -m benchmarks.spend_bench                 # 10M rows (the recorded run)
    python -m benchmarks.spend_bench --rows 1000000  # a quick run
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
KEYS = ("Project", "Env")
PROJECTS = ["checkout", "search", "data", "auth", "billing", "ml", "web", "api", "etl", "ops"]
ENVS = ["prod", "production", "Prod ", "dev", "development", "staging", "stg", "qa"]
ENV_KEYS = ["Env", "env", "Environment", "ENV", " environment"]
PROJECT_KEYS = ["Project", "project", "ProjectName", "project_name"]


def tag_pool(size: int, seed: int = 7) -> list[str | None]:
    """Distinct dirty tag sets as JSON text (some rows carry none)."""
    rng = random.Random(seed)
    pool: list[str | None] = [None]
    for i in range(size):
        tags: dict[str, str] = {}
        if rng.random() < 0.85:
            tags[rng.choice(PROJECT_KEYS)] = rng.choice(PROJECTS)
        if rng.random() < 0.9:
            tags[rng.choice(ENV_KEYS)] = rng.choice(ENVS)
        tags["CostCenter"] = f"cc-{i % 97}"
        tags["Owner"] = f"team-{i % 31}"
        pool.append(json.dumps(tags))
    return pool


def generate(path: Path, rows: int) -> None:
    """Write the FOCUS Parquet file with DuckDB (seconds, little memory)."""
    import duckdb

    pool = tag_pool(2000)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE pool (id INTEGER, tags VARCHAR)")
    con.executemany("INSERT INTO pool VALUES (?, ?)", list(enumerate(pool)))
    n = len(pool)
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"""
COPY (
  SELECT
    round(((hash(i) % 100000) / 1000.0)::DOUBLE * CASE WHEN i % 50 = 0 THEN -0.1 ELSE 1 END, 6) AS BilledCost,
    round(((hash(i) % 100000) / 1100.0)::DOUBLE, 6) AS EffectiveCost,
    round(((hash(i) % 100000) / 900.0)::DOUBLE, 6) AS ListCost,
    'USD' AS BillingCurrency,
    TIMESTAMP '2024-08-25 00:00:00' + to_hours(CAST(i % (37 * 24) AS BIGINT)) AS ChargePeriodStart,
    TIMESTAMP '2024-08-25 01:00:00' + to_hours(CAST(i % (37 * 24) AS BIGINT)) AS ChargePeriodEnd,
    CASE WHEN i % (37 * 24) < 7 * 24 THEN TIMESTAMP '2024-08-01' ELSE TIMESTAMP '2024-09-01' END AS BillingPeriodStart,
    CASE WHEN i % 50 = 0 THEN 'Credit' WHEN i % 97 = 0 THEN 'Tax' ELSE 'Usage' END AS ChargeCategory,
    'Amazon Elastic Compute Cloud' AS ServiceName,
    'AWS' AS ProviderName,
    CAST(100000000000 + pool.id % 50 AS VARCHAR) AS SubAccountId,
    'i-' || CAST(i % 100000 AS VARCHAR) AS ResourceId,
    pool.tags AS Tags
  FROM range({rows}) AS r(i) JOIN pool ON pool.id = CAST(hash(i % 100000) % {n} AS INTEGER)
) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 500000)
""")
    con.close()


# --------------------------------------------------------------------------- implementations


def run_hygiene(path: Path) -> dict[str, str]:
    """hygiene's path: DuckDB reads the Parquet, normalises tags per distinct set, aggregates."""
    from hygiene.policy import TagsPolicy
    from hygiene.sources.billing.sql import SpendQuery
    from hygiene.sources.billing_files import read_spend

    query = SpendQuery(date(2024, 9, 1), date(2024, 10, 1), datetime(2024, 10, 1), KEYS)
    rows = read_spend([str(path)], query, TagsPolicy(), cache_dir=OUT / "cache", memory_limit="1GB")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.kind == "usage":
            totals[json.dumps([row.tags["Project"], row.tags["Env"]])] += row.billed_cost
    return {k: str(v.quantize(Decimal("0.01"))) for k, v in totals.items()}


def run_pandas(path: Path) -> dict[str, str]:
    """The straightforward way: load the columns, parse each row's JSON, normalise, group."""
    import pandas as pd

    from hygiene.policy import TagsPolicy
    from hygiene.tagging import key_lookup, normalise_value

    policy = TagsPolicy()
    lookup = key_lookup(policy)
    frame = pd.read_parquet(
        path, columns=["BilledCost", "BillingPeriodStart", "ChargeCategory", "Tags"]
    )
    frame = frame[
        (frame["BillingPeriodStart"] == pd.Timestamp("2024-09-01"))
        & (frame["ChargeCategory"] == "Usage")
    ]

    def extract(text: str | None) -> tuple[str | None, str | None]:
        found: dict[str, str] = {}
        exact: set[str] = set()
        for key, value in (json.loads(text) if text else {}).items():
            canonical = lookup.get(key.strip().lower())
            if canonical not in KEYS or value is None:
                continue
            if key == canonical:
                exact.add(key)
                found[key] = normalise_value(key, str(value), policy)
            elif canonical not in found and canonical not in exact:
                found[canonical] = normalise_value(canonical, str(value), policy)
        return found.get("Project") or None, found.get("Env") or None

    pairs = frame["Tags"].map(extract)
    frame = frame.assign(Project=pairs.str[0], Env=pairs.str[1])
    grouped = frame.groupby(["Project", "Env"], dropna=False)["BilledCost"].sum()
    out: dict[str, str] = {}
    for (project, env), cost in grouped.items():
        key = json.dumps([None if pd.isna(project) else project, None if pd.isna(env) else env])
        out[key] = str(Decimal(str(cost)).quantize(Decimal("0.01")))
    return out


IMPLEMENTATIONS = {"hygiene": run_hygiene, "pandas": run_pandas}


def child(name: str, path: Path) -> None:
    """Run one implementation in this process and print its figures as JSON."""
    started = time.perf_counter()
    totals = IMPLEMENTATIONS[name](path)
    seconds = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "peak_mib": round(peak_mib), "totals": totals}))


def measure(name: str, path: Path) -> dict[str, Any]:
    """Run an implementation in a fresh subprocess (so peak memory is its own)."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.spend_bench", "--child", name, "--file", str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def agree(a: dict[str, str], b: dict[str, str]) -> bool:
    """Same groups, totals within a cent per group (pandas sums floats)."""
    return a.keys() == b.keys() and all(
        abs(Decimal(a[k]) - Decimal(b[k])) <= Decimal("0.01") for k in a
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Generate the input, run both implementations, print and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--child", choices=sorted(IMPLEMENTATIONS))
    parser.add_argument("--file", type=Path)
    parser.add_argument("--skip-pandas", action="store_true", help="Run hygiene only.")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.file)
        return {}
    path = OUT / f"focus_{args.rows}.parquet"
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.rows)
        print(
            f"generated {path} ({path.stat().st_size / 2**20:.0f} MiB) in "
            f"{time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )
    figures: dict[str, Any] = {"rows": args.rows, "file_mib": round(path.stat().st_size / 2**20)}
    hygiene = measure("hygiene", path)
    figures["hygiene"] = {k: hygiene[k] for k in ("seconds", "peak_mib")}
    figures["groups"] = len(hygiene["totals"])
    if not args.skip_pandas:
        pandas = measure("pandas", path)
        figures["pandas"] = {k: pandas[k] for k in ("seconds", "peak_mib")}
        figures["speedup"] = round(pandas["seconds"] / max(hygiene["seconds"], 0.01), 1)
        figures["agree"] = agree(hygiene["totals"], pandas["totals"])
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
