"""Prometheus metrics of one run, from its contract document: findings by check/severity/status,
check status and duration (RED), API calls, tag compliance, spend and budget ratios, and the last
successful run. Written for node_exporter's textfile collector and/or pushed to a Pushgateway."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Gauge, generate_latest, push_to_gateway
from prometheus_client.openmetrics.exposition import ALLOWUTF8

from hygiene.artefacts import write_artefact
from hygiene.errors import HygieneError

log = logging.getLogger(__name__)

JOB = "hygiene"
SEVERITIES = ("critical", "high", "medium", "low", "info")
CHECK_STATUSES = ("ok", "skipped", "error")


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _number(value: Any) -> float | None:
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return None


def build_registry(
    document: Mapping[str, Any], last_success: Mapping[str, Any] | None = None
) -> CollectorRegistry:
    """A registry holding the run's metrics. ``last_success`` is the latest *complete* run's
    document (this one when it is complete), for ``hygiene_last_success_timestamp_seconds``."""
    registry = CollectorRegistry()
    run = document["run"]

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, labels, registry=registry)

    gauge("hygiene_run_timestamp_seconds", "When the last run finished (Unix time).").set(
        _seconds(run["finished_at"])
    )
    gauge("hygiene_run_duration_seconds", "Wall time of the last run.").set(
        max(_seconds(run["finished_at"]) - _seconds(run["started_at"]), 0.0)
    )
    gauge("hygiene_run_incomplete", "1 when a check errored in the last run (exit 3).").set(
        1 if run["status"] == "incomplete" else 0
    )
    if run["status"] == "complete":
        last_success = document
    if last_success is not None:
        gauge(
            "hygiene_last_success_timestamp_seconds",
            "When the last complete run finished (Unix time).",
        ).set(_seconds(last_success["run"]["finished_at"]))

    status = gauge(
        "hygiene_check_status", "1 for the check's status in the last run.", ("check", "status")
    )
    duration = gauge("hygiene_check_duration_seconds", "How long each check took.", ("check",))
    calls = gauge("hygiene_api_calls", "Cloud API calls made by each check.", ("check",))
    for name, check in run["checks"].items():
        for state in CHECK_STATUSES:
            status.labels(name, state).set(1 if check["status"] == state else 0)
        duration.labels(name).set(float(check.get("duration_s") or 0.0))
        api = (check.get("stats") or {}).get("api_calls")
        if isinstance(api, int | float):
            calls.labels(name).set(api)

    counts: Counter[tuple[str, str, str]] = Counter(
        (f["check"], f["severity"], f.get("status") or "open") for f in document["findings"]
    )
    findings = gauge(
        "hygiene_findings", "Open findings of the last run.", ("check", "severity", "status")
    )
    for check in sorted({f["check"] for f in document["findings"]} | set(run["checks"])):
        for severity in SEVERITIES:
            for state in ("new", "open"):
                findings.labels(check, severity, state).set(counts.get((check, severity, state), 0))
    gauge("hygiene_findings_resolved", "Findings resolved by the last run.").set(
        len(run["resolved"])
    )

    _tags(registry, run["checks"].get("tags"))
    _budgets(registry, run["checks"].get("budgets"))
    return registry


def _tags(registry: CollectorRegistry, check: Mapping[str, Any] | None) -> None:
    if not check or check.get("status") != "ok":
        return
    stats = check.get("stats") or {}
    overall = _number(stats.get("compliance_percent"))
    if overall is not None:
        Gauge(
            "hygiene_tag_compliance_percent",
            "Resources carrying every required tag (%).",
            registry=registry,
        ).set(overall)
    by_scope = Gauge(
        "hygiene_tag_compliance_by_percent",
        "Tag compliance (%) per account, resource type and Owner.",
        ("dimension", "value"),
        registry=registry,
    )
    for key, dimension in (
        ("by_account", "account"),
        ("by_resource_type", "resource_type"),
        ("by_owner", "owner"),
    ):
        for value, entry in (stats.get(key) or {}).items():
            percent = _number(entry.get("percent"))
            if percent is not None:
                by_scope.labels(dimension, str(value)).set(percent)


def _budgets(registry: CollectorRegistry, check: Mapping[str, Any] | None) -> None:
    if not check or check.get("status") != "ok":
        return
    stats = check.get("stats") or {}
    spend = stats.get("spend") or {}
    currency = str(spend.get("currency") or "")
    cost = Gauge(
        "hygiene_spend", "Month-to-date spend per group.", ("group", "currency"), registry=registry
    )
    for group in spend.get("groups") or []:
        value = _number(group.get("cost"))
        if value is not None:
            cost.labels(_key(group.get("key")), currency).set(value)
    untagged = spend.get("untagged") or {}
    if _number(untagged.get("share")) is not None:
        Gauge(
            "hygiene_untagged_spend_percent",
            "Share of spend missing a required tag (%).",
            registry=registry,
        ).set(_number(untagged["share"]) or 0.0)
    ratio = Gauge(
        "hygiene_budget_ratio",
        "Actual spend / budget amount per budget.",
        ("budget", "currency"),
        registry=registry,
    )
    forecast = Gauge(
        "hygiene_budget_forecast_ratio",
        "Forecast spend / budget amount per budget.",
        ("budget", "currency"),
        registry=registry,
    )
    for budget in stats.get("budgets") or []:
        amount = _number(budget.get("amount"))
        if not amount:
            continue
        actual, predicted = _number(budget.get("actual")), _number(budget.get("forecast"))
        if actual is not None:
            ratio.labels(str(budget.get("name")), str(budget.get("currency"))).set(actual / amount)
        if predicted is not None:
            forecast.labels(str(budget.get("name")), str(budget.get("currency"))).set(
                predicted / amount
            )


def _key(key: Any) -> str:
    if isinstance(key, Mapping):
        return ",".join(f"{k}={v}" for k, v in key.items() if v not in (None, "")) or "(untagged)"
    if isinstance(key, list | tuple):
        return ",".join(str(k) for k in key)
    return str(key)


def write_textfile(registry: CollectorRegistry, path: Path) -> None:
    """Write the textfile-collector file (``*.prom`` in the collector's directory) by the rules
    of ``hygiene.artefacts``: a regular file is replaced atomically (the collector never reads
    half a file), a device or FIFO is written through, never replaced."""
    write_artefact(path, generate_latest(registry, escaping=ALLOWUTF8).decode("utf-8"))


def push(registry: CollectorRegistry, gateway: str, job: str = JOB, timeout: float = 15.0) -> None:
    """Push to a Pushgateway (replacing the job's group); errors become ``HygieneError``."""
    try:
        push_to_gateway(gateway, job=job, registry=registry, timeout=timeout)
    except OSError as exc:
        raise HygieneError(
            f"pushgateway {gateway}: push failed ({exc}); check HYGIENE_PUSHGATEWAY"
        ) from None


def publish_metrics(
    document: Mapping[str, Any],
    *,
    textfile: Path | None = None,
    gateway: str | None = None,
    last_success: Mapping[str, Any] | None = None,
) -> CollectorRegistry:
    """Build the run's metrics and write and/or push them."""
    registry = build_registry(document, last_success)
    failed: HygieneError | None = None
    if textfile is not None:
        try:
            write_textfile(registry, textfile)
            log.info("metrics written to %s", textfile)
        except HygieneError as exc:  # still push: one sink's failure does not lose the other
            failed = exc
    if gateway:
        push(registry, gateway)
        log.info("metrics pushed to %s", gateway)
    if failed is not None:
        raise failed
    return registry


def last_complete_run(state_path: Path | None, lock_timeout: float = 60.0) -> dict[str, Any] | None:
    """The latest complete run document in the store, if there is a store."""
    from hygiene.publish.report import state_exists

    if state_path is None or not state_exists(state_path):
        return None
    from hygiene.store import Store, last_run_with_status

    with Store(state_path, lock_timeout=lock_timeout) as store:
        return last_run_with_status(store, "complete")
