"""Alert receivers that misbehave, on real sockets: a garbage status line, a connection closed
without an answer, a short answer body, a TLS client talking to a plain server, an answer dripped
one byte a second (webhook and SMTP). Each attempt ends within its deadline; a failed one is
retried and not recorded; the other channels still get their alerts; ``hygiene audit --alert``
exits 3 when a channel failed."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hygiene.policy import AlertChannel, AlertsPolicy, Policy
from hygiene.publish.alerts import send_alerts
from hygiene.publish.alerts.email import EmailChannel
from hygiene.publish.alerts.webhook import WebhookChannel
from hygiene.store import AlertLedger, Store
from tests.conftest import run_cli
from tests.fixtures.publish.seed import finding, seed_run
from tests.fixtures.publish.servers import http_receiver

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
A = finding("rotation", "rotation-overdue", "high", "arn:aws:iam::111111111111:user/bob/key")
DRIPPED = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


@dataclass
class Hostile:
    """What the raw-socket receiver saw."""

    url: str
    port: int
    requests: list[bytes] = field(default_factory=list)
    dripped: list[int] = field(default_factory=list)  # bytes sent per connection (drip mode)
    cut_early: list[bool] = field(default_factory=list)  # the client closed before the end


def _read_request(conn: socket.socket) -> bytes:
    """One HTTP request (headers and a Content-Length body), or what arrived before EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _drip(conn: socket.socket, reply: bytes, state: Hostile) -> None:
    """Send ``reply`` one byte a second; stop when the client closes the connection."""
    sent = 0
    cut = False
    for byte in reply:
        try:
            conn.sendall(bytes([byte]))
        except OSError:
            cut = True
            break
        sent += 1
        readable, _, _ = select.select([conn], [], [], 1.0)
        if readable:
            try:
                if conn.recv(1) == b"":
                    cut = True
                    break
            except OSError:
                cut = True
                break
    state.dripped.append(sent)
    state.cut_early.append(cut and sent < len(reply))


@contextmanager
def hostile_receiver(mode: str, reply: bytes = DRIPPED) -> Iterator[Hostile]:
    """A raw-socket server on 127.0.0.1 that reads each request, then per ``mode``: ``garbage``
    (a non-HTTP status line), ``close`` (no answer at all), ``short`` (200 with Content-Length
    100 and a 2-byte body), ``drip`` (``reply`` one byte a second), ``greet-drip`` (drip
    ``reply`` before reading anything, as an SMTP server greets first)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    state = Hostile(url=f"http://127.0.0.1:{port}/hook/s3cr3t-path", port=port)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            if mode == "greet-drip":
                _drip(conn, reply, state)
                return
            state.requests.append(_read_request(conn))
            if mode == "garbage":
                conn.sendall(b"\x16\x03garbage from a receiver\r\n\r\n")
            elif mode == "short":
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok")
            elif mode == "drip":
                _drip(conn, reply, state)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        thread.join()
        server.close()


def policy() -> Policy:
    channels = [
        AlertChannel(name="hostile", type="webhook", url_env="HOSTILE_URL"),  # type: ignore[arg-type]
        AlertChannel(name="good", type="webhook", url_env="GOOD_URL"),  # type: ignore[arg-type]
    ]
    return Policy(alerts=AlertsPolicy(channels=channels))


def deliver(state: Path, as_of: datetime, hostile_url: str, good_url: str, timeout: float = 5.0):  # type: ignore[no-untyped-def]
    run = seed_run(state, as_of, {"rotation": {"findings": [A]}})
    channels = {
        "hostile": WebhookChannel("hostile", hostile_url, timeout=timeout),
        "good": WebhookChannel("good", good_url, timeout=timeout),
    }
    return send_alerts(
        run.to_contract(), policy(), state_path=state, environ={}, channels=channels, backoff=0.01
    )


def recorded(state: Path) -> set[tuple[str, str]]:
    with Store(state) as store:
        return {(r["channel"], r["kind"]) for r in AlertLedger(store).all_sent()}


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("garbage", "malformed answer"),
        ("close", "closed the connection without answering"),
    ],
)
def test_a_broken_answer_is_a_failed_delivery_retried_and_the_next_channel_still_gets_it(
    tmp_path: Path, mode: str, says: str
) -> None:
    state = tmp_path / "state.db"
    with hostile_receiver(mode) as hostile, http_receiver() as good:
        outcome = deliver(state, T0, hostile.url, good.url)
        again = deliver(state, T0 + timedelta(hours=1), hostile.url, good.url)
    first, second = outcome.channels
    assert (first.channel, first.delivered, first.attempts) == ("hostile", False, 3)
    assert says in first.error and "s3cr3t-path" not in first.error
    assert (second.channel, second.delivered, second.attempts) == ("good", True, 1)
    assert [c.channel for c in outcome.failed] == ["hostile"]
    assert "alerts: hostile: FAILED after 3 attempt(s)" in outcome.summary()
    assert len(hostile.requests) == 6  # three attempts per run, two runs: never marked sent
    assert all(b'"schema": "hygiene.alerts/v1"' in r for r in hostile.requests)
    assert recorded(state) == {("good", "new")}
    assert [c.batch.summary() for c in again.channels] == ["1 new", "nothing"]
    assert len(good.bodies) == 1


def test_https_to_a_receiver_that_does_not_speak_tls_is_a_failed_delivery(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.db"
    with hostile_receiver("garbage") as hostile, http_receiver() as good:
        tls_url = hostile.url.replace("http://", "https://")
        outcome = deliver(state, T0, tls_url, good.url)
    first, second = outcome.channels
    assert (first.delivered, first.attempts) == (False, 3)
    assert first.error.startswith("channel hostile: ") and "s3cr3t-path" not in first.error
    assert second.delivered is True
    assert recorded(state) == {("good", "new")}


def test_a_short_body_after_2xx_counts_as_delivered_and_is_not_sent_again(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.db"
    with hostile_receiver("short") as hostile, http_receiver() as good:
        outcome = deliver(state, T0, hostile.url, good.url)
        again = deliver(state, T0 + timedelta(hours=1), hostile.url, good.url)
    assert [(c.channel, c.delivered, c.attempts) for c in outcome.channels] == [
        ("hostile", True, 1),
        ("good", True, 1),
    ]
    assert len(hostile.requests) == 1  # the receiver accepted it: never sent twice
    assert recorded(state) == {("hostile", "new"), ("good", "new")}
    assert [c.batch.items for c in again.channels] == [[], []]


def test_a_dripping_receiver_is_cut_at_the_deadline_and_the_next_channel_still_gets_it(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.db"
    with hostile_receiver("drip") as hostile, http_receiver() as good:
        outcome = deliver(state, T0, hostile.url, good.url, timeout=2.0)
        # the receiver's handler threads notice the closed connection within a second
        for _ in range(50):
            if len(hostile.dripped) == 3:
                break
            time.sleep(0.1)
    first, second = outcome.channels
    assert (first.delivered, first.attempts) == (False, 3)
    assert "no complete answer within 2 s" in first.error
    assert hostile.cut_early == [True, True, True]  # closed by us, long before the whole reply
    assert all(sent < len(DRIPPED) for sent in hostile.dripped)
    assert (second.delivered, len(good.bodies)) == (True, 1)
    assert recorded(state) == {("good", "new")}


def test_a_dripping_smtp_server_is_cut_at_the_deadline(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    greeting = b"220 " + b"x" * 60 + b"\r\n"
    with hostile_receiver("greet-drip", reply=greeting) as hostile, http_receiver() as good:
        run = seed_run(state, T0, {"rotation": {"findings": [A]}})
        mail = EmailChannel(
            "hostile",
            host="127.0.0.1",
            port=hostile.port,
            sender="h@example.invalid",
            recipients=["a@example.invalid"],
            timeout=2.0,
        )
        outcome = send_alerts(
            run.to_contract(),
            policy(),
            state_path=state,
            environ={},
            channels={"hostile": mail, "good": WebhookChannel("good", good.url)},
            backoff=0.01,
            attempts=1,
        )
        for _ in range(50):
            if hostile.dripped:
                break
            time.sleep(0.1)
    first, second = outcome.channels
    assert first.delivered is False and "no complete answer within 2 s" in first.error
    assert hostile.cut_early == [True]
    assert second.delivered is True


def test_audit_alert_exits_3_when_a_channel_failed_and_still_alerts_the_others(
    tmp_path: Path,
) -> None:
    config = tmp_path / "policy.yaml"
    config.write_text(
        "alerts:\n"
        "  channels:\n"
        "    - {name: hostile, type: webhook, url_env: HOSTILE_URL, min_severity: low}\n"
        "    - {name: good, type: webhook, url_env: GOOD_URL, min_severity: low}\n"
        "exceptions:\n"
        "  - match: {rule: missing-tag}\n"
        "    reason: legacy buckets\n"
        "    owner: platform\n"
        "    expires: 2026-01-31\n"
    )
    metrics = tmp_path / "m.prom"
    with hostile_receiver("garbage") as hostile, http_receiver() as good:
        result = run_cli(
            "audit",
            "--config",
            str(config),
            "--only",
            "policy",
            "--state",
            str(tmp_path / "state.db"),
            "--as-of",
            "2026-11-20",
            "--format",
            "json",
            "--no-progress",
            "--alert",
            "--metrics-file",
            str(metrics),
            cwd=tmp_path,
            env={"HOSTILE_URL": hostile.url, "GOOD_URL": good.url},
        )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "alerts: hostile: FAILED after 3 attempt(s)" in result.stderr
    assert "alerts: good: sent 1 new (1 attempt(s))" in result.stderr
    assert "hygiene: 1 alert channel(s) not delivered; exit 3" in result.stderr
    assert "s3cr3t-path" not in result.stderr
    assert len(good.bodies) == 1 and len(hostile.requests) == 3
    assert metrics.is_file()  # publishing went on after the failed channel
