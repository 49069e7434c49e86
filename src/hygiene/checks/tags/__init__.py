"""The tags check — required tags (GCP: labels) on every resource: SPEC here, the collector in
``collect.py``, the pure rules in ``rules.py``."""

from hygiene.checks.base import CheckSpec

SPEC = CheckSpec(
    name="tags",
    summary="Required tags (GCP: labels) on every AWS and GCP resource, every region and account",
    collector="hygiene.checks.tags.collect:collect",
    evaluator="hygiene.checks.tags.rules:evaluate",
    tally="hygiene.checks.tags.rules:ComplianceTally",
    cloud=True,
    partition="aws",
    scope="account",
    monthly=True,
)
