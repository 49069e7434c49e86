"""Collector of the budgets check, and the library function behind ``hygiene spend``.

Sources come from ``billing.sources`` (or ``--source``): billing files, directories, globs and
``s3://`` URLs are aggregated by DuckDB; ``aws-cost-explorer`` (opt-in: each page is billed) and
``aws-budgets`` call AWS; ``bigquery://project.dataset.table`` reads the GCP billing export
through ``sources/gcp/billing_export.py`` and aggregates its FOCUS rows with the same query. Each source is read on its own: one that fails is an error of the run while the others
are still evaluated.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hygiene.checks.budgets.forecast import month_start, next_month, previous_month
from hygiene.checks.budgets.spend import as_of_cutoff, currencies, spend_table
from hygiene.checks.budgets.stats import primary_currency
from hygiene.context import Collection, RunContext, RunMemo
from hygiene.errors import CheckSkipped, HygieneError
from hygiene.policy import Policy
from hygiene.records.billing import PROVIDER_KEYS, Metric, ResourceSpend, SpendData, SpendRow

log = logging.getLogger(__name__)

COST_EXPLORER = "aws-cost-explorer"
AWS_BUDGETS = "aws-budgets"
GCP_BUDGETS = "gcp-budgets"
MEMORY_ENV = "HYGIENE_DUCKDB_MEMORY_LIMIT"
#: Resources per currency and source whose cost an audit reads (the costliest; the rest are
#: summed in one tail row): bounds what the spend ↔ resources join holds.
RESOURCE_LIMIT = 50_000
SOURCES_ENV = "HYGIENE_BILLING_SOURCES"


def tag_keys_for(policy: Policy, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """Tag keys to normalise: required tags, budget scope tags and ``extra`` (no provider keys)."""
    keys: list[str] = []
    for key in [*policy.tags.required, *(k for b in policy.budgets for k in b.scope), *extra]:
        if key not in keys and key not in PROVIDER_KEYS:
            keys.append(key)
    return tuple(keys)


def read_sources(
    sources: Sequence[str],
    *,
    policy: Policy,
    month: date,
    as_of: datetime,
    tag_keys: Sequence[str],
    cache_dir: Path,
    memory_limit: str | None = None,
    environ: Mapping[str, str] | None = None,
    memo: RunMemo | None = None,
    resource_limit: int = 0,
) -> tuple[SpendData, list[str], dict[str, Any]]:
    """Spend of ``month`` and the month before from every source: (data, errors, stats).

    ``memo`` is the run's (``RunContext.memo``): with it ``gcp-budgets`` shares the run's one read
    of GCP billing with the ``billing-links`` check. With ``resource_limit`` the sources that
    know resources (files, Athena, BigQuery) also give the month's cost per resource, at most
    that many per currency and source (``SpendData.resources``).
    """
    from hygiene.sources.billing.pushdown import is_pushdown, pushdown_rows
    from hygiene.sources.billing.sql import ResourceQuery, SpendQuery

    data = SpendData(tag_keys=tuple(tag_keys), sources=tuple(sources))
    errors: list[str] = []
    stats: dict[str, Any] = {}
    query = SpendQuery(
        first_month=previous_month(month),
        end_month=next_month(month),
        before=as_of_cutoff(as_of),
        tag_keys=tuple(tag_keys),
    )
    scopes: list[Any] = []
    skipped_sources: list[str] = []
    per_resource = (
        ResourceQuery(month, query.before, tuple(tag_keys), resource_limit)
        if resource_limit > 0
        else None
    )
    if per_resource is not None:
        data.resources = ResourceSpend(month=month, limit=resource_limit)

    def aws() -> Any:
        if not scopes:
            scopes.append(_aws_scope(policy))
        return scopes[0]

    for source in sources:
        try:
            if source in (COST_EXPLORER, AWS_BUDGETS):
                scope = aws()
                if source == COST_EXPLORER:
                    data.rows += _cost_explorer(scope, query, policy)
                else:
                    budgets, failed = _aws_budgets(scope)
                    data.provider_budgets += budgets
                    errors += failed
            elif is_pushdown(source):  # athena://, bigquery://…?schema=focus (issue #11)
                data.rows += pushdown_rows(source, query, policy, aws, environ or {})
            elif source.startswith("bigquery://"):
                data.rows += _bigquery(source, query, policy, environ or {})
            elif source == GCP_BUDGETS:  # GCP budgets, their spend from gcp.billing_export
                from hygiene.checks.gcp_parts import gcp_provider_budgets

                gcp_budgets, failed = gcp_provider_budgets(policy, as_of, environ or {}, memo)
                data.provider_budgets += gcp_budgets
                errors += failed
            else:
                from hygiene.sources.billing_files import read_spend

                data.rows += read_spend(
                    [source],
                    query,
                    policy.tags,
                    cache_dir=cache_dir,
                    memory_limit=memory_limit,
                    aws=aws,
                )
            if per_resource is not None and data.resources is not None:
                data.resources.costs += _resources(
                    source, per_resource, policy, aws, environ or {}, cache_dir, memory_limit
                ).costs
        except CheckSkipped as skipped:  # no credentials/configuration for this source here
            skipped_sources.append(f"{source}: {skipped.reason}")
        except HygieneError as exc:
            errors.append(str(exc))
        except Exception as exc:  # an SDK or engine failure: an error of this source, never a pass
            log.exception("billing source %s failed", source)
            errors.append(f"{source}: {type(exc).__name__}: {exc}")
    if scopes:
        stats.update(scopes[0].stats())
    stats["line_items"] = sum(r.line_items for r in data.rows)
    if skipped_sources:
        stats["skipped_sources"] = skipped_sources
    return data, errors, stats


def _bigquery(
    source: str, query: Any, policy: Policy, environ: Mapping[str, str]
) -> list[SpendRow]:
    """``bigquery://project.dataset.table`` of the GCP billing export, through sources/gcp."""
    from hygiene.sources.billing_files import read_focus_records
    from hygiene.sources.gcp.billing_export import query_export
    from hygiene.sources.gcp.scope import GcpScope

    table = source[len("bigquery://") :]
    if table.count(".") != 2:
        raise HygieneError(f"billing source {source!r}: expected bigquery://project.dataset.table")
    scope = GcpScope.connect(policy.gcp, environ)
    start = datetime.combine(query.first_month, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(query.end_month, datetime.min.time(), tzinfo=UTC)
    records = query_export(scope.bigquery(table.split(".")[0]), table, start, end)
    return read_focus_records(records, query, policy.tags)


def _resources(
    source: str,
    query: Any,
    policy: Policy,
    aws: Any,
    environ: Mapping[str, str],
    cache_dir: Path,
    memory_limit: str | None,
) -> ResourceSpend:
    """Per-resource cost of one source (sources without resources: none)."""
    from hygiene.sources.billing.pushdown import is_pushdown, pushdown_resources

    if source in (COST_EXPLORER, AWS_BUDGETS, GCP_BUDGETS):
        return ResourceSpend(month=query.month, limit=query.limit)
    if is_pushdown(source):
        return pushdown_resources(source, query, policy, aws, environ)
    if source.startswith("bigquery://"):
        return _bigquery_resources(source, query, policy, environ)
    from hygiene.sources.billing_files import read_resource_costs

    return read_resource_costs(
        [source], query, policy.tags, cache_dir=cache_dir, memory_limit=memory_limit, aws=aws
    )


def _bigquery_resources(
    source: str, query: Any, policy: Policy, environ: Mapping[str, str]
) -> ResourceSpend:
    """Per-resource cost from the GCP billing export (a detailed table: ``resource.global_name``;
    a standard table has no resources, so all its spend is resource-less)."""
    from hygiene.sources.billing_files import read_focus_record_resources
    from hygiene.sources.gcp.billing_export import query_export
    from hygiene.sources.gcp.scope import GcpScope

    table = source[len("bigquery://") :]
    scope = GcpScope.connect(policy.gcp, environ)
    start = datetime.combine(query.month, datetime.min.time(), tzinfo=UTC)
    end = datetime.combine(next_month(query.month), datetime.min.time(), tzinfo=UTC)
    records = query_export(scope.bigquery(table.split(".")[0]), table, start, end, by_resource=True)
    return read_focus_record_resources(records, query, policy.tags)


def _aws_scope(policy: Policy) -> Any:
    from hygiene.sources.aws.session import AwsScope

    return AwsScope.connect(policy.aws)


def _cost_explorer(scope: Any, query: Any, policy: Policy) -> list[SpendRow]:
    from hygiene.sources.aws.billing import cost_explorer_rows

    # Cost Explorer groups by two keys at most: the budgets' scope keys first, then required tags
    budget_keys = [k for b in policy.budgets for k in b.scope if k not in PROVIDER_KEYS]
    keys = list(dict.fromkeys([*budget_keys, *query.tag_keys]))[:2]
    rows = cost_explorer_rows(scope, query.first_month, query.end_month, keys, policy.tags)
    cutoff = query.before.date()
    return [r for r in rows if r.day < cutoff]


def _aws_budgets(scope: Any) -> tuple[list[Any], list[str]]:
    from hygiene.sources.aws.billing import CE_REGION, describe_budgets
    from hygiene.sources.aws.session import Slice

    slices = [Slice(account, CE_REGION, "budgets") for account in scope.accounts()]
    result = scope.fan_out(slices, lambda s: describe_budgets(scope, s.account))
    budgets = [b for _, values in result.values for b in values]
    return budgets, list(result.errors)


def sources_from(
    ctx_sources: Sequence[str] | None, policy: Policy, environ: Mapping[str, str]
) -> list[str]:
    """Explicit sources, else ``HYGIENE_BILLING_SOURCES`` (comma-separated), else the policy's."""
    if ctx_sources:
        return list(ctx_sources)
    env = environ.get(SOURCES_ENV, "")
    if env.strip():
        return [s.strip() for s in env.split(",") if s.strip()]
    return list(policy.billing.sources)


def collect(ctx: RunContext) -> Collection:
    """Read every billing source for the month of ``as_of`` and the month before."""
    sources = sources_from(ctx.options.get("billing_sources"), ctx.policy, ctx.environ)
    if not sources:
        raise CheckSkipped(
            "no billing sources: set billing.sources in the policy (FOCUS/CUR files, s3:// URLs, "
            f"aws-cost-explorer, aws-budgets) or {SOURCES_ENV}"
        )
    month = month_start(ctx.as_of)
    data, errors, stats = read_sources(
        sources,
        policy=ctx.policy,
        month=month,
        as_of=ctx.as_of,
        tag_keys=tag_keys_for(ctx.policy),
        cache_dir=ctx.cache_dir,
        memory_limit=ctx.environ.get(MEMORY_ENV) or None,
        environ=ctx.environ,
        memo=ctx.memo,
        resource_limit=RESOURCE_LIMIT,
    )
    skipped = stats.get("skipped_sources", [])
    if skipped and len(skipped) == len(sources):
        raise CheckSkipped("; ".join(skipped))
    return Collection(records=data, stats=stats, errors=errors)


# --------------------------------------------------------------------------- hygiene spend


def month_end(first: date) -> datetime:
    """The last second of the month starting ``first`` (UTC)."""
    return datetime.combine(next_month(first), datetime.min.time(), tzinfo=UTC) - timedelta(
        seconds=1
    )


def spend_report(
    *,
    policy: Policy,
    sources: Sequence[str],
    month: date,
    by: Sequence[str],
    as_of: datetime | None = None,
    metric: Metric = "BilledCost",
    currency: str | None = None,
    cache_dir: Path = Path(".hygiene/cache"),
    memory_limit: str | None = None,
) -> dict[str, Any]:
    """The spend table of ``month`` grouped ``by`` keys (``hygiene spend``); raises HygieneError
    for unreadable sources or when the month holds several currencies and none was chosen."""
    if not sources:
        raise HygieneError(
            "no billing source: pass --source FILE|DIR|GLOB|s3://… or set billing.sources in the policy"
        )
    moment = min(as_of or month_end(month), month_end(month))
    if moment < datetime.combine(month, datetime.min.time(), tzinfo=UTC):
        raise HygieneError(f"--as-of {moment:%Y-%m-%d} is before --month {month:%Y-%m}")
    data, errors, stats = read_sources(
        sources,
        policy=policy,
        month=month,
        as_of=moment,
        tag_keys=tag_keys_for(policy, [k for k in by if k not in PROVIDER_KEYS]),
        cache_dir=cache_dir,
        memory_limit=memory_limit,
    )
    if errors or stats.get("skipped_sources"):
        raise HygieneError("; ".join([*errors, *stats.get("skipped_sources", [])]))
    found = currencies(data.rows, month)
    if currency is None:
        if len(found) > 1:
            raise HygieneError(
                f"{month:%Y-%m} has spend in {', '.join(found)}; amounts in different currencies "
                "are never added: choose one with --currency"
            )
        currency = found[0] if found else primary_currency(data.rows, month, policy)
    table = spend_table(
        data.rows,
        month=month,
        as_of=moment,
        by=by,
        metric=metric,
        currency=currency,
        policy=policy,
    )
    check_group_keys(table, policy)
    if "SubAccountId" in by:  # the review shows accounts as "name (id)"; so does hygiene spend
        from hygiene.checks.budgets.stats import account_names

        shown = {g["key"].get("SubAccountId") for g in table["groups"]}
        table["account_names"] = {k: v for k, v in account_names(data.rows).items() if k in shown}
    return table


def known_group_keys(policy: Policy) -> list[str]:
    """Keys ``hygiene spend --by`` knows without reading the bill: the policy's tags (required,
    aliases, budget scopes) and the provider columns."""
    keys = [*policy.tags.required, *PROVIDER_KEYS]
    keys += [alias for aliases in policy.tags.key_aliases.values() for alias in aliases]
    keys += [key for budget in policy.budgets for key in budget.scope]
    return list(dict.fromkeys(keys))


def check_group_keys(table: Mapping[str, Any], policy: Policy) -> None:
    """A ``--by`` key that no row of the month carries and the policy does not name is a typo:
    a HygieneError with the nearest known key, not one group of everything under "(none)"."""
    known = known_group_keys(policy)
    lowered = {key.lower(): key for key in known}
    for key in table["by"]:
        if key in known or any(group["key"].get(key) is not None for group in table["groups"]):
            continue
        if not table["groups"]:
            continue  # an empty month: nothing to say about its keys
        near = lowered.get(key.lower()) or next(
            iter(difflib.get_close_matches(key, known, n=1, cutoff=0.6)), None
        )
        hint = f"; did you mean {near!r}?" if near else f"; known keys: {', '.join(known)}"
        raise HygieneError(f"--by {key}: no billing row of {table['month']} carries it{hint}")
