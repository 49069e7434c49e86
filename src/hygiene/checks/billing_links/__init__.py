"""The billing-links check — gCP projects unlinked from billing, billing disabled, unseen accounts, no budget; GCP budgets' spend: SPEC here, the collector in
``collect.py``, the pure rules in ``rules.py``."""

from hygiene.checks.base import CheckSpec

SPEC = CheckSpec(
    name="billing-links",
    summary="GCP projects unlinked from billing, billing disabled, unseen accounts, no budget; GCP budgets' spend",
    collector="hygiene.checks.billing_links.collect:collect",
    evaluator="hygiene.checks.billing_links.rules:evaluate",
    cloud=True,
    scope="account",
)
