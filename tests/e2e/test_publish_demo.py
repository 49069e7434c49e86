"""``python -m demo.run`` (what ``make demo`` runs), offline: six months of Acme's generated
organisation and bill, then today's two full runs. The review has every section with real
figures (trend, month-over-month, budgets over), the joins fire (the live leaked key, the
misspelt and the departed owner), each new finding is alerted once, and neither the planted key
nor the live key's secret is in any artefact. The report also fits the window at 1,400 and
800 px in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from demo.run import LEAK_PATH, PLANTED_KEY, PLANTED_SECRET

from hygiene.findings import Severity
from hygiene.store import run_document
from tests.browser_layout import measure
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.e2e
AS_OF = "2026-12-07T12:00:00"

SECTIONS = {
    "headline",
    "actions",
    "spend",
    "trend",
    "tags",
    "offenders",
    "secrets",
    "env",
    "rotation",
    "scorecard",
    "coverage",
    "resolved",
    "words",
}


def section(html: str, name: str) -> str:
    return html.split(f'<section id="{name}">')[1].split("</section>")[0]


def test_demo_end_to_end(tmp_path: Path) -> None:
    demo, reports = tmp_path / "demo", tmp_path / "reports"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "demo.run", "--dir", str(demo), "--reports", str(reports)),
            *("--as-of", AS_OF),  # a fixed day: on the 1st of a month there is no month to date
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},  # demo/ is the checkout's, not installed
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    final = result.stdout.strip().splitlines()[-1]
    shown = re.fullmatch(r"report: (.+)  \(the demo took \d+ s\)", final)
    assert shown, final
    report = Path(shown[1])
    assert report.parent.parent == reports and report.name == "report.html"
    html = report.read_text()
    assert set(re.findall(r'<section id="([a-z]+)"', html)) == SECTIONS
    for name in ("spend", "tags", "secrets", "env", "rotation"):
        assert "Not covered" not in section(html, name), name  # these checks ran in the demo
    secrets_html = section(html, "secrets")
    assert "in-tree" in secrets_html and "shop-api:app/aws.py" in secrets_html
    assert "leaked-live-credential" in secrets_html
    assert "undocumented-variable" in section(html, "env")
    assert "rotation-overdue" in section(html, "rotation")

    db = sqlite3.connect(demo / "state.db")
    runs = [
        run_document(db, run_id, text)  # the run's findings joined back from run_findings
        for run_id, text in db.execute("SELECT id, document FROM runs ORDER BY as_of")
    ]
    db.close()
    history, today = runs[:-2], runs[-2:]
    assert len(history) == 5 and len({r["run"]["as_of"][:7] for r in runs}) == 6
    assert all(set(r["run"]["checks"]) >= {"tags", "budgets"} for r in history)
    last = today[-1]["findings"]
    by_rule = Counter(f["rule"] for f in last)

    # the joins: the live key committed in the repo's history, the owners that resolve to nobody
    (leak,) = [f for f in last if f["rule"] == "leaked-live-credential"]
    assert leak["severity"] == "critical" and leak["resource"].endswith(":user/shop-deploy")
    assert leak["location"]["path"] == LEAK_PATH and leak["details"]["where"] == "history-only"
    assert {
        (f["rule"], f["resource"], f["location"]["line"], f["details"]["type"], f["severity"])
        for f in last
        if f["check"] == "secrets" and f["rule"] != "leaked-live-credential"
    } == {("in-tree", "shop-api:app/aws.py", 5, "aws-access-key", "high")}
    assert {f["details"].get("did_you_mean") for f in last if f["rule"] == "unknown-owner"} == {
        "team-payments"
    }
    assert by_rule["departed-owner"] >= 1 and by_rule["rotation-overdue"] >= 1
    assert {"budget-exceeded", "forecast-exceeds-budget"} <= set(by_rule)

    # the review: a few thousand dollars a month, six months of trend, month-over-month
    review = json.loads((report.parent / "report.json").read_text())
    trend = review["trend"]
    assert len(trend) == 6
    assert all(Decimal("2500") < Decimal(p["total_spend"]) < Decimal("8000") for p in trend[:-1])
    assert all(p["coverage_by_spend"] is not None for p in trend)
    headline = review["headline"]
    assert headline["budget_basis"] == "all" and headline["budget_total"] == "5500.00"
    assert headline["budgets_forecast_over"] >= 1
    owners = next(d for d in review["spend"]["dimensions"] if d["key"] == "Owner")
    assert any(row["mom_change"] is not None for row in owners["rows"])
    assert any(row["name"] == "(no Owner tag)" for row in owners["rows"])
    kinds = {a["kind"] for a in review["actions"]}
    assert {"revoke-leaked-key", "cap-budget", "fix-owner-tag"} <= kinds
    assert review["actions"][0]["kind"] == "revoke-leaked-key"
    # repository findings are owned by their path's CODEOWNERS owner
    assert {a["owner"] for a in review["actions"] if a["kind"] == "rotate-committed-secrets"} == {
        "team-shop"
    }

    # alerts: each new finding at or above the channel's floor exactly once each time it is new
    # (one resolved and found again later is new again)
    expected = [
        f["id"]
        for run in runs
        for f in run["findings"]
        if f["status"] == "new" and Severity(f["severity"]).at_least(Severity.MEDIUM)
    ]
    received = json.loads((demo / "alerts_received.json").read_text())
    alerts = [a for body in received["ops-webhook"] for a in body["alerts"]]
    assert sorted(a["id"] for a in alerts if a["kind"] == "new") == sorted(expected)
    assert {a["kind"] for a in alerts} <= {"new", "reminder", "resolved"}
    assert re.search(r"today's runs \d+ and 0 \(", result.stdout), result.stdout  # none re-sent
    assert received["team-payments-slack"], "team-payments' own channel got nothing"

    leaked_secret = re.search(
        r"AWS_SECRET_ACCESS_KEY=(\S+)",
        subprocess.run(
            ["git", "-C", str(demo / "shop-api"), "log", "-p", "--all", "--", LEAK_PATH],
            capture_output=True,
            text=True,
            check=True,
        ).stdout,
    )
    assert leaked_secret
    artefacts = [
        *reports.rglob("*"),
        demo / "alerts_received.json",
        demo / "state.db",
        *(demo / "metrics").iterdir(),
    ]
    secrets = (PLANTED_KEY, PLANTED_SECRET, leaked_secret[1])
    for path in artefacts:
        if path.is_file():
            data = path.read_bytes()
            assert not [s for s in secrets if s.encode() in data], path

    for width in (1400, 800):
        overflows = measure(tmp_path, report, width).overflows()
        assert overflows == [], f"at {width} px: {overflows}"
