"""The GCP parts of the cloud checks' collectors, kept apart from the AWS parts they join.

Each function returns a :class:`~hygiene.context.Collection` (the one partial-result type:
records, failed calls, covered projects as ``scopes``, stats), or raises CheckSkipped with the
reason when GCP is not configured or has no credentials, which is never an error. ``tags``, ``rotation`` and ``billing-links`` call these; the budgets collector
calls :func:`gcp_provider_budgets`. GCP billing (:func:`gcp_billing`) is read once per run and
shared by ``billing-links`` and the ``gcp-budgets`` source.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hygiene.context import Collection, RunContext, RunMemo
from hygiene.errors import CheckSkipped
from hygiene.shard import first_only

log = logging.getLogger(__name__)


def with_gcp(
    ctx: RunContext,
    aws: Callable[[RunContext], Collection],
    gcp: Callable[[RunContext], Collection],
) -> Collection:
    """Run a check's AWS collector and its GCP part, and join them.

    Either cloud may be skipped (no configuration or credentials) without error; the check is
    skipped only when both are, with both reasons. GCP failures join the AWS ones as errors, and
    the covered GCP projects join the covered accounts (``scopes``).
    """
    try:
        first: Collection | None = aws(ctx)
        aws_skipped = ""
    except CheckSkipped as skipped:
        first, aws_skipped = None, skipped.reason
    if not first_only():  # audit --shard I/N with I > 0: GCP is read by shard 0 only
        return first or Collection(records=[], stats={"aws": f"skipped: {aws_skipped}"}, scopes=[])
    try:
        second = gcp(ctx)
    except CheckSkipped as skipped:
        if first is None:
            raise CheckSkipped(f"AWS: {aws_skipped}; GCP: {skipped.reason}") from None
        first.stats["gcp"] = f"skipped: {skipped.reason}"
        return first
    if first is None:
        first = Collection(records=[], stats={"aws": f"skipped: {aws_skipped}"}, scopes=[])
    if first.batches is None and second.batches is None:
        return _joined(first, second, Collection(records=[*first.records, *second.records]))
    joined = Collection()
    left, right = first, second

    def batches() -> Iterator[Any]:  # either side streams: so does the join
        yield from left.record_batches()
        yield from right.record_batches()
        _joined(left, right, joined)

    joined.batches = batches()
    return joined


def _joined(first: Collection, second: Collection, into: Collection) -> Collection:
    """Fill ``into`` with both sides' stats, errors and covered scopes."""
    if first.scopes is None:
        into.scopes = None if not second.errors else list(second.scopes or [])
    else:
        into.scopes = [*first.scopes, *(second.scopes or [])]
    into.stats = {**first.stats, "gcp": "read", **second.stats}
    into.errors = [*first.errors, *second.errors]
    return into


def connect(ctx: RunContext) -> Any:
    """A ``GcpScope`` for the run (raises CheckSkipped when GCP is not configured)."""
    from hygiene.sources.gcp.scope import GcpScope

    return GcpScope.connect(ctx.policy.gcp, ctx.environ)


def _covered(projects: list[Any], errors: list[str], method_prefixes: tuple[str, ...]) -> list[str]:
    """Projects none of whose calls (of these methods) failed."""
    failed = {
        line.split(":", 1)[0].rsplit(" ", 1)[-1]
        for line in errors
        if line.startswith(method_prefixes) and " project " in line.split(":", 1)[0]
    }
    return sorted(p.project_id for p in projects if p.project_id not in failed)


def gcp_resources(ctx: RunContext) -> Collection:
    """Labelled resources of every project in scope, for the ``tags`` check, streamed one
    project at a time."""
    from hygiene.sources.gcp.assets import stream_resources
    from hygiene.sources.gcp.scope import FanOut

    scope = connect(ctx)
    part = Collection(scopes=[])

    def batches() -> Iterator[list[Any]]:
        projects, errors = scope.projects()
        found: FanOut[list[Any]] = FanOut()
        count = 0
        types, keys = ctx.policy.gcp.asset_types, ctx.policy.tags.required
        for batch in stream_resources(scope, projects, found, types, keys):
            count += len(batch)
            yield batch
        part.errors = [*errors, *found.errors]
        part.scopes = _covered(projects, part.errors, ("asset.", "resourcemanager."))
        part.stats = {
            "gcp_projects": [p.project_id for p in projects],
            "gcp_resources": count,
            **scope.stats(),
        }

    part.batches = batches()
    return part


def gcp_credentials(ctx: RunContext) -> Collection:
    """Service-account keys and Secret Manager secrets, for the ``rotation`` check."""
    from hygiene.sources.gcp.credentials import list_credentials

    scope = connect(ctx)
    projects, errors = scope.projects()
    found = list_credentials(scope, projects)
    errors += found.errors
    records = [record for _, batch in found.values for record in batch]
    kinds: dict[str, int] = {}
    for record in records:
        kinds[record.kind] = kinds.get(record.kind, 0) + 1
    return Collection(
        records=records,
        errors=errors,
        scopes=_covered(projects, errors, ("iam.", "secretmanager.", "resourcemanager.")),
        stats={
            "gcp_projects": [p.project_id for p in projects],
            "gcp_credentials": dict(sorted(kinds.items())),
            **scope.stats(),
        },
    )


@dataclass(frozen=True)
class GcpBillingRead:
    """One run's read of GCP billing, shared by ``billing-links`` and the ``gcp-budgets`` source
    of ``budgets``: billing links and budgets, every budget's spend from the export (the export's
    rows themselves are not kept), the failed calls, and stats."""

    projects: int
    billing: Any  # GcpBilling
    spends: tuple[Any, ...]  # BudgetSpend, one per budget when the export was read
    errors: tuple[str, ...]
    export: Mapping[str, Any]  # gcp_export (not configured) or gcp_export_rows
    calls: Mapping[str, Any]  # the GCP API call counts of the read


def gcp_billing(ctx: RunContext) -> GcpBillingRead:
    """Projects, billing links, budgets and the budgets' spend, read once per run (``ctx.memo``)
    whichever check asks first; raises CheckSkipped when GCP is not configured."""
    return ctx.memo.once(("gcp-billing", ctx.as_of), lambda: _read_billing(ctx))


def _read_billing(ctx: RunContext) -> GcpBillingRead:
    from hygiene.sources.gcp.billing import collect_billing

    scope = connect(ctx)
    projects, errors = scope.projects()
    billing, billing_errors = collect_billing(scope, projects)
    spend = gcp_spend(ctx, scope, billing.budgets)
    return GcpBillingRead(
        projects=len(projects),
        billing=billing,
        spends=tuple(spend.stats.get("budget_spend", [])),
        errors=(*errors, *billing_errors, *spend.errors),
        export={k: v for k, v in spend.stats.items() if k != "budget_spend"},
        calls=scope.stats(),
    )


def gcp_spend(ctx: RunContext, scope: Any, budgets: list[Any]) -> Collection:
    """FOCUS rows of the billing export (last month and this one) and every budget's spend.

    ``records`` are the FOCUS rows; ``stats["budget_spend"]`` the budgets with their spend
    (:class:`~hygiene.sources.gcp.budget_spend.BudgetSpend`).
    """
    from hygiene.sources.gcp.billing_export import query_export
    from hygiene.sources.gcp.budget_spend import budget_spend, month_bounds
    from hygiene.sources.gcp.scope import Call, describe_error

    table = ctx.policy.gcp.billing_export
    part = Collection(records=[], scopes=[])
    if not table:
        part.stats["gcp_export"] = (
            "not configured (set gcp.billing_export to project.dataset.table)"
        )
        return part
    previous, _, following = month_bounds(ctx.as_of)
    call = Call("bigquery.jobs.query", "bigquery.googleapis.com", f"table {table}")
    try:
        scope.count(call.method)
        part.records = query_export(
            scope.bigquery(table.split(".", 1)[0]), table, previous, following
        )
    except Exception as exc:  # any BigQuery failure is an error line, never an empty bill
        part.errors.append(describe_error(call, exc))
        return part
    spends = [budget_spend(b, part.records, ctx.as_of) for b in budgets]
    part.stats["gcp_export_rows"] = len(part.records)
    part.stats["budget_spend"] = spends
    return part


def gcp_provider_budgets(
    policy: Any, as_of: datetime, environ: Mapping[str, str], memo: RunMemo | None = None
) -> tuple[list[Any], list[str]]:
    """The ``gcp-budgets`` billing source: every GCP budget as a ``ProviderBudget`` whose actual
    and forecast come from the billing export (``gcp.billing_export``) and whose thresholds are
    its own threshold rules; (budgets, errors). With the run's ``memo`` GCP billing is read once
    for this source and ``billing-links`` (:func:`gcp_billing`).

    Raises CheckSkipped when GCP is not configured. Left out (and listed in billing-links'
    stats): a budget without a currency or amount (a last-period budget after a month without
    spend), and one whose filters cannot be applied to export rows (``GcpBudget.unmapped``).
    """
    from hygiene.records.billing import AlertThreshold, ProviderBudget

    if not policy.gcp.billing_export:
        return [], ["gcp-budgets: gcp.billing_export is not set, so GCP budgets have no spend"]
    ctx = RunContext(run_id="", as_of=as_of, policy=policy, environ=environ, memo=memo or RunMemo())
    read = gcp_billing(ctx)
    budgets = []
    for spend in read.spends:
        if not spend.amount or not spend.currency or spend.budget.unmapped:
            log.info(
                "GCP budget %s not judged: amount %s %s, unmapped filters %s",
                spend.budget.name,
                spend.amount,
                spend.currency,
                spend.budget.unmapped,
            )
            continue
        budgets.append(
            ProviderBudget(
                provider="GCP",
                account=spend.budget.billing_account.removeprefix("billingAccounts/"),
                name=spend.budget.display_name or spend.budget.budget_id,
                amount=spend.amount,
                currency=spend.currency,
                actual=spend.actual,
                forecast=spend.forecast,
                time_unit=spend.budget.calendar_period,
                thresholds=tuple(
                    AlertThreshold(t.percent, "forecast" if t.basis == "forecast" else "actual")
                    for t in spend.budget.thresholds
                ),
            )
        )
    return budgets, list(read.errors)
