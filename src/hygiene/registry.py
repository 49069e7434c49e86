"""Which checks exist: a literal table, greppable, with no import-time magic.

Each check is a package ``hygiene.checks.<name>`` whose ``__init__.py`` holds its ``SPEC`` (a
:class:`~hygiene.checks.base.CheckSpec`): its collector (``collect.py``, the only part that calls
``sources/``) and its evaluator (``rules.py``, a pure function of records, policy and ``as_of``),
named by import strings and imported only when the check runs, so ``hygiene --help`` stays fast.
A check that is not built yet is simply not listed here — never a stub that reports "ok".
"""

from __future__ import annotations

from hygiene.checks import (
    backups,
    billing_links,
    budgets,
    env,
    probes,
    readiness,
    rotation,
    secrets,
    tags,
)
from hygiene.checks.base import CheckSpec

CHECKS: dict[str, CheckSpec] = {
    spec.name: spec
    for spec in (
        env.SPEC,
        secrets.SPEC,
        backups.SPEC,
        readiness.SPEC,
        probes.SPEC,
        tags.SPEC,
        budgets.SPEC,
        rotation.SPEC,
        billing_links.SPEC,
    )
}

__all__ = ["CHECKS", "CheckSpec"]
