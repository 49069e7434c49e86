"""The budgets check — spend against budgets: month-to-date, forecast, untagged spend, anomalies: SPEC here, the collector in
``collect.py``, the pure rules in ``rules.py``."""

from hygiene.checks.base import CheckSpec

SPEC = CheckSpec(
    name="budgets",
    summary="Spend against budgets: month-to-date, forecast, untagged spend, anomalies",
    collector="hygiene.checks.budgets.collect:collect",
    evaluator="hygiene.checks.budgets.rules:evaluate",
    tally="hygiene.checks.budgets.stats:SpendStats",
    scope="service",
    monthly=True,
)
