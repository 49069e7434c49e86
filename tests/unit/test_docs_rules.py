"""The documentation site's check pages (docs/checks/<name>.md) document every rule of the
budgets, billing-links, rotation and tags checks, with the default severity the policy gives it
(the env check has its own such test, with examples, in test_env_rules.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygiene.checks.rotation.rules import RULES as ROTATION_RULES
from hygiene.findings import Severity
from hygiene.policy import BillingPolicy, GcpPolicy, OwnersPolicy, RotationPolicy, TagsPolicy

PAGES = Path(__file__).resolve().parents[2] / "docs" / "checks"


def rule_rows(page: str) -> dict[str, str]:
    """``rule → severity`` from the rule tables of a check's page."""
    section = (PAGES / f"{page}.md").read_text(encoding="utf-8")
    severities = {s.value for s in Severity}
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if line.startswith("| `") and len(cells) > 3 and cells[2] in severities:
            rows[cells[1].strip("`")] = cells[2]
    return rows


@pytest.mark.parametrize(
    ("page", "defaults"),
    [
        ("budgets", BillingPolicy().severity),
        ("billing-links", GcpPolicy().severity),
        ("rotation", RotationPolicy().severity),
        ("tags", {**TagsPolicy().severity, **OwnersPolicy().severity}),  # owners on its page
    ],
    ids=["budgets", "billing-links", "rotation", "tags"],
)
def test_the_check_page_documents_every_rule_with_its_default_severity(
    page: str, defaults: dict[str, Severity]
) -> None:
    assert rule_rows(page) == {rule: s.value for rule, s in defaults.items()}


def test_the_rotation_policy_block_shows_every_rule_with_its_default() -> None:
    section = (PAGES / "rotation.md").read_text(encoding="utf-8")
    policy_block = section.split("\n## Policy", 1)[1].split("\n## ", 1)[0]
    defaults = RotationPolicy().severity
    assert set(defaults) == set(ROTATION_RULES)
    assert all(f"{rule}: {defaults[rule].value}" in policy_block for rule in ROTATION_RULES)
