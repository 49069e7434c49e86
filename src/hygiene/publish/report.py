"""The monthly review: built from the store's run documents (the findings contract), so it needs
nothing from the checks' internals beyond their agreed ``stats``.

For each check, the month's data come from the latest run in the month in which the check ran
(``ok``, or ``error`` = partial). A check that never ran, or only skipped, is listed under
"not covered" and its section says so: a gap is never shown as a pass.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from hygiene.errors import HygieneError
from hygiene.publish import report_spend
from hygiene.publish.actions import plan
from hygiene.publish.numbers import decimal
from hygiene.registry import CHECKS
from hygiene.store import Store, findings_by_id

log = logging.getLogger(__name__)

SCHEMA = "hygiene.report/v2"
#: Checks the review has a section for; reported as "never ran" when absent from the month.
EXPECTED_CHECKS = tuple(n for n, spec in CHECKS.items() if spec.monthly)
SEVERITIES = ("critical", "high", "medium", "low", "info")
TREND_MONTHS = 6


def state_exists(state: str | Path) -> bool:
    """Whether the history store is there: a SQLite file, or any PostgreSQL URL (the server
    says when it is not)."""
    return str(state).lower().startswith("postgres") or Path(state).exists()


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` → [first instant, first instant of the next month) in UTC."""
    try:
        start = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        raise HygieneError(f"--month {month!r}: expected YYYY-MM, e.g. 2026-11") from None
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def previous_months(month: str, count: int) -> list[str]:
    """``count`` months ending with ``month``, oldest first."""
    start, _ = month_bounds(month)
    year, mon = start.year, start.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
    return out[::-1]


def parse_time(stamp: str) -> datetime:
    """A contract ``…Z`` timestamp as an aware datetime."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _where(finding: Mapping[str, Any]) -> str:
    loc = finding.get("location")
    if loc:
        line = f":{loc['line']}" if loc.get("line") else ""
        return f"{loc['repo']}:{loc['path']}{line}"
    return str(finding["resource"])


def _group_key(key: Any) -> str:
    if isinstance(key, list | tuple):
        return " / ".join(str(k) for k in key)
    return report_spend.group_label(key)


class _Month:
    """The runs of one month and, per check, the latest run in which it ran.

    ``runs`` are the documents without their findings; ``findings()`` reads a source run's
    findings from the store when a section needs them (one run's, never the whole month's).
    """

    def __init__(self, runs: list[dict[str, Any]], store: Store) -> None:
        self.runs = runs
        self.store = store
        self._findings: dict[str, list[dict[str, Any]]] = {}
        self.source: dict[str, dict[str, Any]] = {}
        self.last_status: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, Counter[str]] = {}
        for doc in runs:  # oldest first: later runs overwrite
            for name, check in doc["run"]["checks"].items():
                self.last_status[name] = {
                    **check,
                    "as_of": doc["run"]["as_of"],
                    "run": doc["run"]["id"],
                }
                self.counts.setdefault(name, Counter())[check["status"]] += 1
                if check["status"] in ("ok", "error"):
                    self.source[name] = doc

    def check(self, name: str) -> dict[str, Any] | None:
        """The check's entry in its source run, with that run's as_of."""
        doc = self.source.get(name)
        if doc is None:
            return None
        return {**doc["run"]["checks"][name], "as_of": doc["run"]["as_of"], "run": doc["run"]["id"]}

    def findings(self, name: str) -> list[dict[str, Any]]:
        """The check's findings in its source run."""
        doc = self.source.get(name)
        if doc is None:
            return []
        run_id = doc["run"]["id"]
        if run_id not in self._findings:
            self._findings[run_id] = self.store.run_findings(run_id)
        return [f for f in self._findings[run_id] if f["check"] == name]


def _section_state(month: _Month, name: str) -> dict[str, Any]:
    check = month.check(name)
    if check is None:
        last = month.last_status.get(name)
        reason = (
            f"{last['status']}: {last.get('reason') or 'no reason given'}"
            if last
            else "the check did not run this month"
        )
        return {
            "covered": False,
            "partial": False,
            "reason": reason,
            "as_of": None,
            "run": None,
            "stale": "",
        }
    partial = check["status"] == "error"
    last = month.last_status[name]
    stale = (
        ""
        if last["run"] == check["run"]
        else (
            f"the latest run ({last['as_of']}) did not cover it: {last['status']}: "
            f"{last.get('reason') or 'no reason given'}"
        )
    )
    return {
        "covered": True,
        "partial": partial,
        "reason": (check.get("reason") or "") if partial else "",
        "as_of": check["as_of"],
        "run": check["run"],
        "stale": stale,
    }


def build_report(
    store: Store, month: str, *, trend_months: int = TREND_MONTHS, checks: Sequence[str] = ()
) -> dict[str, Any]:
    """The monthly review document (``hygiene.report/v1``) for ``month`` from ``store``.

    ``checks`` adds registered check names to the coverage table (so a check that never ran
    this month is listed).
    """
    start, end = month_bounds(month)
    current = _Month(store.runs_between(start, end, with_findings=False), store)
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "month": month,
        "period": {"start": start.strftime("%Y-%m-%d"), "end": end.strftime("%Y-%m-%d")},
        "runs": _runs(current),
    }
    report["words"] = report_spend.WORDS
    report["coverage"] = _coverage(current, checks)
    report["spend"] = _spend(current)
    report["tags"] = _tags(current)
    report["trend"] = _trend(store, month, trend_months, current)
    open_findings = [f for name in current.source for f in current.findings(name)]
    budgets_stats = (current.check("budgets") or {}).get("stats") or {}
    report["actions"] = plan(open_findings, budgets_stats)
    report["offenders"] = _offenders(open_findings)
    report["secrets"] = _secrets(current)
    report["env"] = _env(current)
    report["rotation"] = _rotation(current)
    report["resolved"] = _resolved(store, current, start, end)
    report["scorecard"] = _scorecard(current)
    report["headline"] = _headline(report, open_findings, start, end)
    return report


def _runs(month: _Month) -> dict[str, Any]:
    statuses = Counter(doc["run"]["status"] for doc in month.runs)
    latest = month.runs[-1]["run"] if month.runs else None
    return {
        "count": len(month.runs),
        "complete": statuses.get("complete", 0),
        "incomplete": statuses.get("incomplete", 0),
        "latest": {k: latest[k] for k in ("id", "as_of", "status")} if latest else None,
    }


def _coverage(month: _Month, registered: Sequence[str]) -> list[dict[str, Any]]:
    names = [
        n
        for n in dict.fromkeys([*EXPECTED_CHECKS, *registered, *month.last_status])
        if n != "policy"
    ]
    rows = []
    for name in names:
        last = month.last_status.get(name)
        counts = month.counts.get(name, Counter())
        source = month.check(name)
        if last is None:
            state, reason = "never-ran", "the check did not run this month"
        else:
            state, reason = last["status"], last.get("reason") or ""
        rows.append(
            {
                "check": name,
                "status": state,
                "covered": state == "ok",
                "reason": reason,
                "runs_ok": counts.get("ok", 0),
                "runs_skipped": counts.get("skipped", 0),
                "runs_error": counts.get("error", 0),
                "data_as_of": source["as_of"] if source else None,
            }
        )
    return rows


def _spend(month: _Month) -> dict[str, Any]:
    section = _section_state(month, "budgets")
    check = month.check("budgets")
    stats = (check or {}).get("stats") or {}
    spend = stats.get("spend") or {}
    section.update(
        {
            "month": spend.get("month"),
            "metric": spend.get("metric"),
            "currency": spend.get("currency"),
            "total": spend.get("total"),
            "forecast": spend.get("forecast"),
            "net": spend.get("net"),
            "charges": spend.get("charges") or {},
            "by": list(spend.get("by") or []),
            "untagged": spend.get("untagged") or {},
            "basis": report_spend.basis(stats),
            "dimensions": report_spend.dimensions(stats),
            "allocation": report_spend.allocation(stats),
            "groups": [
                {
                    "key": _group_key(g.get("key")),
                    **{
                        k: g.get(k) for k in ("cost", "budget", "percent", "forecast", "mom_change")
                    },
                }
                for g in spend.get("groups") or []
            ],
            "budgets": [
                {
                    k: b.get(k)
                    for k in (
                        "name",
                        "scope",
                        "amount",
                        "currency",
                        "actual",
                        "forecast",
                        "percent",
                        "forecast_percent",
                    )
                }
                for b in stats.get("budgets") or []
            ],
        }
    )
    if check is not None and not spend:
        section["partial"] = True
        section["reason"] = section["reason"] or "the budgets check reported no spend figures"
    return section


def _dimension(stats: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    rows = [
        {
            "name": str(name),
            "resources": v.get("resources"),
            "compliant": v.get("compliant"),
            "percent": v.get("percent"),
        }
        for name, v in (stats.get(key) or {}).items()
    ]
    return sorted(
        rows, key=lambda r: (float(r["percent"] if r["percent"] is not None else 101), r["name"])
    )


def _tags(month: _Month) -> dict[str, Any]:
    section = _section_state(month, "tags")
    stats = (month.check("tags") or {}).get("stats") or {}
    section.update(
        {
            "resources": stats.get("resources"),
            "compliant": stats.get("compliant"),
            "compliance_percent": stats.get("compliance_percent"),
            "by_account": _dimension(stats, "by_account"),
            "by_resource_type": _dimension(stats, "by_resource_type"),
            "by_owner": _dimension(stats, "by_owner"),
        }
    )
    return section


def _trend(store: Store, month: str, count: int, current: _Month) -> list[dict[str, Any]]:
    points = []
    for name in previous_months(month, count):
        start, end = month_bounds(name)
        data = (
            current
            if name == month
            else _Month(store.runs_between(start, end, with_findings=False), store)
        )
        tags = (data.check("tags") or {}).get("stats") or {}
        budgets = (data.check("budgets") or {}).get("stats") or {}
        spend = budgets.get("spend") or {}
        untagged = spend.get("untagged") or {}
        basis = report_spend.basis(budgets) or {}
        points.append(
            {
                "month": name,
                "compliance_percent": tags.get("compliance_percent"),
                "coverage_by_spend": (budgets.get("allocation") or {}).get("coverage_by_spend"),
                "untagged_cost": untagged.get("cost"),
                "untagged_share": untagged.get("share"),
                "total_spend": spend.get("total"),
                "forecast": spend.get("forecast") if name == month else None,
                "budget": basis.get("amount"),
                "budget_basis": basis.get("basis"),
                "currency": spend.get("currency"),
                "as_of": spend.get("as_of"),
                "projects": report_spend.project_trend(budgets),
            }
        )
    return points


def _offenders(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    table: dict[str, Counter[str]] = {}
    for f in findings:
        table.setdefault(f.get("owner") or "(no owner)", Counter())[f["severity"]] += 1
    rows = [
        {"owner": owner, **{s: c.get(s, 0) for s in SEVERITIES}, "total": sum(c.values())}
        for owner, c in table.items()
    ]
    return sorted(rows, key=lambda r: (-r["critical"], -r["high"], -r["total"], r["owner"]))


def _age_days(finding: Mapping[str, Any], as_of: str | None) -> int | None:
    if not finding.get("first_seen") or not as_of:
        return None
    return max((parse_time(as_of) - parse_time(str(finding["first_seen"]))).days, 0)


def _item(finding: Mapping[str, Any], as_of: str | None) -> dict[str, Any]:
    loc = finding.get("location") or {}
    return {
        "id": finding["id"],
        "rule": finding["rule"],
        "severity": finding["severity"],
        "where": _where(finding),
        "repo": loc.get("repo"),
        "commit": loc.get("commit"),
        "owner": finding.get("owner"),
        "status": finding.get("status"),
        "first_seen": finding.get("first_seen"),
        "age_days": _age_days(finding, as_of),
        "message": finding["message"],
    }


def _secrets(month: _Month) -> dict[str, Any]:
    section = _section_state(month, "secrets")
    items = [_item(f, section["as_of"]) for f in month.findings("secrets")]
    section["open"] = sorted(items, key=lambda i: (-(i["age_days"] or 0), i["where"]))
    return section


def _env(month: _Month) -> dict[str, Any]:
    section = _section_state(month, "env")
    repos: dict[str, dict[str, Any]] = {}
    for f in month.findings("env"):
        item = _item(f, section["as_of"])
        repo = item["repo"] or str(f["resource"]).split(":", 1)[0]
        entry = repos.setdefault(
            repo, {"repo": repo, "findings": 0, "by_rule": Counter(), "items": []}
        )
        entry["findings"] += 1
        entry["by_rule"][f["rule"]] += 1
        entry["items"].append(item)
    section["repos"] = [
        {**r, "by_rule": dict(sorted(r["by_rule"].items()))} for _, r in sorted(repos.items())
    ]
    return section


def _rotation(month: _Month) -> dict[str, Any]:
    section = _section_state(month, "rotation")
    stats = (month.check("rotation") or {}).get("stats") or {}
    items = [
        {
            **_item(f, section["as_of"]),
            "resource": f["resource"],
            "credential": _credential(f),
            "kind": (f.get("details") or {}).get("kind"),
            "account": (f.get("details") or {}).get("account"),
            "age": (f.get("details") or {}).get("age_days"),
            "limit": (f.get("details") or {}).get("limit_days"),
        }
        for f in month.findings("rotation")
    ]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    section["items"] = sorted(items, key=lambda i: (rank[i["severity"]], i["where"]))
    section["by_rule"] = dict(sorted(Counter(i["rule"] for i in items).items()))
    section["credentials"] = stats.get("credentials")
    return section


def _credential(finding: Mapping[str, Any]) -> str:
    """A credential's name for people: the IAM user and key, the secret's name, the key alias —
    never a raw ARN when the details know better."""
    d = finding.get("details") or {}
    name, user = d.get("name"), d.get("user") or d.get("service_account")
    if user and name and user != name:
        return f"{user} · {name}"
    if name or user:
        return str(name or user)
    return report_spend.short_resource(str(finding["resource"]))


def _resolved(store: Store, month: _Month, start: datetime, end: datetime) -> list[dict[str, Any]]:
    ids = sorted({i for doc in month.runs for i in doc["run"]["resolved"]})
    found = findings_by_id(store, ids)
    rows = []
    for finding_id in ids:
        f = found.get(finding_id)
        if f is None:
            continue
        rows.append(
            {
                "id": finding_id,
                "check": f["check"],
                "rule": f["rule"],
                "severity": f["severity"],
                "where": _where(f),
                "owner": f.get("owner"),
                "first_seen": f.get("first_seen"),
                "resolved_at": f.get("resolved_at"),
                "reopened": f.get("resolved_at") is None,
            }
        )
    return sorted(rows, key=lambda r: (str(r["resolved_at"]), r["check"], r["where"]))


def _headline(
    report: dict[str, Any], open_findings: list[dict[str, Any]], start: datetime, end: datetime
) -> dict[str, Any]:
    severity = Counter(f["severity"] for f in open_findings)
    new = [
        f
        for f in open_findings
        if f.get("first_seen") and start <= parse_time(str(f["first_seen"])) < end
    ]
    spend = report["spend"]
    budgets = spend["budgets"]
    basis = spend.get("basis") or {}
    allocation = spend.get("allocation") or {}
    over = report_spend.budgets_over(budgets)
    return {
        "runs": report["runs"]["count"],
        "open_findings": len(open_findings),
        "by_severity": {s: severity.get(s, 0) for s in SEVERITIES},
        "new_this_month": len(new),
        "resolved_this_month": len([r for r in report["resolved"] if not r["reopened"]]),
        "tag_compliance_percent": report["tags"]["compliance_percent"],
        "tag_coverage_by_count": allocation.get("coverage_by_count")
        if allocation
        else report["tags"]["compliance_percent"],
        "tag_coverage_by_spend": allocation.get("coverage_by_spend"),
        "untagged_spend": (spend.get("untagged") or {}).get("cost"),
        "untagged_share": (spend.get("untagged") or {}).get("share"),
        "spend_total": spend["total"],
        "spend_forecast": spend.get("forecast"),
        "spend_currency": spend["currency"],
        "budget_total": basis.get("amount"),
        "budget_currency": basis.get("currency"),
        "budget_basis": basis.get("basis"),
        "budget_names": basis.get("budgets") or [],
        "budget_percent": basis.get("percent"),
        "budget_forecast_percent": basis.get("forecast_percent"),
        "budget_covers_percent_of_spend": basis.get("covers_percent_of_spend"),
        "budgets_over": over["now"],
        "budgets_forecast_over": over["forecast"],
        "money_at_stake": _at_stake(report["actions"]),
        "checks_not_covered": [c["check"] for c in report["coverage"] if not c["covered"]],
    }


def _at_stake(actions: Sequence[Mapping[str, Any]]) -> str | None:
    """The money the top actions put at stake (same currency), as a decimal string."""
    amounts = [decimal(a.get("money_at_stake")) for a in actions]
    known = [a for a in amounts if a is not None]
    return f"{sum(known, Decimal(0)):.2f}" if known else None


# --------------------------------------------------------------------------- publishing


def write_report(report: dict[str, Any], root: Path) -> Path:
    """Render every format into ``root/YYYY-MM/`` atomically: files go to a temporary directory
    that replaces the previous report only once complete; a failure leaves the old one."""
    from hygiene.publish.report_render import render_all

    root.mkdir(parents=True, exist_ok=True)
    final = root / report["month"]
    tmp = root / f".{report['month']}.tmp-{os.getpid()}"
    old = root / f".{report['month']}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        for name, content in render_all(report).items():
            (tmp / name).write_text(content, encoding="utf-8")
        if final.exists():
            os.replace(final, old)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not final.exists():
            os.replace(old, final)
        raise
    shutil.rmtree(old, ignore_errors=True)
    log.info("report written to %s", final)
    return final


def upload(directory: Path, url: str) -> list[str]:
    """Copy the report directory to ``s3://bucket/prefix`` or ``gs://bucket/prefix``."""
    if url.startswith("s3://"):
        from hygiene.sources.aws.upload import upload_directory

        return upload_directory(directory, url)
    if url.startswith("gs://"):
        try:
            from hygiene.sources.gcp.upload import upload_directory as gcs_upload
        except ImportError:
            raise HygieneError(
                f"--upload {url}: gs:// needs google-cloud-storage: pip install 'hygiene[gcp]'"
            ) from None
        return gcs_upload(directory, url)
    raise HygieneError(f"--upload {url!r}: expected s3://bucket/prefix or gs://bucket/prefix")


def monthly_report(
    state: Path,
    month: str,
    out: Path,
    *,
    checks: Sequence[str] = (),
    upload_to: str | None = None,
    lock_timeout: float = 60.0,
) -> tuple[Path, list[str]]:
    """Build the month's review from the store at ``state``, write it under ``out`` and
    optionally upload it. Returns the directory and the uploaded URLs."""
    month_bounds(month)
    if not state_exists(state):
        raise HygieneError(
            f"{state}: no history database; run `hygiene audit` first (or pass --audit, or --state)"
        )
    with Store(state, lock_timeout=lock_timeout) as store:
        report = build_report(store, month, checks=checks)
    directory = write_report(report, out)
    uploaded = upload(directory, upload_to) if upload_to else []
    return directory, uploaded


# --------------------------------------------------------------------------- scorecard (issue 10)


def _scorecard(month: _Month) -> dict[str, Any] | None:
    """The blueprint scorecard (``hygiene.scorecard``) of the month: each check as of the latest
    run in which it ran, like the other sections; None when no run was recorded this month."""
    from hygiene.scorecard import build as build_scorecard

    if not month.runs:
        return None
    checks = {
        name: {k: v for k, v in last.items() if k not in ("as_of", "run")}
        for name, last in month.last_status.items()
    }
    for name in month.source:
        checks[name] = {
            k: v for k, v in (month.check(name) or {}).items() if k not in ("as_of", "run")
        }
    latest = month.runs[-1]["run"]
    document = {
        "schema": "hygiene.findings/v1",
        "run": {
            "id": latest["id"],
            "as_of": latest["as_of"],
            "status": "incomplete"
            if any(c.get("status") == "error" for c in checks.values())
            else "complete",
            "checks": checks,
        },
        "findings": [f for name in month.source for f in month.findings(name)],
    }
    return build_scorecard(document).to_dict()
