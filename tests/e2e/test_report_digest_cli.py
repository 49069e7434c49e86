"""§3 of #19: ``hygiene report --digest`` e-mails each owner one monthly digest — their findings,
their spend against their budgets, what to do first — through the real SMTP server (aiosmtpd),
once per owner and month."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli
from tests.fixtures.publish.seed import finding, seed_run
from tests.fixtures.publish.servers import smtp_server

pytestmark = pytest.mark.e2e

AS_OF = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
KEY = finding(
    "secrets",
    "leaked-live-credential",
    "critical",
    "arn:aws:iam::1:user/pay-bot",
    owner="team-payments",
)
TAG = finding("tags", "unknown-owner", "medium", "arn:aws:s3:::pay", owner="Team-Payments")
OLD = finding(
    "rotation", "rotation-overdue", "high", "arn:aws:iam::1:user/pay-bot/k", owner="payments"
)
DATA = finding("tags", "missing-tag", "low", "arn:aws:s3:::etl", owner="team-data")
SPEND = {
    "budgets": [
        {
            "name": "payments",
            "scope": {"Owner": "team-payments"},
            "amount": "1000.00",
            "currency": "USD",
            "actual": "1250.40",
            "forecast": "1900.00",
            "percent": 125.04,
            "forecast_percent": 190.0,
        },
        {
            "name": "data",
            "scope": {"Owner": "team-data"},
            "amount": "500.00",
            "currency": "USD",
            "actual": "100.00",
            "forecast": "150.00",
            "percent": 20.0,
            "forecast_percent": 30.0,
        },
    ],
    "spend": {
        "month": "2026-11",
        "metric": "BilledCost",
        "currency": "USD",
        "total": "1350.40",
        "untagged": {"cost": "0.00", "share": "0.0"},
        "groups": [],
    },
}


def test_each_owner_gets_one_digest_a_month(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    checks = {
        "secrets": {"findings": [KEY]},
        "tags": {"findings": [TAG, DATA]},
        "rotation": {"findings": [OLD]},
        "budgets": {"findings": [], "stats": SPEND},
    }
    seed_run(state, AS_OF, checks)
    with smtp_server(tmp_path, "hygiene", "pw") as box:
        policy = {
            "budgets": [
                {"name": "payments", "scope": {"Owner": "team-payments"}, "amount": 1000},
                {"name": "data", "scope": {"Owner": "team-data"}, "amount": 500},
            ],
            "alerts": {
                "channels": [
                    {
                        "name": "mail",
                        "type": "email",
                        "smtp_host": "127.0.0.1",
                        "smtp_port": box.port,
                        "username_env": "SMTP_USER",
                        "password_env": "SMTP_PASS",
                        "sender": "hygiene@example.invalid",
                        "recipients": ["sec@example.invalid"],
                    }
                ]
            },
            "owners": {
                "entries": [
                    {
                        "id": "team-payments",
                        "aliases": ["payments"],
                        "email": "pay@example.invalid",
                    },
                    {"id": "team-data", "email": "data@example.invalid"},
                    {"id": "alice", "email": "alice@example.invalid", "active": False},
                    {"id": "team-web"},  # no address: no digest
                ],
                "email_channel": "mail",
            },
        }
        config = tmp_path / "hygiene.yaml"
        config.write_text(yaml.safe_dump(policy), encoding="utf-8")
        env = {
            "SMTP_USER": "hygiene",
            "SMTP_PASS": "pw",
            "SSL_CERT_FILE": str(tmp_path / "cert.pem"),
        }
        args = ("report", "--month", "2026-11", "--state", str(state), "--out", str(tmp_path / "r"),
                "--config", str(config), "--digest")  # fmt: skip
        first = run_cli(*args, env=env)
        second = run_cli(*args, env=env)

    assert first.returncode == 0, first.stderr
    assert "digest: team-payments <pay@example.invalid>: sent (3 finding(s))" in first.stdout
    assert "digest: team-data <data@example.invalid>: sent (1 finding(s))" in first.stdout
    assert second.returncode == 0, second.stderr
    assert "digest: team-payments: already sent for 2026-11" in second.stdout
    assert sorted(r for rs in box.recipients for r in rs) == [
        "data@example.invalid",
        "pay@example.invalid",
    ]
    mails = {m["To"]: m for m in box.messages}
    pay = mails["pay@example.invalid"]
    assert pay["Subject"] == "hygiene digest 2026-11 for team-payments: 3 open finding(s)"
    part = next(p for p in pay.walk() if p.get_content_type() == "text/plain")
    text = part.get_payload(decode=True).decode()
    assert "payments: 1250.40 of 1000.00 USD (125.04 %), forecast 1900.00 USD" in text
    first_lines = [line for line in text.splitlines() if line.startswith("  [")]
    assert first_lines[0].startswith(
        "  [CRITICAL] secrets/leaked-live-credential"
    )  # first things first
    assert first_lines[1].startswith("  [HIGH] rotation/rotation-overdue")
    assert "data: " not in text  # another owner's budget
    # the review's own ranked actions for this owner (the same titles as report.json's actions)
    ranked = text.split("Your actions in this month's review")[1].split("Do these first:")[0]
    steps = [line.strip() for line in ranked.splitlines() if line.strip()[:2].rstrip(".").isdigit()]
    assert " key of " in steps[0]  # the live leaked key first
    assert any("Rotate or retire 1 credential(s)" in step for step in steps)
    assert "Open findings by severity: critical 1, high 1, medium 1" in text
