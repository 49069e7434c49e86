"""Who owns a path, by CODEOWNERS rules: the last matching rule wins, as on GitHub and GitLab."""

from __future__ import annotations

import pytest

from hygiene.sources.codeowners import CodeOwners

RULES = CodeOwners.parse(
    "* @acme/all\n"
    "/docs/* @acme/writers\n"
    "*.py @acme/py   # a comment @not-an-owner\n"
    "/deploy/ @acme/ops\n"
    "/deploy/unowned.sh\n"
    "/templates/Bug\\ Report.md @acme/triage\n"
    "apps/ @acme/apps\n"
    "[Billing] @acme/billing\n"
    "/billing/\n"
    "/billing/tax.py @acme/tax @carol\n"
)


@pytest.mark.parametrize(
    ("path", "owners"),
    [
        ("README.md", ("@acme/all",)),
        ("docs/a.md", ("@acme/writers",)),
        ("docs/guide/b.md", ("@acme/all",)),  # docs/* owns direct children only
        ("src/x.py", ("@acme/py",)),
        ("deploy/release.sh", ("@acme/ops",)),
        ("deploy/unowned.sh", ()),  # a rule without owners unowns the path
        ("templates/Bug Report.md", ("@acme/triage",)),  # an escaped space is in the pattern
        ("web/apps/main.js", ("@acme/apps",)),  # an unanchored folder matches at any depth
        ("billing/invoice.rb", ("@acme/billing",)),  # the section's default owners
        ("billing/tax.py", ("@acme/tax", "@carol")),
    ],
)
def test_the_last_matching_rule_owns_a_path(path: str, owners: tuple[str, ...]) -> None:
    assert RULES.owners_of(path) == owners


def test_no_rule_matches_no_owner() -> None:
    assert CodeOwners.parse("/src/ @acme/dev\n").owners_of("docs/a.md") == ()
