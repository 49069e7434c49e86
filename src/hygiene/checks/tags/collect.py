"""Collector of the ``tags`` check: the AWS inventory of every account and region in scope.

``ctx.options["aws_before_call"]`` may hold botocore ``before-call`` hooks (tests use it to prove
the inventory read-only and to inject throttling or AccessDenied).
"""

from __future__ import annotations

from collections.abc import Iterator

from hygiene.context import Collection, RunContext
from hygiene.records.cloud import ResourceRecord
from hygiene.sources.aws.inventory import Inventory, stream_inventory
from hygiene.sources.aws.session import AwsScope


def collect_aws(ctx: RunContext) -> Collection:
    """Inventory the AWS estate as a stream of slices; CheckSkipped without credentials, failed
    slices as errors. (Compliance figures are the pipeline's: the check's tally counts them
    beside the evaluation.)"""
    hooks = tuple(ctx.options.get("aws_before_call", ()))
    scope = AwsScope.connect(ctx.policy.aws, before_call=hooks)
    collection = Collection()

    def batches() -> Iterator[list[ResourceRecord]]:
        inventory = Inventory()
        yield from stream_inventory(scope, inventory, ctx.policy.tags.resource_types)
        collection.stats.update(
            accounts=inventory.accounts,
            accounts_covered=inventory.covered_accounts,
            regions=inventory.regions,
            slices=inventory.slices,
            skipped=inventory.skipped,
            **scope.stats(),
        )
        collection.errors = list(inventory.errors)
        collection.scopes = list(inventory.covered_accounts)

    collection.batches = batches()
    return collection


# --------------------------------------------------------------------------- GCP (issue #8)


def collect(ctx: RunContext) -> Collection:
    """The AWS part above plus GCP (``hygiene.checks.gcp_parts``) when ``gcp.projects``,
    ``gcp.organization`` or ``gcp.folders`` is set; skipped only when neither cloud can run."""
    from hygiene.checks.gcp_parts import gcp_resources, with_gcp

    return with_gcp(ctx, collect_aws, gcp_resources)
