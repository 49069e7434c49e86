"""Alert delivery against real local receivers: a JSON webhook, a Slack-style webhook, an SMTP
server with STARTTLS and AUTH; retries with backoff; dedup across three consecutive runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hygiene.policy import AlertChannel, AlertsPolicy, Policy
from hygiene.publish.alerts import send_alerts
from hygiene.store import AlertLedger, Store
from tests.fixtures.publish.seed import finding, seed_run
from tests.fixtures.publish.servers import http_receiver, smtp_server

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
SECRET = "AKIAIOSFODNN7EXAMPLE"

A = finding(
    "secrets",
    "aws-access-key",
    "critical",
    "api:config.py",
    owner="alice",
    repo="api",
    path="config.py",
    preview="AKIA…",
    hash="0" * 64,
)
B = finding(
    "rotation", "rotation-overdue", "high", "arn:aws:iam::111111111111:user/bob/key", owner="bob"
)
C = finding("tags", "missing-tag", "low", "arn:aws:s3:::logs", owner="alice")
D = finding(
    "env",
    "undocumented-variable",
    "high",
    "web:.env.example",
    owner="carol",
    repo="web",
    path="app.py",
)


def policy(*channels: AlertChannel) -> Policy:
    return Policy(alerts=AlertsPolicy(channels=list(channels), reminder_days=7))


def webhook(name: str = "ops", **kw: object) -> AlertChannel:
    return AlertChannel(name=name, type="webhook", url_env="HOOK_URL", **kw)  # type: ignore[arg-type]


def checks(*found: object, skip: tuple[str, ...] = ()) -> dict[str, dict[str, object]]:
    seed: dict[str, dict[str, object]] = {
        n: {"findings": []} for n in ("secrets", "rotation", "tags", "env")
    }
    for f in found:
        seed[f.check]["findings"].append(f)  # type: ignore[attr-defined,union-attr]
    for name in skip:
        seed[name] = {"status": "skipped", "reason": "no credentials"}
    return seed


def alert(state: Path, run_doc: dict, pol: Policy, url: str, **kw: object):  # type: ignore[no-untyped-def]
    return send_alerts(
        run_doc, pol, state_path=state, environ={"HOOK_URL": url}, backoff=0.01, **kw
    )  # type: ignore[arg-type]


def kinds(body: dict) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(a["kind"], a["id"]) for a in body["alerts"]}


def test_dedup_across_three_runs_new_reminder_resolved(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    pol = policy(webhook(min_severity="high"))
    with http_receiver() as hook:
        run1 = seed_run(state, T0, checks(A, B, C))
        alert(state, run1.to_contract(), pol, hook.url)
        run2 = seed_run(state, T0 + timedelta(days=1), checks(A, B, C, D))
        alert(state, run2.to_contract(), pol, hook.url)
        # day 7.5: A and B were last told on day 0 (reminder due), D on day 1 (not yet); B is fixed
        run3 = seed_run(state, T0 + timedelta(days=7, hours=12), checks(A, C, D))
        alert(state, run3.to_contract(), pol, hook.url)
        run4 = seed_run(state, T0 + timedelta(days=7, hours=18), checks(A, C, D))
        alert(state, run4.to_contract(), pol, hook.url)
    assert [kinds(body) for body in hook.bodies] == [
        {("new", A.id), ("new", B.id)},
        {("new", D.id)},
        {("reminder", A.id), ("resolved", B.id)},
    ]  # run 4 had nothing due: no request at all
    assert hook.bodies[0]["schema"] == "hygiene.alerts/v1"
    assert hook.bodies[0]["run"]["id"] == run1.id
    with Store(state) as store:
        sent = {(r["finding_id"], r["kind"], r["sent_at"]) for r in AlertLedger(store).all_sent()}
    assert sent == {
        (A.id, "new", "2026-11-02T06:00:00Z"),
        (B.id, "new", "2026-11-02T06:00:00Z"),
        (D.id, "new", "2026-11-03T06:00:00Z"),
        (A.id, "reminder", "2026-11-09T18:00:00Z"),
        (B.id, "resolved", "2026-11-09T18:00:00Z"),
    }


def test_receiver_failing_first_is_retried_and_recorded_once(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    pol = policy(webhook())
    with http_receiver(fail_first=1) as hook:
        run = seed_run(state, T0, checks(A))
        outcome = alert(state, run.to_contract(), pol, hook.url)
        again = alert(
            state, seed_run(state, T0 + timedelta(hours=1), checks(A)).to_contract(), pol, hook.url
        )
    assert hook.attempts == 2
    assert [kinds(b) for b in hook.bodies] == [{("new", A.id)}]
    assert [(c.delivered, c.attempts) for c in outcome.channels] == [(True, 2)]
    assert [c.batch.items for c in again.channels] == [[]]


def test_failed_delivery_is_not_marked_sent_and_goes_out_next_run(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    pol = policy(webhook())
    with http_receiver(fail_first=3) as hook:
        first = alert(state, seed_run(state, T0, checks(A)).to_contract(), pol, hook.url)
        second = alert(
            state, seed_run(state, T0 + timedelta(days=1), checks(A)).to_contract(), pol, hook.url
        )
    assert [(c.delivered, c.attempts) for c in first.channels] == [(False, 3)]
    assert "HTTP 503" in first.channels[0].error
    assert [(c.delivered, c.attempts) for c in second.channels] == [(True, 1)]
    assert [kinds(b) for b in hook.bodies] == [{("new", A.id)}]


def test_routing_by_owner_and_severity_and_slack_blocks(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    pol = policy(
        AlertChannel(
            name="alice-slack",
            type="slack",
            url_env="HOOK_URL",
            owners=["alice"],
            min_severity="low",
        ),  # type: ignore[arg-type]
        webhook("critical-only", min_severity="critical"),
    )
    with http_receiver() as hook:
        run = seed_run(state, T0, checks(A, B, C, D))
        alert(state, run.to_contract(), pol, hook.url)
    slack, crit = hook.bodies
    assert slack["text"] == "hygiene: 2 new finding(s) as of 2026-11-02"
    sections = [b["text"]["text"] for b in slack["blocks"] if b["type"] == "section"]
    assert len(sections) == 2
    assert sections[0].startswith(":rotating_light: *New* · *CRITICAL* · `secrets/aws-access-key`")
    assert "`arn:aws:s3:::logs`" in sections[1]
    assert slack["blocks"][0]["type"] == "header"
    assert kinds(crit) == {("new", A.id)}


def test_email_over_starttls_with_auth_html_and_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.db"
    with smtp_server(tmp_path, "hygiene", "s3cret-pass") as box:
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))
        channel = AlertChannel(
            name="mail",
            type="email",
            smtp_host="127.0.0.1",
            smtp_port=box.port,
            username_env="SMTP_USER",
            password_env="SMTP_PASS",
            sender="hygiene@example.invalid",
            recipients=["alice@example.invalid", "sec@example.invalid"],
            min_severity="high",  # type: ignore[arg-type]
        )
        run = seed_run(state, T0, checks(A, B, C))
        outcome = send_alerts(
            run.to_contract(),
            policy(channel),
            state_path=state,
            backoff=0.01,
            environ={"SMTP_USER": "hygiene", "SMTP_PASS": "s3cret-pass"},
        )
    assert [(c.delivered, c.attempts) for c in outcome.channels] == [(True, 1)]
    assert box.logins == ["hygiene"] and box.tls == [True]
    assert box.recipients == [["alice@example.invalid", "sec@example.invalid"]]
    (msg,) = box.messages
    assert msg["Subject"] == "hygiene: 2 new finding(s) as of 2026-11-02"
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in msg.walk()
        if not p.is_multipart()
    }
    assert set(parts) == {"text/plain", "text/html"}
    assert (
        "[NEW] CRITICAL secrets/aws-access-key api:config.py:3 (owner: alice)"
        in parts["text/plain"]
    )
    assert "<table" in parts["text/html"] and "rotation/rotation-overdue" in parts["text/html"]


def test_email_refuses_a_server_without_starttls(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            return "250 OK"

    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        channel = AlertChannel(
            name="mail",
            type="email",
            smtp_host="127.0.0.1",
            smtp_port=port,
            sender="h@example.invalid",
            recipients=["a@example.invalid"],
        )
        run = seed_run(tmp_path / "s.db", T0, checks(A))
        outcome = send_alerts(
            run.to_contract(),
            policy(channel),
            state_path=tmp_path / "s.db",
            environ={},
            backoff=0.0,
            attempts=1,
        )
    finally:
        controller.stop()
    assert outcome.channels[0].delivered is False
    assert "does not offer STARTTLS" in outcome.channels[0].error


def test_dry_run_sends_and_records_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    with http_receiver() as hook:
        run = seed_run(state, T0, checks(A, B))
        outcome = alert(state, run.to_contract(), policy(webhook()), hook.url, dry_run=True)
    assert hook.attempts == 0
    assert {(i.kind, i.finding_id) for c in outcome.channels for i in c.batch.items} == {
        ("new", A.id),
        ("new", B.id),
    }
    with Store(state) as store:
        assert AlertLedger(store).all_sent() == []


def test_no_secret_value_in_any_alert(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    pol = policy(webhook(), AlertChannel(name="s", type="slack", url_env="HOOK_URL"))
    with http_receiver() as hook:
        alert(state, seed_run(state, T0, checks(A)).to_contract(), pol, hook.url)
    assert len(hook.bodies) == 2
    assert all(SECRET not in str(body) and "details" not in str(body) for body in hook.bodies)
