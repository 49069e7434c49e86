"""Which checks exist: a literal table, greppable, with no import-time magic.

Each entry names its collector (``hygiene.collect.*``, the only place that calls ``sources/``) and
its evaluator (``hygiene.checks.*``, a pure function of records, policy and ``as_of``). Both are
imported only when the check runs, so ``hygiene --help`` stays fast. A check that is not built
yet is simply not listed here — never a stub that reports "ok".
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import cast

from hygiene.context import Collector, Evaluator


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: its name, what it audits, and where its two halves live."""

    name: str
    summary: str
    collector: str  # "module:function"
    evaluator: str  # "module:function"
    cloud: bool = False

    def load_collector(self) -> Collector:
        """Import the collector function."""
        return cast(Collector, _load(self.collector))

    def load_evaluator(self) -> Evaluator:
        """Import the evaluator function."""
        return cast(Evaluator, _load(self.evaluator))


def _load(target: str) -> object:
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


CHECKS: dict[str, CheckSpec] = {
    spec.name: spec
    for spec in (
        CheckSpec(
            "env",
            "Drift between the variables code reads and .env.example; committed .env files",
            "hygiene.collect.env:collect",
            "hygiene.checks.env:evaluate",
        ),
        CheckSpec(
            "secrets",
            "Secrets committed to git, in the tree and in the whole history",
            "hygiene.collect.secrets:collect",
            "hygiene.checks.secrets:evaluate",
        ),
        CheckSpec(
            "backups",
            "Automated backups, retention, PITR, AWS Backup plans and coverage, RPO vs tier",
            "hygiene.collect.backups:collect",
            "hygiene.checks.backups:evaluate",
            cloud=True,
        ),
        CheckSpec(
            "readiness",
            "Health/readiness/metrics endpoints, JSON logging, alert rules vs the blueprint, Sentry DSN from env",
            "hygiene.collect.readiness:collect",
            "hygiene.checks.readiness:evaluate",
        ),
        CheckSpec(
            "probes",
            "Live GET of listed services' /healthz, /readyz, /metrics (opt-in: probes.services)",
            "hygiene.collect.probes:collect",
            "hygiene.checks.probes:evaluate",
        ),
        CheckSpec(
            "tags",
            "Required tags on every AWS resource, every region, every account",
            "hygiene.collect.tags:collect",
            "hygiene.checks.tags:evaluate",
            cloud=True,
        ),
        CheckSpec(
            "budgets",
            "Spend against budgets: month-to-date, forecast, untagged spend, anomalies",
            "hygiene.collect.budgets:collect",
            "hygiene.checks.budgets:evaluate",
        ),
        CheckSpec(
            "rotation",
            "Key, secret and certificate rotation age",
            "hygiene.collect.rotation:collect",
            "hygiene.checks.rotation:evaluate",
            cloud=True,
        ),
        CheckSpec(
            "billing-links",
            "GCP projects unlinked from billing, billing disabled, unseen accounts, no budget; GCP budgets' spend",
            "hygiene.collect.gcp_billing:collect",
            "hygiene.checks.gcp_billing:evaluate",
            cloud=True,
        ),
    )
}
