"""Collector of the probes check: opt-in, only the services listed under ``probes:``."""

from __future__ import annotations

from hygiene.context import Collection, RunContext
from hygiene.errors import CheckSkipped
from hygiene.sources.probes import probe_all


def collect(ctx: RunContext) -> Collection:
    """Probe every listed service; an unreachable service is a finding, not a collection error."""
    policy = ctx.policy.probes
    if not policy.services:
        raise CheckSkipped(
            "no services listed under probes: in the policy (live probes are opt-in)"
        )
    results = probe_all(
        list(policy.services), policy.timeout_seconds, ctx.policy.readiness.metrics_path
    )
    stats = {
        "services": [s.name for s in policy.services],
        "probes": len(results),
        "answered": sum(1 for r in results if r.status is not None),
    }
    return Collection(records=results, stats=stats, scopes=None)
