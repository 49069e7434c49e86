"""§3 of #19: a finding's alerts go to its owner's own channels (Slack webhook, e-mail through
the real SMTP server) as well as the default channel; each is deduplicated on its own."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygiene.policy import Policy
from hygiene.publish.alerts import send_alerts
from tests.fixtures.publish.seed import finding, seed_run
from tests.fixtures.publish.servers import http_receiver, smtp_server

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
PAY = finding("tags", "unknown-owner", "high", "arn:aws:s3:::pay", owner="Team-Payments")
DATA = finding("rotation", "rotation-overdue", "critical", "arn:aws:iam::1:user/etl", owner="data")
LOW = finding("tags", "missing-tag", "low", "arn:aws:s3:::pay-logs", owner="team-payments")
GONE = finding("tags", "missing-tag", "high", "arn:aws:s3:::old", owner="alice")


def test_owner_channels_beside_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state.db"
    with smtp_server(tmp_path, "hygiene", "pw") as box, http_receiver() as hook:
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
        policy = Policy.model_validate(
            {
                "alerts": {
                    "channels": [
                        {"name": "ops", "type": "webhook", "url_env": "OPS_URL"},
                        {
                            "name": "mail",
                            "type": "email",
                            "smtp_host": "127.0.0.1",
                            "smtp_port": box.port,
                            "username_env": "SMTP_USER",
                            "password_env": "SMTP_PASS",
                            "sender": "hygiene@example.invalid",
                            "recipients": ["sec@example.invalid"],
                            "min_severity": "critical",
                        },
                    ]
                },
                "owners": {
                    "entries": [
                        {
                            "id": "team-payments",
                            "email": "pay@example.invalid",
                            "slack_webhook_env": "PAY_SLACK",
                        },
                        {"id": "team-data", "aliases": ["data"], "email": "data@example.invalid"},
                        {"id": "alice", "email": "alice@example.invalid", "active": False},
                    ],
                    "email_channel": "mail",
                    "min_severity": "high",
                },
            }
        )
        env = {
            "OPS_URL": f"{hook.url}/ops",
            "PAY_SLACK": f"{hook.url}/pay",
            "SMTP_USER": "hygiene",
            "SMTP_PASS": "pw",
        }
        checks = {n: {"findings": []} for n in ("tags", "rotation")}
        for f in (PAY, DATA, LOW, GONE):
            checks[f.check]["findings"].append(f)  # type: ignore[attr-defined]
        run = seed_run(state, T0, checks)
        outcome = send_alerts(
            run.to_contract(), policy, state_path=state, environ=env, backoff=0.01
        )
        again = send_alerts(run.to_contract(), policy, state_path=state, environ=env, backoff=0.01)

    sent = {c.channel: {i.finding_id for i in c.batch.items} for c in outcome.channels}
    assert sent == {
        "ops": {PAY.id, DATA.id, GONE.id},  # the default channel: everything high or worse
        "mail": {DATA.id},
        "owner:team-payments:slack": {PAY.id},  # its owner, in another case; not the low one
        "owner:team-payments:email": {PAY.id},
        "owner:team-data:email": {DATA.id},  # by alias
    }  # alice has left: no channel of hers
    assert all(c.delivered for c in outcome.channels)
    [slack] = [b for p, b in zip(hook.paths, hook.bodies, strict=True) if p.endswith("/pay")]
    assert slack["text"] == "hygiene: 1 new finding(s) as of 2026-11-02"
    assert sorted(r for rs in box.recipients for r in rs) == [
        "data@example.invalid",
        "pay@example.invalid",
        "sec@example.invalid",
    ]
    assert all(not c.batch.items for c in again.channels)  # each deduplicated on its own
