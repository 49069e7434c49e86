"""The README documents every rule of the budgets and billing-links checks, with the default
severity the policy gives it (the env check has its own such test in test_env_rules.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygiene.findings import Severity
from hygiene.policy import BillingPolicy, GcpPolicy

README = Path(__file__).resolve().parents[2] / "README.md"


def rule_rows(start: str, end: str) -> dict[str, str]:
    """``rule → severity`` from the rule tables between ``start`` and the next ``end`` heading."""
    section = README.read_text(encoding="utf-8").split(start, 1)[1].split(end, 1)[0]
    severities = {s.value for s in Severity}
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if line.startswith("| `") and len(cells) > 3 and cells[2] in severities:
            rows[cells[1].strip("`")] = cells[2]
    return rows


@pytest.mark.parametrize(
    ("start", "end", "defaults"),
    [
        ("## Check: budgets", "\n## ", BillingPolicy().severity),
        ("### Check: billing-links", "\n### ", GcpPolicy().severity),
    ],
    ids=["budgets", "billing-links"],
)
def test_readme_documents_every_rule_with_its_default_severity(
    start: str, end: str, defaults: dict[str, Severity]
) -> None:
    assert rule_rows(start, end) == {rule: s.value for rule, s in defaults.items()}
