"""The readiness check (pure): does a repository carry what the blueprint's checklist asks of a
service? One small detector per concern, each in its own module:

- ``web``: FastAPI, Flask, Django, Express and Go HTTP routes → ``/healthz``, ``/readyz``, ``/metrics``;
- ``signals``: Prometheus client use, structured JSON logging, hard-coded Sentry DSNs;
- ``alert_rules``: Prometheus alerting rules against the blueprint's critical alerts;
- ``.env.example`` present when code reads variables (the env check's read-finders).
"""

from hygiene.checks.base import CheckSpec

SPEC = CheckSpec(
    name="readiness",
    summary="Health/readiness/metrics endpoints, JSON logging, alert rules vs the blueprint, Sentry DSN from env",
    collector="hygiene.checks.readiness.collect:collect",
    evaluator="hygiene.checks.readiness.rules:evaluate",
    partition="repos",
    scope="repo",
)
