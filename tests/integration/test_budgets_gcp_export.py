"""The ``bigquery://`` billing source: the GCP export through the local BigQuery server, mapped to
FOCUS by sources/gcp/billing_export.py, then aggregated by the same spend query as files."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hygiene.checks.budgets import evaluate
from hygiene.collect.budgets import collect
from hygiene.context import RunContext
from hygiene.policy import Policy
from tests.integration.gcp_server.fixtures import Gcp, gcp_fixture, gcp_servers_fixture  # noqa: F401
from tests.integration.gcp_server.sample import AS_OF, EXPORT_TABLE

pytestmark = pytest.mark.integration


def test_bigquery_export_source(gcp: Gcp, tmp_path: Path) -> None:
    policy = Policy.model_validate(
        {
            "gcp": {"projects": ["shop-prod", "shop-dev"]},
            "billing": {"sources": [f"bigquery://{EXPORT_TABLE}"]},
            "budgets": [
                {"name": "shop-prod", "scope": {"SubAccountId": "shop-prod"}, "amount": "500"}
            ],
        }
    )
    ctx = RunContext(run_id="t", as_of=AS_OF, policy=policy, cache_dir=tmp_path, environ=gcp.env)
    collection = collect(ctx)
    assert collection.errors == []
    totals: dict[tuple[date, str, str | None, str], Decimal] = defaultdict(Decimal)
    for row in collection.records.rows:
        totals[(row.billing_month, row.provider, row.sub_account, row.category)] += row.billed_cost
    # sources/gcp sample_export(): November shop-prod 300.25 + 200 + 40 usage, 20 tax, -50 credit;
    # shop-dev 150; October shop-dev 999
    assert dict(totals) == {
        (date(2026, 11, 1), "Google Cloud", "shop-prod", "Usage"): Decimal("540.25"),
        (date(2026, 11, 1), "Google Cloud", "shop-prod", "Tax"): Decimal("20"),
        (date(2026, 11, 1), "Google Cloud", "shop-prod", "Credit"): Decimal("-50"),
        (date(2026, 11, 1), "Google Cloud", "shop-dev", "Usage"): Decimal("150"),
        (date(2026, 10, 1), "Google Cloud", "shop-dev", "Usage"): Decimal("999"),
    }
    envs = {r.tags["Env"] for r in collection.records.rows if r.sub_account == "shop-prod"}
    assert envs == {"prod"}  # resource labels over the project's labels (env: prod)
    findings = evaluate(collection.records, policy, AS_OF)
    # every row carries Project/Owner/Env through its project's labels: nothing untagged
    assert sorted((f.rule, f.resource) for f in findings) == [
        ("budget-exceeded", "budget:shop-prod")
    ]
    assert collection.stats["spend"]["untagged"] == {"cost": "0.00", "share": 0.0}
    assert collection.stats["budgets"][0]["actual"] == "540.25"
