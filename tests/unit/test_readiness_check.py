"""The readiness detectors on fixture repositories (plain records, no git)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hygiene.checks.readiness.alert_rules import (
    AlertRule,
    classify,
    duration_minutes,
    judge,
    parse_rules,
)
from hygiene.checks.readiness.records import RepoFiles
from hygiene.checks.readiness.rules import evaluate
from hygiene.checks.readiness.web import normalise_route, scan_web
from hygiene.policy import AlertThresholds, Policy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "readiness"
AS_OF = datetime(2026, 11, 27, tzinfo=UTC)


def load(name: str) -> RepoFiles:
    root = FIXTURES / name
    files = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}
    return RepoFiles(repo=name, commit=None, files=files)


def outcome(name: str) -> set[tuple[str, str]]:
    return {(f.rule, f.resource) for f in evaluate([load(name)], Policy(), AS_OF)}


def test_complete_fastapi_service_is_clean() -> None:
    assert outcome("fastapi_ok") == set()


def test_complete_go_service_is_clean() -> None:
    assert outcome("go_ok") == set()


def test_library_without_entry_point_is_not_a_service() -> None:
    assert outcome("library") == set()


def test_flask_service_with_every_gap() -> None:
    assert outcome("flask_gaps") == {
        ("health-endpoint-missing", "flask_gaps:/healthz"),
        ("health-endpoint-missing", "flask_gaps:/readyz"),
        ("metrics-missing", "flask_gaps:/metrics"),
        ("json-logging-missing", "flask_gaps:logging"),
        ("env-example-missing", "flask_gaps:.env.example"),
        ("alert-rule-missing", "flask_gaps:alerts/error-rate"),
        ("alert-rule-missing", "flask_gaps:alerts/latency-p95"),
        ("alert-rule-missing", "flask_gaps:alerts/disk"),
        ("alert-rule-missing", "flask_gaps:alerts/memory"),
        ("sentry-dsn-hardcoded", "flask_gaps:app.py"),
    }


def test_sentry_finding_carries_no_dsn() -> None:
    findings = evaluate([load("flask_gaps")], Policy(), AS_OF)
    sentry = next(f for f in findings if f.rule == "sentry-dsn-hardcoded")
    text = sentry.model_dump_json()
    assert "0123456789abcdef" not in text and "o123456" not in text
    assert sentry.details["preview"] == "http…"
    assert len(sentry.details["sha256"]) == 64
    assert (sentry.location and sentry.location.path, sentry.location and sentry.location.line) == (
        "app.py",
        6,
    )


def test_django_rules_looser_than_blueprint() -> None:
    findings = evaluate([load("django_looser")], Policy(), AS_OF)
    looser = {f.details["kind"]: f for f in findings if f.rule == "alert-rule-looser"}
    assert {(f.rule, f.resource) for f in findings} == {
        ("alert-rule-looser", "django_looser:prometheus-rules.yaml"),
    }
    assert len(findings) == 3 and set(looser) == {"error-rate", "latency-p95", "disk"}
    assert looser["error-rate"].details["looser"] == [
        "threshold 5% > 1%",
        "rate window 10 min > 5 min",
        "for: 15m > 5 min",
    ]
    assert looser["latency-p95"].details["looser"] == [
        "threshold 1000 ms > 500 ms",
        "quantile 0.9 < 0.95",
    ]
    assert looser["disk"].details["looser"] == ["threshold 90% used > 85%"]
    assert looser["disk"].details["alert"] == "ShopDisk"
    assert len({f.id for f in findings}) == 3


def test_express_missing_readyz_and_two_alerts() -> None:
    assert outcome("express_partial") == {
        ("health-endpoint-missing", "express_partial:/readyz"),
        ("alert-rule-missing", "express_partial:alerts/disk"),
        ("alert-rule-missing", "express_partial:alerts/memory"),
    }


@pytest.mark.parametrize(
    ("raw", "route"),
    [
        ("healthz/", "/healthz"),
        ("^readyz/?$", "/readyz"),
        ("GET /metrics", "/metrics"),
        ("/healthz", "/healthz"),
        ("", "/"),
    ],
)
def test_normalise_route(raw: str, route: str) -> None:
    assert normalise_route(raw) == route


def test_frameworks_detected() -> None:
    for name, framework in [
        ("fastapi_ok", "fastapi"),
        ("flask_gaps", "flask"),
        ("django_looser", "django"),
        ("express_partial", "express"),
        ("go_ok", "go-http"),
    ]:
        assert set(scan_web(load(name).files).frameworks) == {framework}


@pytest.mark.parametrize(
    ("expr", "kind"),
    [
        ('sum(rate(x{status=~"5.."}[5m])) > 0.01', "error-rate"),
        ("histogram_quantile(0.95, rate(h_bucket[5m])) > 0.5", "latency-p95"),
        ("node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.15", "disk"),
        ("container_memory_working_set_bytes > 1e9", "memory"),
        ("up == 0", None),
    ],
)
def test_classify(expr: str, kind: str | None) -> None:
    assert classify(expr) == kind


def test_judge_edge_cases() -> None:
    limits = AlertThresholds()
    same = judge(
        AlertRule(
            "r.yml", 1, "a", "rate(errors_total[5m]) / rate(requests_total[5m]) * 100 > 1", None
        ),
        "error-rate",
        limits,
    )
    assert same.threshold == 1 and same.looser == ()
    odd = judge(AlertRule("r.yml", 1, "a", "errors_total > 0.01", "soon"), "error-rate", limits)
    assert odd.looser == ("for: 'soon' is not a duration",)
    none = judge(AlertRule("r.yml", 1, "a", "absent(errors_total)", None), "error-rate", limits)
    assert none.looser == ("no numeric threshold found in the expression",)
    assert (
        duration_minutes("1h30m") == 90
        and duration_minutes("90s") == 1.5
        and duration_minutes("x") is None
    )


def test_parse_rules_ignores_invalid_yaml_and_records() -> None:
    assert parse_rules("bad.yml", "groups: [") == []
    rules = parse_rules(
        "r.yml",
        "groups:\n- name: g\n  rules:\n  - record: x\n    expr: y\n  - alert: A\n    expr: z > 1\n",
    )
    assert [(r.name, r.line, r.expr, r.for_) for r in rules] == [("A", 6, "z > 1", None)]


def test_registered_evaluator_stays_callable_after_its_modules_load() -> None:
    import hygiene.checks.readiness.rules  # noqa: F401 - a submodule must not shadow evaluate()
    from hygiene.registry import CHECKS

    assert evaluate([load("library")], Policy(), AS_OF) == []
    assert CHECKS["readiness"].load_evaluator()([load("library")], Policy(), AS_OF) == []


def test_repo_kinds() -> None:
    from hygiene.checks.readiness.rules import repo_kinds

    assert repo_kinds(load("library")) == frozenset()
    assert repo_kinds(load("flask_gaps")) == {"service", "application", "alerting"}
    rules_only = RepoFiles(
        "ops", None, {"alerts.yml": (FIXTURES / "go_ok" / "rules.yml").read_text()}
    )
    assert repo_kinds(rules_only) == {"alerting"}
    job = RepoFiles(
        "job", None, {"job.py": "import logging\n\nif __name__ == '__main__':\n    pass\n"}
    )
    assert repo_kinds(job) == {"application"}


def test_monitoring_repo_and_unrelated_rules() -> None:
    unrelated = (
        "groups:\n- name: job\n  rules:\n  - alert: JobFailed\n    expr: hygiene_run_status == 0\n"
    )
    assert evaluate([RepoFiles("batch", None, {"rules.yml": unrelated})], Policy(), AS_OF) == []
    errors_only = "groups:\n- name: web\n  rules:\n  - alert: E\n    expr: rate(http_errors_total[5m]) > 0.02\n"
    findings = evaluate(
        [RepoFiles("monitoring", None, {"rules.yml": errors_only})], Policy(), AS_OF
    )
    assert {(f.rule, f.resource) for f in findings} == {
        ("alert-rule-looser", "monitoring:rules.yml"),
        ("alert-rule-missing", "monitoring:alerts/latency-p95"),
        ("alert-rule-missing", "monitoring:alerts/disk"),
        ("alert-rule-missing", "monitoring:alerts/memory"),
    }


def test_every_finding_points_at_a_file() -> None:
    for name in ("flask_gaps", "django_looser", "express_partial"):
        for finding in evaluate([load(name)], Policy(), AS_OF):
            assert finding.location is not None and finding.location.path in load(name).files, (
                finding
            )


def test_plain_records_with_a_pathological_file_are_judged_without_it() -> None:
    repo = load("flask_gaps")
    deep = "[" * 10_000 + "]" * 10_000
    files = {
        **repo.files,
        "gen.py": "import os\nos.environ['X']\nx = " + "+".join(["1"] * 50_000) + "\n",
        "rules.yml": f"groups:\n- rules:\n  - alert: A\n    expr: {deep}\n",
    }
    found = evaluate([RepoFiles("flask_gaps", None, files)], Policy(), AS_OF)
    assert {(f.rule, f.resource) for f in found} == outcome("flask_gaps")


def test_the_collector_s_parse_is_used_when_given() -> None:
    repo = load("flask_gaps")
    parsed = RepoFiles(repo.repo, None, repo.files, reads=(), alert_rules=())
    rules = {f.rule for f in evaluate([parsed], Policy(), AS_OF)}
    assert ("env-example-missing", "flask_gaps:.env.example") in outcome("flask_gaps")
    assert "env-example-missing" not in rules  # no reads: nothing asks for an example
