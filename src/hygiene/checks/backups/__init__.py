"""The backups check — automated backups, retention, PITR, AWS Backup plans and coverage, RPO vs tier: SPEC here, the collector in
``collect.py``, the pure rules in ``rules.py``."""

from hygiene.checks.base import CheckSpec

SPEC = CheckSpec(
    name="backups",
    summary="Automated backups, retention, PITR, AWS Backup plans and coverage, RPO vs tier",
    collector="hygiene.checks.backups.collect:collect",
    evaluator="hygiene.checks.backups.rules:evaluate",
    cloud=True,
    partition="aws",
    scope="account",
)
