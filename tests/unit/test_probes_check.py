"""The probes evaluator on plain results."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hygiene.checks.probes.rules import evaluate
from hygiene.errors import CheckSkipped
from hygiene.policy import Policy
from hygiene.records.probes import ProbeResult
from hygiene.sources.probes import parse_metrics

AS_OF = datetime(2026, 11, 27, tzinfo=UTC)


def result(**kw: object) -> ProbeResult:
    fields: dict[str, object] = {
        "service": "api",
        "url": "http://api/healthz",
        "path": "/healthz",
        "status": 200,
        "latency_ms": 12.0,
    }
    fields.update(kw)
    return ProbeResult(**fields)  # type: ignore[arg-type]


def test_rules() -> None:
    records = [
        result(),
        result(url="http://api/readyz", path="/readyz", latency_ms=900.0, owner="team-a"),
        result(url="http://api/metrics", path="/metrics", is_metrics=True, metric_families=0),
        result(service="db", url="http://db/healthz", status=500),
    ]
    findings = evaluate(records, Policy(), AS_OF)
    assert {(f.rule, f.resource) for f in findings} == {
        ("probe-slow", "http://api/readyz"),
        ("metrics-unparseable", "http://api/metrics"),
        ("probe-failed", "http://db/healthz"),
    }
    slow = next(f for f in findings if f.rule == "probe-slow")
    assert (slow.owner, slow.details["latency_ms"], slow.severity.value) == ("team-a", 900.0, "low")


def test_parse_metrics() -> None:
    assert parse_metrics("up 1\n") == (1, None)
    assert parse_metrics("foo bar baz") == (
        None,
        "ValueError: could not convert string to float: 'bar'",
    )


def test_collector_is_opt_in() -> None:
    from hygiene.checks.probes.collect import collect
    from hygiene.context import RunContext

    with pytest.raises(CheckSkipped, match="opt-in"):
        collect(RunContext(run_id="t", as_of=AS_OF, policy=Policy()))


def test_urls_lose_their_credentials() -> None:
    from hygiene.sources.probes import without_userinfo

    assert (
        without_userinfo("https://ops:s3cret@api.internal:8443/healthz")
        == "https://api.internal:8443/healthz"
    )
    assert without_userinfo("http://127.0.0.1:9/readyz") == "http://127.0.0.1:9/readyz"


def test_policy_rejects_a_url_without_scheme(tmp_path: object) -> None:
    from pathlib import Path

    from hygiene.config import load_policy
    from hygiene.errors import ConfigError

    path = Path(str(tmp_path)) / "p.yaml"
    path.write_text("probes:\n  services:\n    - name: api\n      url: api.internal:8080\n")
    with pytest.raises(
        ConfigError, match=r"p.yaml:4: probes.services\[0\].url: string should match pattern"
    ):
        load_policy([path])
