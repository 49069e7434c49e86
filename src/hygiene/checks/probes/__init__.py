"""The probes check — live GET of listed services' /healthz, /readyz, /metrics (opt-in: probes.services): SPEC here, the collector in
``collect.py``, the pure rules in ``rules.py``."""

from hygiene.checks.base import CheckSpec

SPEC = CheckSpec(
    name="probes",
    summary="Live GET of listed services' /healthz, /readyz, /metrics (opt-in: probes.services)",
    collector="hygiene.checks.probes.collect:collect",
    evaluator="hygiene.checks.probes.rules:evaluate",
    scope="service",
)
