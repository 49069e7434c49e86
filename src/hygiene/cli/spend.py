"""``hygiene spend``: the monthly spend table per tag group, with budgets and forecasts."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from hygiene.cli.options import (
    as_of_option,
    config_option,
    format_option,
    load,
    month_option,
    output_option,
    parse_as_of,
    write_atomically,
)
from hygiene.errors import HygieneError


def parse_month(value: str) -> date:
    """``YYYY-MM`` → the first day of that month."""
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise HygieneError(f"--month {value!r}: expected YYYY-MM, e.g. 2026-10") from None


def render_spend_table(table: dict[str, Any]) -> str:
    """The spend table for a terminal (rich, no colour)."""
    import io

    from rich.console import Console
    from rich.table import Table

    buffer = io.StringIO()
    console = Console(file=buffer, width=140, force_terminal=False, color_system=None)
    title = (
        f"Spend {table['month']} ({table['metric']}, {table['currency']}) as of {table['as_of']}"
    )
    grid = Table(title=title)
    for name in table["by"]:
        grid.add_column(name)
    for name in ("spend", "budget", "% used", "forecast", "vs last month %"):
        grid.add_column(name, justify="right")

    def number(value: float | None) -> str:
        return "" if value is None else f"{value:g}"

    from hygiene.publish.report_spend import no_value

    names = table.get("account_names") or {}
    for group in table["groups"]:
        cells = [
            no_value(k)
            if v is None
            else f"{names[v]} ({v})"
            if k == "SubAccountId" and v in names
            else str(v)
            for k, v in group["key"].items()
        ]
        grid.add_row(
            *cells,
            group["cost"],
            group["budget"] or "",
            number(group["percent"]),
            group["forecast"],
            number(group["mom_change"]),
        )
    console.print(grid)
    charges = ", ".join(f"{k} {v}" for k, v in table["charges"].items())
    forecast = f", forecast {table['forecast']}" if table.get("forecast") else ""
    console.print(
        f"spend {table['total']} {table['currency']}{forecast}; untagged spend "
        f"{table['untagged']['cost']} ({table['untagged']['share']:g}% of usage); "
        f"apart from spend: {charges}; net {table['net']}"
    )
    return buffer.getvalue()


@click.command()
@config_option
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="SRC",
    help="FOCUS/CUR file, directory, glob, s3:// URL, aws-cost-explorer or bigquery://…; repeatable. Default: the policy's billing.sources.",
)
@month_option("Billing period to report.", required=True)
@click.option(
    "--by",
    default=None,
    metavar="KEYS",
    help="Comma-separated tag keys (or ProviderName, SubAccountId). Default: the policy's required tags.",
)
@click.option(
    "--metric",
    type=click.Choice(["BilledCost", "EffectiveCost"]),
    default="BilledCost",
    show_default=True,
)
@click.option(
    "--currency",
    default=None,
    metavar="CODE",
    help="Required when the month holds several currencies.",
)
@format_option(["table", "json"])
@output_option()
@as_of_option
def spend(
    configs: tuple[str, ...],
    sources: tuple[str, ...],
    month: str,
    by: str | None,
    metric: str,
    currency: str | None,
    fmt: str,
    output: Path | None,
    as_of: str | None,
) -> None:
    """Print spend per tag group for a billing month, with budget, forecast and MoM change.

    \b
    Examples:
      hygiene spend --source data/focus/focus_sample.csv --month 2024-09 --by Project,Env
      hygiene spend --source s3://billing-exports/focus/ --month 2026-10 --format json -o spend.json
      hygiene spend --config team.yaml --month 2026-11 --as-of 2026-11-15 --by Env

    Amounts are decimals rounded to cents; credits, tax and adjustments are shown apart from
    usage. Rows without a value for a --by key form the group "(no KEY tag)" (null in JSON).
    "untagged spend" is the usage cost of rows lacking any of the --by tag keys.
    """
    from hygiene.checks.budgets.collect import MEMORY_ENV, sources_from, spend_report

    policy = load(configs)
    keys = [k.strip() for k in (by or "").split(",") if k.strip()] or list(policy.tags.required)
    table = spend_report(
        policy=policy,
        sources=sources_from(sources, policy, os.environ),
        month=parse_month(month),
        by=keys,
        as_of=parse_as_of(as_of),
        metric="EffectiveCost" if metric == "EffectiveCost" else "BilledCost",
        currency=currency.upper() if currency else None,
        cache_dir=Path(".hygiene/cache"),
        memory_limit=os.environ.get(MEMORY_ENV) or None,
    )
    text = json.dumps(table, indent=2) + "\n" if fmt == "json" else render_spend_table(table)
    if output:
        write_atomically(output, text)
        click.echo(f"hygiene: spend table written to {output}", err=True)
    else:
        click.echo(text, nl=False)
