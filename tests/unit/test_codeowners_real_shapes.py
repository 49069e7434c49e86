"""CODEOWNERS line shapes found in real files (benchmarks/owners_real.py), each written anew.

The benchmark found two parser misses on GitLab files, fixed since: a section header's default
owners, and owners that are nested groups (``@group/subgroup/team``). The others are shapes the
parser already read right and must keep reading right.
"""

from __future__ import annotations

import pytest

from hygiene.joins.owners import Directory, Owner
from hygiene.sources.codeowners import parse_codeowners


def _stage_directory(text: str) -> Directory:
    """The directory joins/stage.py's load_directory builds from one CODEOWNERS text."""
    return Directory(
        Owner(id=t.lstrip("@").rsplit("/", 1)[-1], source="codeowners", aliases=(t,))
        for t in parse_codeowners(text)
    )


@pytest.mark.parametrize(
    "header",
    [
        "[Billing] @acme/billing-team",
        "[Billing Backend] @acme/billing-team",
        "[Billing][2] @acme/billing-team",
        "[Area:Billing] @acme/billing-team",
    ],
)
def test_section_default_owners_are_owners(header: str) -> None:
    text = f"* @acme/maintainers\n\n{header}\n/billing/\n/invoices/\n"
    assert parse_codeowners(text) == ["@acme/maintainers", "@acme/billing-team"]


@pytest.mark.parametrize(
    "owner", ["@acme/platform/backend", "@acme/eng/platform/frontend-team", "@acme/x.y/z_w"]
)
def test_nested_group_owners_are_owners(owner: str) -> None:
    assert parse_codeowners(f"/src/ {owner} @acme/maintainers\n") == [owner, "@acme/maintainers"]


def test_optional_section_default_owners_are_read() -> None:
    # '^[...]' does not start with '[': its owners are read (its name is taken as the pattern)
    text = "^[Docs] @acme/writers @dana\n/docs/\n^[Two Words] @erin\n/guides/\n"
    assert parse_codeowners(text) == ["@acme/writers", "@dana", "@erin"]


def test_owners_after_an_inline_comment_are_not_owners() -> None:
    text = "/i18n/de/ @anna @acme/l10n # + @bert @carl\n/i18n/fr/ @dora #+@emil\n"
    assert parse_codeowners(text) == ["@anna", "@acme/l10n", "@dora"]


def test_escaped_spaces_exclusions_and_ownerless_lines() -> None:
    text = (
        "/templates/Bug\\ Report.md @acme/triage\n"
        "!/docs/**/*.md\n"
        "/unowned/\n"
        "/src/   @first.last   @acme/core-team.v2  \n"
        "/ops/ ops@example.com\n"
    )
    assert parse_codeowners(text) == [
        "@acme/triage",
        "@first.last",
        "@acme/core-team.v2",
        "ops@example.com",
    ]


def test_a_team_spelt_in_two_cases_is_one_owner() -> None:
    directory = _stage_directory("/a/ @Acme/web-team\n/b/ @acme/web-team\n")
    assert len(directory) == 1
    owner = directory.resolve("WEB-TEAM")
    assert owner is not None and owner.aliases == ("@Acme/web-team",)


def test_misspelt_slug_suggests_its_team_and_separators_do_not_resolve() -> None:
    directory = _stage_directory("* @acme/payments-api @acme/search-infra @carol\n")
    assert directory.resolve("Payments-API") is directory.resolve("payments-api") is not None
    assert directory.suggest("payments-apj") == "payments-api"
    assert directory.suggest("serach-infra") == "search-infra"
    # '_' for '-' is unknown today (only case and a leading '@' are ignored), with the right hint
    assert directory.resolve("payments_api") is None
    assert directory.suggest("payments_api") == "payments-api"


def test_an_escaped_hash_is_part_of_the_pattern() -> None:
    assert parse_codeowners("/docs/\\#notes.md @acme/writers # not @these\n") == ["@acme/writers"]


def test_a_last_segment_several_teams_share_names_none_of_them() -> None:
    from hygiene.joins.owners import judge_owners
    from hygiene.joins.stage import codeowners_owners
    from hygiene.policy import Policy
    from hygiene.records.cloud import ResourceRecord

    tokens = [
        *("@acme/web/frontend", "@acme/mobile/frontend", "@acme/payments", "@acme/ops/sre"),
        "@ACME/Payments",  # one team in two cases is one owner, not a shared name
    ]
    directory = Directory(codeowners_owners(tokens))
    assert directory.resolve("frontend") is None
    assert directory.sharing("Frontend") == ["acme/web/frontend", "acme/mobile/frontend"]
    resolved = directory.resolve("acme/web/frontend")
    assert resolved is not None and resolved.id == "acme/web/frontend"
    assert [directory.resolve(v).id for v in ("payments", "sre", "@acme/ops/sre")] == [  # type: ignore[union-attr]
        "payments",
        "sre",
        "sre",
    ]
    assert directory.sharing("payments") == [] and len(directory) == 4
    tags = {"Project": "shop", "Owner": "frontend", "Env": "prod"}
    record = ResourceRecord("aws", "1", "us-east-1", "ec2:instance", "arn:aws:ec2:x:1:i/i-1", tags)
    (finding,) = judge_owners([record], directory, Policy())
    assert finding.rule == "unknown-owner" and finding.details["did_you_mean"] is None
    assert finding.details["could_be"] == ["acme/web/frontend", "acme/mobile/frontend"]
    assert "could name any of 2 owners" in finding.message


def test_a_misspelling_as_close_to_two_teams_gets_no_hint() -> None:
    directory = _stage_directory("/apm/ @acme/apm-python\n/asm/ @acme/asm-python\n")
    assert directory.suggest("am-python") is None  # one edit from both: a coin toss
    assert directory.suggest("apm-pythn") == "apm-python"
    assert directory.suggest("apm-pythn") == "apm-python"  # memoised, same answer
