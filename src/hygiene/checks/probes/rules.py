"""The probes check (pure): live ``/healthz``, ``/readyz`` and ``/metrics`` of the services the
policy lists (opt-in). Probing itself is in ``sources/probes.py``; this judges the results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hygiene.findings import Finding
from hygiene.policy import Policy
from hygiene.records.probes import ProbeResult

CHECK = "probes"


def evaluate(records: Sequence[ProbeResult], policy: Policy, as_of: datetime) -> list[Finding]:
    """probe-failed, probe-slow and metrics-unparseable findings."""
    rules = policy.probes
    out: list[Finding] = []
    for result in records:
        if not result.ok:
            why = (
                f"answered HTTP {result.status}"
                if result.status is not None
                else f"did not answer ({result.error})"
            )
            out.append(
                _finding(
                    result,
                    policy,
                    "probe-failed",
                    f"{result.service} {result.path} {why}; check the service and its {result.path} handler.",
                )
            )
            continue
        if result.latency_ms is not None and result.latency_ms > rules.slow_ms:
            out.append(
                _finding(
                    result,
                    policy,
                    "probe-slow",
                    f"{result.service} {result.path} took {result.latency_ms:.0f} ms "
                    f"(> {rules.slow_ms:g} ms); a health endpoint should answer fast.",
                    slow_ms=rules.slow_ms,
                )
            )
        if result.is_metrics and (result.parse_error or not result.metric_families):
            reason = result.parse_error or "no metric families"
            out.append(
                _finding(
                    result,
                    policy,
                    "metrics-unparseable",
                    f"{result.service} {result.path} is not Prometheus exposition format "
                    f"({reason}); serve it with a Prometheus client library.",
                    metric_families=result.metric_families,
                    parse_error=reason,
                )
            )
    return out


def _finding(
    result: ProbeResult, policy: Policy, rule: str, message: str, **extra: object
) -> Finding:
    details = {
        "service": result.service,
        "url": result.url,
        "path": result.path,
        "status": result.status,
        "latency_ms": None if result.latency_ms is None else round(result.latency_ms, 1),
        "error": result.error,
        **extra,
    }
    return Finding.create(
        check=CHECK,
        rule=rule,
        severity=policy.probes.severity_of(rule),
        resource=result.url,
        message=message,
        identity=(result.service,),
        owner=result.owner,
        project=result.project,
        env=result.env,
        details=details,
    )
