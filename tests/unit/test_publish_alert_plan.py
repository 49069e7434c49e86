"""Alert planning (pure): routing by severity and Owner, new / reminder / resolved, re-opening;
the Slack message's escaping and truncation."""

from __future__ import annotations

from datetime import UTC, datetime

from hygiene.policy import AlertChannel
from hygiene.publish.alerts.base import AlertBatch, AlertItem
from hygiene.publish.alerts.plan import plan_channel, routed
from hygiene.publish.alerts.slack import MAX_ITEMS, message

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
CHANNEL = AlertChannel(
    name="c", type="webhook", url_env="U", min_severity="medium", owners=["alice"]
)  # type: ignore[arg-type]


def f(
    fid: str,
    severity: str = "high",
    owner: str | None = "alice",
    first_seen: str = "2026-11-01T00:00:00Z",
) -> dict:  # type: ignore[type-arg]
    return {
        "id": fid,
        "check": "tags",
        "rule": "missing-tag",
        "severity": severity,
        "resource": f"r-{fid}",
        "message": "m",
        "owner": owner,
        "first_seen": first_seen,
    }


def plan(
    current: list[dict], history: dict, resolved: list[dict] | None = None
) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    items = plan_channel(
        CHANNEL,
        current=current,
        resolved=resolved or [],
        history=history,
        as_of=NOW,
        reminder_days=7,
    )
    return {(i.kind, i.finding_id) for i in items}


def test_routing_by_severity_and_owner() -> None:
    assert routed(CHANNEL, f("a"))
    assert not routed(CHANNEL, f("b", severity="low"))
    assert not routed(CHANNEL, f("c", owner="bob"))
    assert not routed(CHANNEL, f("d", owner=None))
    anyone = CHANNEL.model_copy(update={"owners": []})
    assert routed(anyone, f("d", owner=None))


def test_new_then_quiet_then_reminder_at_the_interval() -> None:
    assert plan([f("a")], {}) == {("new", "a")}
    assert plan([f("a")], {"a": [("new", "2026-11-14T06:00:01Z")]}) == set()  # 6 days 23:59:59 ago
    assert plan([f("a")], {"a": [("new", "2026-11-13T06:00:00Z")]}) == {("reminder", "a")}  # 7 days
    assert (
        plan(
            [f("a")], {"a": [("new", "2026-11-01T00:00:00Z"), ("reminder", "2026-11-18T00:00:00Z")]}
        )
        == set()
    )


def test_reopened_finding_is_new_again() -> None:
    history = {"a": [("new", "2026-11-02T00:00:00Z"), ("resolved", "2026-11-05T00:00:00Z")]}
    assert plan([f("a", first_seen="2026-11-19T00:00:00Z")], history) == {("new", "a")}


def test_resolved_once_and_only_when_told_before() -> None:
    told = {"a": [("new", "2026-11-02T00:00:00Z")]}
    assert plan([], told, resolved=[f("a"), f("never-told")]) == {("resolved", "a")}
    done = {"a": [("new", "2026-11-02T00:00:00Z"), ("resolved", "2026-11-03T00:00:00Z")]}
    assert plan([], done, resolved=[f("a")]) == set()


def test_slack_escapes_and_truncates() -> None:
    items = [AlertItem("new", {**f(str(n)), "message": "<b>&x</b>"}) for n in range(MAX_ITEMS + 3)]
    body = message(AlertBatch("c", "run1", "2026-11-20T06:00:00Z", "complete", items))
    sections = [b for b in body["blocks"] if b["type"] == "section"]
    assert len(sections) == MAX_ITEMS and len(body["blocks"]) <= 50
    assert "&lt;b&gt;&amp;x&lt;/b&gt;" in sections[0]["text"]["text"]
    assert body["blocks"][-1]["elements"][0]["text"] == "… and 3 more; see the run's report."


def test_a_channel_that_raises_anything_is_a_failed_delivery_retried_without_its_message() -> None:
    from hygiene.publish.alerts.dispatch import deliver

    class Broken:
        name = "broken"
        calls = 0

        def send(self, batch: AlertBatch) -> None:
            Broken.calls += 1
            raise KeyError("https://hooks.example.invalid/T0/s3cr3t")

    batch = AlertBatch(
        "broken", "run", "2026-11-20T06:00:00Z", "complete", [AlertItem("new", f("a"))]
    )
    slept: list[float] = []
    delivered, attempts, error = deliver(
        Broken(), batch, attempts=3, backoff=1.0, sleep=slept.append
    )
    assert (delivered, attempts, Broken.calls) == (False, 3, 3)
    assert slept == [1.0, 2.0]
    assert error == "channel broken: unexpected KeyError"
