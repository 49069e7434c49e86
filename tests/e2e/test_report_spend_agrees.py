"""The monthly review and ``hygiene spend`` agree to the cent (#19 §4): an audit of a two-month
FOCUS bill, the review of that month, and ``hygiene spend --by KEY`` for each dimension, all
through the real CLI; the headline never adds up layered budgets."""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, run_cli

pytestmark = pytest.mark.e2e

HEADER = (
    "BilledCost,EffectiveCost,ListCost,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,"
    "ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ChargeClass,ServiceName,ServiceCategory,"
    "SubAccountId,SubAccountName,ResourceId,ResourceName,InvoiceIssuerName,Tags,ProviderName,"
    "PublisherName"
)
#: resource → (service, account, tags)
RESOURCES = {
    "i-0checkout": (
        "Amazon EC2",
        "111111111111",
        {"Project": "checkout", "Owner": "team-a", "Env": "prod"},
    ),
    "db-checkout": (
        "Amazon RDS",
        "111111111111",
        {"Project": "checkout", "Owner": "team-a", "Env": "prod"},
    ),
    "i-0search": (
        "Amazon EC2",
        "222222222222",
        {"Project": "search", "Owner": "team-b", "Env": "prod"},
    ),
    "bucket-logs": ("Amazon S3", "222222222222", {"Project": "search"}),
    "i-0scratch": ("Amazon EC2", "222222222222", {}),
}
POLICY = """
budgets:
  - {name: org, scope: {}, amount: "9000", owner: finance}
  - {name: checkout, scope: {Project: checkout}, amount: "1500", owner: team-a}
  - {name: search, scope: {Project: search}, amount: "5000", owner: team-b}
  - {name: team-a, scope: {Owner: team-a}, amount: "1400", owner: team-a}
"""


def write_bill(path: Path) -> None:
    """October and November 2026 to the 20th, one row per resource per day, seeded."""
    rng = random.Random(19)
    lines = [HEADER]
    day = date(2026, 10, 1)
    while day < date(2026, 11, 21):
        period = day.replace(day=1)
        period_end = (period + timedelta(days=32)).replace(day=1)
        for resource, (service, account, tags) in RESOURCES.items():
            cost = f"{rng.uniform(10, 60) * (1.3 if day.month == 11 else 1):.4f}"
            tag_text = json.dumps(tags).replace('"', '""') if tags else "NULL"
            lines.append(
                f"{cost},{cost},{cost},USD,{period} 00:00:00,{period_end} 00:00:00,"
                f"{day} 00:00:00,{day + timedelta(days=1)} 00:00:00,Usage,NULL,{service},Compute,"
                f'{account},acct-{account[:3]},{resource},NULL,"Amazon Web Services, Inc.",'
                f'"{tag_text}",AWS,"Amazon Web Services, Inc."'
            )
        day += timedelta(days=1)
    lines.append(  # tax: apart from spend in both
        "12.50,12.50,12.50,USD,2026-11-01 00:00:00,2026-12-01 00:00:00,2026-11-01 00:00:00,"
        '2026-11-02 00:00:00,Tax,NULL,Tax,Other,111111111111,acct-111,NULL,NULL,"Amazon Web '
        'Services, Inc.",NULL,AWS,"Amazon Web Services, Inc."'
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("agree")
    bill, policy, state = root / "bill.csv", root / "policy.yaml", root / "state.db"
    write_bill(bill)
    policy.write_text(POLICY + f"billing:\n  sources: [{json.dumps(str(bill))}]\n")
    audit = run_cli(
        "audit", "--only", "budgets", "--config", str(policy), "--state", str(state),
        "--as-of", "2026-11-20", "--format", "json", "-o", str(root / "audit.json"),
    )  # fmt: skip
    assert audit.returncode in (0, 1), audit.stderr[-2000:]
    report = run_cli(
        "report", "--month", "2026-11", "--state", str(state), "--out", str(root / "reports")
    )
    assert report.returncode == 0, report.stderr[-2000:]
    return {"root": root, "bill": bill, "policy": policy, "dir": root / "reports" / "2026-11"}


def spend_json(audited: dict[str, Path], by: str) -> dict:
    result = run_cli(
        "spend", "--config", str(audited["policy"]), "--month", "2026-11",
        "--as-of", "2026-11-20", "--by", by, "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("key", ["Owner", "Project", "ServiceName", "SubAccountId"])
def test_every_breakdown_equals_hygiene_spend_to_the_cent(
    audited: dict[str, Path], key: str
) -> None:
    document = json.loads((audited["dir"] / "report.json").read_text())
    rows = next(d["rows"] for d in document["spend"]["dimensions"] if d["key"] == key)
    table = spend_json(audited, key)
    expected = [(g["key"][key], g["cost"], g["forecast"], g["mom_change"]) for g in table["groups"]]
    assert [(r["key"][key], r["cost"], r["forecast"], r["mom_change"]) for r in rows] == expected
    assert len(expected) >= 2 and all(m is not None for _, _, _, m in expected)  # MoM shows
    # the CSV of the same breakdown carries the same strings
    name = {
        "Owner": "owner",
        "Project": "project",
        "ServiceName": "service",
        "SubAccountId": "account",
    }
    written = list(
        csv.DictReader(io.StringIO((audited["dir"] / f"spend_by_{name[key]}.csv").read_text()))
    )
    assert [r["cost"] for r in written] == [cost for _, cost, _, _ in expected]


def test_headline_uses_the_org_budget_and_never_sums_layers(audited: dict[str, Path]) -> None:
    document = json.loads((audited["dir"] / "report.json").read_text())
    headline = document["headline"]
    total = spend_json(audited, "Owner")["total"]
    assert headline["spend_total"] == total == document["spend"]["total"]
    assert (headline["budget_total"], headline["budget_basis"]) == ("9000.00", "all")
    assert headline["budget_names"] == ["org"]  # not 9000 + 1500 + 5000 + 1400
    markdown = (audited["dir"] / "report.md").read_text()
    html = (audited["dir"] / "report.html").read_text()
    money = f"{float(total):,.2f}"
    assert f"{money} USD of 9,000.00 USD budgeted (" in markdown
    assert f'<div class="value">{money} USD</div>' in html
    assert "spend this month to date of 9,000.00 USD budgeted (" in html
    for text in (markdown, html):
        assert "the org-wide budget" in text and "(untagged)" not in text
    # the owner without a tag is named for what it is, in every format
    owners = next(d["rows"] for d in document["spend"]["dimensions"] if d["key"] == "Owner")
    assert "(no Owner tag)" in [r["name"] for r in owners]
    assert "| (no Owner tag) |" in markdown and "<td>(no Owner tag)</td>" in html


def test_actions_rank_the_budget_over_its_forecast_with_its_owner(audited: dict[str, Path]) -> None:
    document = json.loads((audited["dir"] / "report.json").read_text())
    actions = document["actions"]
    assert actions and [a["rank"] for a in actions] == list(range(1, len(actions) + 1))
    caps = {a["title"].split()[5]: a for a in actions if a["kind"] == "cap-budget"}
    assert {"checkout", "team-a"} <= set(caps)  # both forecast over their amounts
    assert caps["checkout"]["owner"] == "team-a"
    stakes = [float(a["money_at_stake"]) for a in actions if a["money_at_stake"]]
    assert stakes and all(s > 0 for s in stakes)
    rows = list(csv.DictReader(io.StringIO((audited["dir"] / "actions.csv").read_text())))
    assert [r["title"] for r in rows] == [a["title"] for a in actions]


@pytest.mark.parametrize("key", ["Owner", "ServiceName", "SubAccountId"])
def test_the_real_focus_sample_agrees_too(tmp_path: Path, key: str) -> None:
    """The same agreement on real, anonymised FOCUS rows (AWS, Azure, OCI; negative usage
    corrections, a credit, NULL cells), every group of each breakdown."""
    sample = REPO_ROOT / "data" / "focus" / "focus_sample.csv"
    policy, state = tmp_path / "policy.yaml", tmp_path / "state.db"
    policy.write_text(f"billing:\n  sources: [{json.dumps(str(sample))}]\n", encoding="utf-8")
    audit = run_cli(
        "audit", "--only", "budgets", "--config", str(policy), "--state", str(state),
        "--as-of", "2024-09-30", "--format", "json", "-o", str(tmp_path / "audit.json"),
    )  # fmt: skip
    assert audit.returncode in (0, 1), audit.stderr[-2000:]
    report = run_cli("report", "--month", "2024-09", "--state", str(state), "--out", str(tmp_path))
    assert report.returncode == 0, report.stderr[-2000:]
    document = json.loads((tmp_path / "2024-09" / "report.json").read_text())
    shown = next(d for d in document["spend"]["dimensions"] if d["key"] == key)
    spend = run_cli(
        "spend", "--config", str(policy), "--month", "2024-09", "--as-of", "2024-09-30",
        "--by", key, "--format", "json",
    )  # fmt: skip
    assert spend.returncode == 0, spend.stderr[-2000:]
    table = json.loads(spend.stdout)
    assert [(r["key"][key], r["cost"]) for r in shown["rows"]] == [
        (g["key"][key], g["cost"]) for g in table["groups"]
    ]
    assert document["spend"]["total"] == table["total"] == "22.62"
    if key == "SubAccountId":  # both name an account "name (id)", from the bill's SubAccountName
        names = table["account_names"]
        assert names["11353890204"] == "Atlas Orion"
        assert [r["name"] for r in shown["rows"]] == [
            f"{names[g['key'][key]]} ({g['key'][key]})" if g["key"][key] in names else g["key"][key]
            for g in table["groups"]
        ]
        text = run_cli(
            "spend", "--config", str(policy), "--month", "2024-09", "--by", key,
        )  # fmt: skip
        assert "Atlas Orion (11353890204)" in text.stdout
