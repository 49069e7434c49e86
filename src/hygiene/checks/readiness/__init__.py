"""The readiness check (pure): does a repository carry what the blueprint's checklist asks of a
service? One small detector per concern, each in its own module:

- ``web``: FastAPI, Flask, Django, Express and Go HTTP routes → ``/healthz``, ``/readyz``, ``/metrics``;
- ``signals``: Prometheus client use, structured JSON logging, hard-coded Sentry DSNs;
- ``alert_rules``: Prometheus alerting rules against the blueprint's critical alerts;
- ``.env.example`` present when code reads variables (the env check's read-finders).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hygiene.checks.readiness.records import Evidence, RepoFiles
from hygiene.findings import Finding, Location
from hygiene.policy import Policy

CHECK = "readiness"


def evaluate(records: Sequence[RepoFiles], policy: Policy, as_of: datetime) -> list[Finding]:
    """Findings for every repository (``as_of`` is unused: readiness does not age)."""
    from hygiene.checks.readiness.rules import evaluate_repo

    return [f for repo in records for f in evaluate_repo(repo, policy)]


def repo_finding(
    repo: RepoFiles,
    rule: str,
    severity: str,
    resource: str,
    message: str,
    where: Evidence | None,
    identity: tuple[object, ...] = (),
    details: dict[str, Any] | None = None,
) -> Finding:
    """A readiness finding located in ``repo`` (at ``where`` when there is a place to point to)."""
    location = Location(
        repo=repo.repo,
        path=where.path if where else "",
        line=where.line if where else None,
        commit=repo.commit,
    )
    return Finding.create(
        check=CHECK,
        rule=rule,
        severity=severity,
        resource=resource,
        message=message,
        identity=identity,
        location=location,
        details={"repo": repo.repo, **(details or {})},
    )
