"""The monthly review in four forms: a self-contained HTML page (inline CSS and SVG charts; opens
offline and in a mail client), Markdown, one CSV per section, and the JSON document itself."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from hygiene.publish import charts
from hygiene.publish.numbers import decimal


def _dimension_rows(report: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    for dimension in report["spend"].get("dimensions") or []:
        if dimension["key"] == key:
            return list(dimension["rows"])
    return []


CSV_SECTIONS: dict[
    str, tuple[Callable[[Mapping[str, Any]], Iterable[Mapping[str, Any]]], Sequence[str]]
] = {
    "coverage.csv": (
        lambda r: r["coverage"],
        (
            "check",
            "status",
            "covered",
            "reason",
            "runs_ok",
            "runs_skipped",
            "runs_error",
            "data_as_of",
        ),
    ),
    "actions.csv": (
        lambda r: r["actions"],
        (
            "rank",
            "kind",
            "title",
            "owner",
            "severity",
            "money_at_stake",
            "currency",
            "findings",
            "detail",
        ),
    ),
    **{
        f"spend_by_{name}.csv": (
            partial(_dimension_rows, key=key),
            (
                "name",
                "cost",
                "share",
                "budget",
                "percent",
                "forecast",
                "forecast_percent",
                "mom_change",
            ),
        )
        for key, name in (
            ("Owner", "owner"),
            ("Project", "project"),
            ("ServiceName", "service"),
            ("SubAccountId", "account"),
        )
    },
    "top_non_compliant.csv": (
        lambda r: (r["spend"].get("allocation") or {}).get("top_non_compliant") or [],
        (
            "resource_id",
            "what",
            "resource_type",
            "account",
            "service",
            "cost",
            "effective_cost",
            "missing",
            "rules",
            "owner",
            "judged_by",
        ),
    ),
    "spend_groups.csv": (
        lambda r: r["spend"]["groups"],
        ("key", "cost", "budget", "percent", "forecast", "mom_change"),
    ),
    "budgets.csv": (
        lambda r: r["spend"]["budgets"],
        (
            "name",
            "scope",
            "amount",
            "currency",
            "actual",
            "forecast",
            "percent",
            "forecast_percent",
        ),
    ),
    "tags_by_account.csv": (
        lambda r: r["tags"]["by_account"],
        ("name", "resources", "compliant", "percent"),
    ),
    "tags_by_resource_type.csv": (
        lambda r: r["tags"]["by_resource_type"],
        ("name", "resources", "compliant", "percent"),
    ),
    "tags_by_owner.csv": (
        lambda r: r["tags"]["by_owner"],
        ("name", "resources", "compliant", "percent"),
    ),
    "trend.csv": (
        lambda r: r["trend"],
        (
            "month",
            "compliance_percent",
            "coverage_by_spend",
            "untagged_cost",
            "untagged_share",
            "total_spend",
            "forecast",
            "budget",
            "budget_basis",
            "currency",
        ),
    ),
    "offenders.csv": (
        lambda r: r["offenders"],
        ("owner", "critical", "high", "medium", "low", "info", "total"),
    ),
    "secrets.csv": (
        lambda r: r["secrets"]["open"],
        ("id", "rule", "severity", "where", "commit", "owner", "status", "first_seen", "age_days"),
    ),
    "env.csv": (
        lambda r: [dict(i, repo=repo["repo"]) for repo in r["env"]["repos"] for i in repo["items"]],
        ("repo", "id", "rule", "severity", "where", "owner", "status", "first_seen", "message"),
    ),
    "rotation.csv": (
        lambda r: r["rotation"]["items"],
        (
            "id",
            "rule",
            "severity",
            "credential",
            "kind",
            "account",
            "age",
            "limit",
            "resource",
            "owner",
            "status",
            "first_seen",
            "age_days",
            "message",
        ),
    ),
    "resolved.csv": (
        lambda r: r["resolved"],
        (
            "id",
            "check",
            "rule",
            "severity",
            "where",
            "owner",
            "first_seen",
            "resolved_at",
            "reopened",
        ),
    ),
}


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV with a header; nested values as JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def money(value: Any, currency: str | None = None) -> str:
    """``1234.5`` → ``1,234.50 USD``; blank for none."""
    amount = decimal(value)
    if amount is None:
        return "—"
    text = f"{amount.quantize(Decimal('0.01')):,}"
    return f"{text} {currency}" if currency else text


def percent(value: Any) -> str:
    """``87.456`` → ``87.5%``; ``—`` for none."""
    number = decimal(value)
    return "—" if number is None else f"{number.quantize(Decimal('0.1'))}%"


def share(value: Any) -> str:
    """An untagged share (a percent of gross spend, as the budgets check reports it)."""
    number = _share_percent(value)
    return "—" if number is None else percent(number)


def scope_text(value: Any) -> str:
    """A budget's scope: ``{"Project": "x"}`` or the check's ``"Project=x"`` string."""
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else str(value)


def _share_percent(value: Any) -> float | None:
    number = decimal(value)
    return None if number is None else float(number)


def _floats(values: Iterable[Any]) -> list[float]:
    return [float(decimal(v) or 0) for v in values]


def _optional(values: Iterable[Any]) -> list[float | None]:
    out: list[float | None] = []
    for value in values:
        number = decimal(value)
        out.append(None if number is None else float(number))
    return out


def build_charts(report: Mapping[str, Any]) -> dict[str, str]:
    """The report's inline SVG charts (only those with data)."""
    out: dict[str, str] = {}
    currency = report["spend"].get("currency") or ""
    trend = report["trend"]
    months = [p["month"] for p in trend]
    if any(p.get("total_spend") is not None for p in trend):
        out["spend_trend"] = charts.spend_trend_chart(
            months,
            _optional(p.get("total_spend") for p in trend),
            forecast=_optional(p.get("forecast") for p in trend),
            budget=_optional(p.get("budget") for p in trend),
            title="Spend by month, with the budget and this month's forecast",
            ylabel=currency,
        )
    projects = sorted({name for p in trend for name in (p.get("projects") or {})})
    if projects and any(p.get("projects") for p in trend[:-1]):
        out["project_trend"] = charts.lines_with_budgets(
            months,
            {
                name: (
                    _optional(
                        ((p.get("projects") or {}).get(name) or {}).get("cost") for p in trend
                    ),
                    _optional(
                        ((p.get("projects") or {}).get(name) or {}).get("budget") for p in trend
                    ),
                )
                for name in projects[:6]
            },
            forecasts={
                name: decimal(((trend[-1].get("projects") or {}).get(name) or {}).get("forecast"))
                for name in projects[:6]
            }
            if trend[-1].get("forecast") is not None
            else None,
            title="Spend by project and month (dashed: its budget; dotted: this month's forecast)",
            ylabel=currency,
        )
    for dimension in report["spend"].get("dimensions") or []:
        if dimension["key"] not in ("Project", "Owner") or not dimension["rows"]:
            continue
        rows = dimension["rows"][:10]
        out[f"budget_{dimension['key'].lower()}"] = charts.budget_bars(
            [r["name"] for r in rows],
            _floats(r["cost"] for r in rows),
            _optional(r.get("forecast") for r in rows),
            _optional(r.get("budget") for r in rows),
            title=f"Spend, forecast and budget {dimension['title'].lower()}",
            xlabel=currency,
            salt=f"budget-{dimension['key'].lower()}",
        )
    if any(p["compliance_percent"] is not None for p in trend):
        lines: dict[str, list[float | None]] = {
            "tag coverage by count %": [
                None if p["compliance_percent"] is None else float(p["compliance_percent"])
                for p in trend
            ]
        }
        if any(p.get("coverage_by_spend") is not None for p in trend):
            lines["tag coverage by spend %"] = _optional(p.get("coverage_by_spend") for p in trend)
        if any(p["untagged_share"] is not None for p in trend):
            lines["untagged spend %"] = [_share_percent(p["untagged_share"]) for p in trend]
        out["trend"] = charts.line_chart(
            months,
            lines,
            salt="trend",
            title="Tag coverage and untagged spend by month",
            ylabel="%",
            ylim=(0, 100),
        )
    return out


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("hygiene.publish", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, percent=percent, share=share, scope=scope_text)
    return env


def render_html(report: Mapping[str, Any]) -> str:
    """The self-contained HTML page."""
    return (
        _environment().get_template("report.html.j2").render(r=report, charts=build_charts(report))
    )


def render_markdown(report: Mapping[str, Any]) -> str:
    """The Markdown version (tables, no charts)."""
    env = _environment()
    env.autoescape = False
    env.filters["cell"] = lambda v: (
        "—" if v is None or v == "" else str(v).replace("|", "\\|").replace("\n", " ")
    )
    return env.get_template("report.md.j2").render(r=report)


def render_all(report: Mapping[str, Any]) -> dict[str, str]:
    """File name → content for every format."""
    files = {
        "report.html": render_html(report),
        "report.md": render_markdown(report),
        "report.json": json.dumps(report, indent=2, sort_keys=False, default=str) + "\n",
    }
    for name, (rows, columns) in CSV_SECTIONS.items():
        files[name] = to_csv(rows(report), columns)
    return files
