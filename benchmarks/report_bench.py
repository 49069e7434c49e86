"""Monthly report, alert planning and metrics over a month of nightly runs.

    python -m benchmarks.report_bench                         # 30 runs × 5,000 findings
    python -m benchmarks.report_bench --runs 5 --findings 500 # quick

Generates a history store under benchmarks/out/report/ through the real store API (a month of
nightly runs, each with tags/budgets stats in the agreed shapes and findings across five checks,
~2% of them fixed and ~2% new each night), then times building the review from the store,
rendering every format (HTML with charts, Markdown, CSV, JSON), planning alerts for the last run
(dry run against the delivery history) and building the Prometheus metrics.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hygiene.context import CheckResult
from hygiene.findings import Finding, Location
from hygiene.pipeline import AuditRun
from hygiene.policy import AlertChannel, AlertsPolicy, Policy
from hygiene.publish.alerts import send_alerts
from hygiene.publish.metrics import build_registry
from hygiene.publish.report import build_report, write_report
from hygiene.store import Store

OUT = Path(__file__).parent / "out" / "report"
CHECKS = ("tags", "budgets", "secrets", "env", "rotation")
SEVERITIES = ("critical", "high", "medium", "low")


def finding(number: int) -> Finding:
    check = CHECKS[number % len(CHECKS)]
    owner = f"team-{number % 17}"
    if check in ("secrets", "env"):
        repo = f"repo-{number % 40}"
        return Finding.create(
            check=check,
            rule="in-tree" if check == "secrets" else "undocumented-variable",
            severity=SEVERITIES[number % 4],
            resource=f"{repo}:f{number}.py",
            message=f"Fix finding {number}.",
            identity=(number,),
            owner=owner,
            location=Location(repo=repo, path=f"f{number}.py", line=number % 300 + 1),
        )
    return Finding.create(
        check=check,
        rule="missing-tag",
        severity=SEVERITIES[number % 4],
        resource=f"arn:aws:ec2:us-east-1:1111111111{number % 3:02d}:instance/i-{number:08x}",
        message=f"Fix finding {number}.",
        identity=(number,),
        owner=owner,
        details={"account": f"1111111111{number % 3:02d}"},
    )


def stats(night: int) -> dict[str, dict[str, Any]]:
    dims = {
        f"value-{i}": {"resources": 100, "compliant": 50 + i, "percent": 50.0 + i}
        for i in range(20)
    }
    groups = [
        {
            "key": {"Project": f"p{i}", "Owner": f"team-{i}", "Env": "prod"},
            "cost": f"{100 + i * 7 + night}.25",
            "budget": "500",
            "percent": 20.0 + i,
            "forecast": f"{200 + i * 9}.00",
            "mom_change": 3.5,
        }
        for i in range(25)
    ]
    return {
        "tags": {
            "resources": 10000,
            "compliant": 6000 + night * 10,
            "compliance_percent": 60.0 + night / 10,
            "by_account": dims,
            "by_resource_type": dims,
            "by_owner": dims,
            "api_calls": 900,
        },
        "budgets": {
            "spend": {
                "month": "2026-11",
                "metric": "BilledCost",
                "currency": "USD",
                "groups": groups,
                "untagged": {"cost": "123.00", "share": 8.5},
                "total": "9000.00",
            },
            "budgets": [
                {
                    "name": f"b{i}",
                    "scope": f"Project=p{i}",
                    "amount": "500",
                    "currency": "USD",
                    "actual": "450",
                    "forecast": "600",
                    "percent": 90.0,
                    "forecast_percent": 120.0,
                }
                for i in range(10)
            ],
        },
    }


def seed(state: Path, runs: int, findings: int) -> float:
    start = datetime(2026, 11, 1, 2, 15, tzinfo=UTC)
    churn = max(findings // 50, 1)
    started = time.perf_counter()
    with Store(state) as store:
        for night in range(runs):
            as_of = start + timedelta(days=night)
            ids = range(night * churn, night * churn + findings)  # some fixed, some new each night
            current = [finding(n) for n in ids]
            numbers = stats(night)
            results = [
                CheckResult(
                    name=c,
                    status="ok",
                    stats=numbers.get(c, {}),
                    findings=[f for f in current if f.check == c],
                )
                for c in CHECKS
            ]
            run = AuditRun(
                f"run{night:03d}", as_of, as_of + timedelta(minutes=20), as_of, results, current
            )
            store.record_run(
                run_id=run.id,
                started_at=run.started_at,
                finished_at=run.finished_at,
                as_of=as_of,
                status=run.status,
                results=results,
                findings=current,
                build_document=lambda r, run=run: replace(run, resolved=r).contract_head(),
            )
    return time.perf_counter() - started


def timed(func: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = func()
    return value, time.perf_counter() - started


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Generate the store, run the timed steps, print and return the numbers."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report_bench")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--findings", type=int, default=5000)
    args = parser.parse_args(argv)
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    state = OUT / "state.db"
    seeding = seed(state, args.runs, args.findings)
    with Store(state) as store:
        report, building = timed(lambda: build_report(store, "2026-11"))
        latest = store.latest_run()
    assert latest is not None
    directory, writing = timed(lambda: write_report(report, OUT / "reports"))
    policy = Policy(
        alerts=AlertsPolicy(
            channels=[AlertChannel(name="all", type="webhook", url_env="U", min_severity="low")]
        )
    )
    outcome, planning = timed(
        lambda: send_alerts(latest, policy, state_path=state, environ={}, dry_run=True)
    )
    _, metrics = timed(lambda: build_registry(latest))
    sizes = {p.name: p.stat().st_size for p in directory.iterdir()}
    result = {
        "runs": args.runs,
        "findings_per_run": args.findings,
        "store_mb": round(state.stat().st_size / 1e6, 1),
        "seed_s": round(seeding, 2),
        "build_report_s": round(building, 2),
        "render_and_write_s": round(writing, 2),
        "html_kb": round(sizes["report.html"] / 1e3, 1),
        "alert_plan_dry_run_s": round(planning, 2),
        "alerts_planned": sum(len(c.batch.items) for c in outcome.channels),
        "metrics_s": round(metrics, 3),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
