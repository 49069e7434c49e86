"""Collector of the ``tags`` check: the AWS inventory of every account and region in scope.

``ctx.options["aws_before_call"]`` may hold botocore ``before-call`` hooks (tests use it to prove
the inventory read-only and to inject throttling or AccessDenied).
"""

from __future__ import annotations

from typing import Any

from hygiene.checks.tags import compliance
from hygiene.context import Collection, RunContext
from hygiene.sources.aws.inventory import run_inventory
from hygiene.sources.aws.session import AwsScope


def collect_aws(ctx: RunContext) -> Collection:
    """Inventory the AWS estate; CheckSkipped without credentials, failed slices as errors."""
    hooks = tuple(ctx.options.get("aws_before_call", ()))
    scope = AwsScope.connect(ctx.policy.aws, before_call=hooks)
    inventory = run_inventory(scope, ctx.policy.tags.resource_types)
    stats: dict[str, Any] = compliance(inventory.records, ctx.policy, ctx.as_of)
    stats.update(
        accounts=inventory.accounts,
        accounts_covered=inventory.covered_accounts,
        regions=inventory.regions,
        slices=inventory.slices,
        skipped=inventory.skipped,
        **scope.stats(),
    )
    return Collection(
        records=inventory.records,
        stats=stats,
        errors=list(inventory.errors),
        scopes=list(inventory.covered_accounts),
    )


# --------------------------------------------------------------------------- GCP (issue #8)


def collect(ctx: RunContext) -> Collection:
    """The AWS part above plus GCP (``hygiene.collect.gcp``) when ``gcp.projects``,
    ``gcp.organization`` or ``gcp.folders`` is set; skipped only when neither cloud can run."""
    from hygiene.collect.gcp import gcp_resources, with_gcp

    return with_gcp(ctx, collect_aws, gcp_resources)
