"""Live probes against local HTTP services, including one that hangs (the timeout must hold)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from hygiene.checks.probes.collect import collect
from hygiene.checks.probes.rules import evaluate
from hygiene.context import RunContext
from hygiene.policy import Policy, ProbeService, ProbesPolicy
from tests.fixtures.probes.servers import METRICS, serve

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_probes_report_status_parse_and_timeouts() -> None:
    healthy = {"/healthz": (200, b"ok"), "/readyz": (200, b"ready"), "/metrics": (200, METRICS)}
    broken = {
        "/healthz": (200, b"ok"),
        "/readyz": (503, b"warming up"),
        "/metrics": (200, b"<html>metrics</html>"),
    }
    with serve(healthy) as good_url, serve(broken) as bad_url, serve(hang=True) as hung_url:
        policy = Policy(
            probes=ProbesPolicy(
                timeout_seconds=0.5,
                slow_ms=60_000,
                services=[
                    ProbeService(name="api", url=good_url, project="shop", owner="team-a"),
                    ProbeService(name="worker", url=bad_url + "/"),
                    ProbeService(name="stuck", url=hung_url, paths=["/healthz"]),
                    ProbeService(
                        name="gone", url=f"http://127.0.0.1:{_closed_port()}", paths=["/healthz"]
                    ),
                ],
            )
        )
        ctx = RunContext(run_id="t", as_of=AS_OF, policy=policy)
        collection = collect(ctx)
    results = {(r.service, r.path): r for r in collection.records}
    assert results[("api", "/metrics")].metric_families == 1
    assert (
        results[("api", "/healthz")].status == 200
        and results[("api", "/healthz")].latency_ms is not None
    )
    assert results[("worker", "/readyz")].status == 503
    assert results[("stuck", "/healthz")].error == "timed out after 0.5s"
    assert (
        results[("gone", "/healthz")].error is not None
        and "Connection" in results[("gone", "/healthz")].error
    )
    assert collection.stats["answered"] == 6
    findings = evaluate(collection.records, policy, AS_OF)
    assert {(f.rule, f.details["service"], f.details["path"]) for f in findings} == {
        ("probe-failed", "worker", "/readyz"),
        ("metrics-unparseable", "worker", "/metrics"),
        ("probe-failed", "stuck", "/healthz"),
        ("probe-failed", "gone", "/healthz"),
    }
    unparseable = next(f for f in findings if f.rule == "metrics-unparseable")
    assert unparseable.resource == f"{bad_url}/metrics"
    assert unparseable.details["parse_error"].startswith("ValueError: invalid metric name")
