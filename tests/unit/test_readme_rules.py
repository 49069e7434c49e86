"""The README documents every rule of the budgets, billing-links, rotation and tags checks, with
the default severity the policy gives it (the env check has its own such test, with examples, in
test_env_rules.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hygiene.checks.rotation.rules import RULES as ROTATION_RULES
from hygiene.findings import Severity
from hygiene.policy import BillingPolicy, GcpPolicy, RotationPolicy, TagsPolicy

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
        ("## Check: rotation", "\n## ", RotationPolicy().severity),
        ("## Check: tags", "\n## ", TagsPolicy().severity),
    ],
    ids=["budgets", "billing-links", "rotation", "tags"],
)
def test_readme_documents_every_rule_with_its_default_severity(
    start: str, end: str, defaults: dict[str, Severity]
) -> None:
    assert rule_rows(start, end) == {rule: s.value for rule, s in defaults.items()}


def test_the_rotation_policy_block_shows_every_rule_with_its_default() -> None:
    section = README.read_text(encoding="utf-8").split("## Check: rotation", 1)[1]
    policy_block = section.split("\n## ", 1)[0].split("### Policy", 1)[1]
    defaults = RotationPolicy().severity
    assert set(defaults) == set(ROTATION_RULES)
    assert all(f"{rule}: {defaults[rule].value}" in policy_block for rule in ROTATION_RULES)
