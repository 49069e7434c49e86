"""Benchmark of the GCP sources: the billing-export → FOCUS query, and the label inventory.

1. **Export query** — generates ``--rows`` line items of a detailed billing export (``--projects``
   projects, 12 services, 30 days, a third with credits, varied labels), loads them into DuckDB
   with the export's schema, and times the same query hygiene sends to BigQuery, in its DuckDB
   dialect; checks that the FOCUS total equals the generated cost net of credits.
2. **Label inventory** — serves ``--projects`` × ``--resources`` resources from the local gRPC
   server (the tests' server, pages of 500 as Cloud Asset returns them) and times
   ``list_resources`` through the real ``google-cloud-asset`` client, fanned out over projects.

    python -m benchmarks.gcp_bench                          # 200,000 rows; 20 × 2,000 resources
    python -m benchmarks.gcp_bench --rows 20000 --resources 200
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

SERVICES = [(f"{i:04X}-SVC", f"Service {i}") for i in range(12)]


def export_rows(count: int, projects: int, seed: int = 7) -> tuple[list[dict[str, Any]], Decimal]:
    """Deterministic export line items and their total cost net of credits (as exact decimals)."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows, total = [], Decimal(0)
    for n in range(count):
        project = f"proj-{n % projects:03d}"
        service_id, service = SERVICES[rng.randrange(len(SERVICES))]
        cost = Decimal(rng.randrange(1, 100_000)) / 1000
        credit = -(cost / 4).quantize(Decimal("0.001")) if n % 3 == 0 else Decimal(0)
        total += cost + credit
        day = start + timedelta(days=rng.randrange(30), hours=rng.randrange(24))
        labels = [{"key": "env", "value": rng.choice(["prod", "dev", "staging"])}]
        if n % 5:
            labels.append({"key": "owner", "value": f"team-{n % 7}"})
        rows.append(
            {
                "billing_account_id": "AAAAAA-BBBBBB-CCCCCC",
                "service": {"id": service_id, "description": service},
                "sku": {"id": "SKU", "description": "sku"},
                "usage_start_time": day,
                "usage_end_time": day + timedelta(hours=1),
                "project": {
                    "id": project,
                    "number": str(1000 + n % projects),
                    "name": project,
                    "labels": [{"key": "project", "value": project}],
                    "ancestry_numbers": "/1/",
                },
                "labels": labels,
                "system_labels": [],
                "location": {
                    "location": "europe-west1",
                    "country": "BE",
                    "region": "europe-west1",
                    "zone": None,
                },
                "export_time": day,
                "cost": float(cost),
                "currency": "USD",
                "currency_conversion_rate": 1.0,
                "usage": {
                    "amount": 1.0,
                    "unit": "s",
                    "amount_in_pricing_units": 1.0,
                    "pricing_unit": "h",
                },
                "credits": [
                    {
                        "name": "cud",
                        "amount": float(credit),
                        "full_name": None,
                        "id": "c",
                        "type": "COMMITTED_USAGE_DISCOUNT",
                    }
                ]
                if credit
                else [],
                "invoice": {"month": "202611"},
                "cost_type": "regular",
                "adjustment_info": None,
                "resource": {
                    "name": f"vm-{n % 5000}",
                    "global_name": f"//compute/{project}/vm-{n % 5000}",
                },
            }
        )
    return rows, total


def bench_export(rows: int, projects: int) -> dict[str, Any]:
    """Load and query the generated export on DuckDB."""
    import duckdb
    from tests.integration.gcp_server.bigquery import create_export_table

    from hygiene.sources.gcp.billing_export import query_duckdb

    data, expected = export_rows(rows, projects)
    table = "bench.billing.gcp_billing_export_resource_v1_X"
    connection = duckdb.connect()
    started = time.perf_counter()
    create_export_table(connection, table, data, detailed=True)
    loaded = time.perf_counter() - started
    period = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    started = time.perf_counter()
    focus = query_duckdb(connection, table, *period)
    queried = time.perf_counter() - started
    started = time.perf_counter()
    per_resource = query_duckdb(connection, table, *period, by_resource=True)
    queried_per_resource = time.perf_counter() - started
    total = sum((r["BilledCost"] for r in focus), Decimal(0))
    return {
        "export_rows": rows,
        "focus_rows": len(focus),
        "load_s": round(loaded, 3),
        "query_s": round(queried, 3),
        "rows_per_s": round(rows / queried) if queried else None,
        "focus_rows_by_resource": len(per_resource),
        "query_by_resource_s": round(queried_per_resource, 3),
        "total": str(total),
        "total_matches_generated": total == expected,
    }


def bench_inventory(projects: int, resources: int) -> dict[str, Any]:
    """list_resources over the local gRPC server."""
    from google.cloud import asset_v1
    from tests.integration.gcp_server.server import Estate, GcpApiServer

    from hygiene.policy import GcpPolicy
    from hygiene.records.gcp import GcpProject
    from hygiene.sources.gcp.assets import list_resources
    from hygiene.sources.gcp.scope import GcpScope

    estate = Estate(page_size=500)
    for p in range(projects):
        estate.resources[f"projects/p{p}"] = [
            asset_v1.ResourceSearchResult(
                name=f"//compute.googleapis.com/projects/p{p}/zones/z/instances/vm-{r}",
                asset_type="compute.googleapis.com/Instance",
                project=f"projects/{p}",
                location="z",
                labels={"env": "prod"} if r % 2 else {},
            )
            for r in range(resources)
        ]
    server = GcpApiServer(estate).start()
    try:
        scope = GcpScope.connect(
            GcpPolicy(projects=["p0"]), {"HYGIENE_GCP_ENDPOINT": server.endpoint}
        )
        started = time.perf_counter()
        result = list_resources(
            scope, [GcpProject(f"p{p}") for p in range(projects)], required_keys=["Env"]
        )
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
    records = sum(len(batch) for _, batch in result.values)
    return {
        "projects": projects,
        "resources": records,
        "pages": scope.stats()["gcp_api_calls"],
        "inventory_s": round(elapsed, 3),
        "resources_per_s": round(records / elapsed) if elapsed else None,
        "errors": result.errors,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run both benchmarks; print and return the numbers."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gcp_bench")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--resources", type=int, default=2_000)
    args = parser.parse_args(argv)
    results = {
        "export": bench_export(args.rows, args.projects),
        "inventory": bench_inventory(args.projects, args.resources),
    }
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
