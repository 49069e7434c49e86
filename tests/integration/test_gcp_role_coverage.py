"""A full GCP audit against the local servers calls nothing the shipped roles do not cover.

Every GCP check (tags, rotation, billing-links, budgets with ``gcp-budgets`` and a
``bigquery://`` source, backups) runs once through ``run_audit``. Every method the run counts
(the checks' ``gcp_api_calls_by_method``) and every RPC the servers receive must be a method of
``deploy/gcp/hygiene-api-permissions.yaml``, whose permissions tests/unit/test_gcp_role.py checks
against the role files.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from hygiene.pipeline import run_audit
from hygiene.policy import Policy
from hygiene.sources.gcp.scope import GcpScope
from tests.conftest import REPO_ROOT
from tests.fixtures.backups.gcp_assets import AssetsServer
from tests.integration.gcp_server.fixtures import Gcp, gcp_fixture, gcp_servers_fixture  # noqa: F401
from tests.integration.gcp_server.sample import AS_OF, EXPORT_TABLE, sample_estate

pytestmark = pytest.mark.integration

METHODS: dict[str, dict[str, Any]] = yaml.safe_load(
    (REPO_ROOT / "deploy" / "gcp" / "hygiene-api-permissions.yaml").read_text()
)["methods"]


def methods_in_stats(stats: Any) -> set[str]:
    """Every method of every ``gcp_api_calls_by_method`` in a check's stats (rotation nests its
    GCP part's stats under ``gcp``)."""
    if not isinstance(stats, dict):
        return set()
    found = set(stats.get("gcp_api_calls_by_method", {}))
    for value in stats.values():
        found |= methods_in_stats(value)
    return found


@pytest.fixture
def api(gcp: Gcp, monkeypatch: pytest.MonkeyPatch) -> Iterator[AssetsServer]:
    """The sample estate on a server that also answers Cloud Asset ListAssets (backups)."""
    server = AssetsServer()
    server.estate = sample_estate()
    server.start()
    monkeypatch.setenv("HYGIENE_GCP_ENDPOINT", server.endpoint)
    try:
        yield server
    finally:
        server.stop()


def test_every_call_of_a_full_gcp_audit_is_mapped(
    gcp: Gcp, api: AssetsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: set[str] = set()
    count = GcpScope.count

    def spy(self: GcpScope, method: str, pages: int = 1) -> None:
        counted.add(method)
        count(self, method, pages)

    monkeypatch.setattr(GcpScope, "count", spy)
    policy = Policy.model_validate(
        {
            # "ghost" is not under the organisation: it is looked up (resourcemanager.getProject)
            "gcp": {
                "organization": "100",
                "projects": ["ghost"],
                "billing_export": EXPORT_TABLE,
            },
            "billing": {"sources": ["gcp-budgets", f"bigquery://{EXPORT_TABLE}"]},
        }
    )
    environ = {**gcp.env, "HYGIENE_GCP_ENDPOINT": api.endpoint}
    checks = ["tags", "rotation", "billing-links", "budgets", "backups"]
    run = run_audit(policy=policy, as_of=AS_OF, only=checks, environ=environ)

    ran = {r.name: r for r in run.results if r.name in checks}
    assert set(ran) == set(checks)
    assert all(r.status != "skipped" for r in ran.values()), {
        r.name: r.stats for r in ran.values() if r.status == "skipped"
    }
    in_stats = {m for r in ran.values() for m in methods_in_stats(r.stats)}
    assert in_stats == counted  # the run's stats name every method it counted

    unmapped = sorted(counted - set(METHODS))
    assert not unmapped, f"called but not in hygiene-api-permissions.yaml: {unmapped}"
    assert counted == set(METHODS), f"mapped but not exercised: {sorted(set(METHODS) - counted)}"

    # On the wire: nothing reached the servers that is not a mapped method's RPC.
    rpcs = {entry["rpc"] for entry in METHODS.values()}
    seen = {rpc for rpc, _, _ in api.calls}
    assert seen and seen <= rpcs, sorted(seen - rpcs)
    assert gcp.bigquery.queries and "jobs.query" in rpcs  # the BigQuery server answers only that
    assert not gcp.api.calls  # everything went to this test's server
