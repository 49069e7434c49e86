"""The scorecard from findings documents: statuses per row and scope, exact."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hygiene.publish.scorecard_render import render_markdown, render_table
from hygiene.scorecard import CHECKLIST, Scope, build


def doc(
    checks: dict[str, Any], findings: list[dict[str, Any]], status: str = "complete"
) -> dict[str, Any]:
    return {
        "schema": "hygiene.findings/v1",
        "run": {
            "id": "r1",
            "as_of": "2026-11-27T00:00:00Z",
            "status": status,
            "checks": checks,
            "resolved": [],
        },
        "findings": findings,
    }


READINESS_OK = {"status": "ok", "stats": {"repos": ["api", "web"]}}
BACKUPS_OK = {"status": "ok", "stats": {"accounts": ["111", "222"]}}
HEALTH = {
    "id": "h1",
    "check": "readiness",
    "rule": "health-endpoint-missing",
    "location": {"repo": "api", "path": "app.py"},
    "details": {},
}
RETENTION = {
    "id": "b1",
    "check": "backups",
    "rule": "retention-too-short",
    "project": "shop",
    "details": {"account": "111"},
}
RPO = {
    "id": "b2",
    "check": "backups",
    "rule": "rpo-exceeds-tier",
    "project": "shop",
    "details": {"account": "111"},
}


def statuses(document: dict[str, Any], item: str) -> dict[str, str]:
    card = build(document)
    return {s.label: card.cell(item, s).status for s in card.scopes}


def test_scopes_from_findings_and_stats() -> None:
    card = build(doc({"readiness": READINESS_OK, "backups": BACKUPS_OK}, [HEALTH, RETENTION]))
    assert [s.label for s in card.scopes] == [
        "organisation",
        "project:shop",
        "repo:api",
        "repo:web",
        "account:111",
        "account:222",
    ]


def test_health_row() -> None:
    got = statuses(
        doc(
            {"readiness": READINESS_OK, "backups": BACKUPS_OK, "probes": {"status": "skipped"}},
            [HEALTH, RETENTION],
        ),
        "Health Checks",
    )
    assert got == {
        "organisation": "fail",
        "project:shop": "not-evidenced",
        "repo:api": "fail",
        "repo:web": "pass",
        "account:111": "n/a",
        "account:222": "n/a",
    }


def test_backup_and_rpo_rows() -> None:
    document = doc({"readiness": READINESS_OK, "backups": BACKUPS_OK}, [HEALTH, RETENTION, RPO])
    assert statuses(document, "Backup Strategy") == {
        "organisation": "fail",
        "project:shop": "fail",
        "repo:api": "n/a",
        "repo:web": "n/a",
        "account:111": "fail",
        "account:222": "pass",
    }
    card = build(document)
    assert card.cell("RTO/RPO", "account:111").findings == ("b2",)
    assert card.cell("Backup Strategy", "account:111").findings == ("b1",)


def test_human_rows_and_errored_checks() -> None:
    document = doc(
        {"readiness": READINESS_OK, "backups": {"status": "error", "stats": {}}}, [], "incomplete"
    )
    card = build(document)
    assert card.cell("Deployment Approval", "organisation").status == "needs-a-human"
    assert card.cell("Deployment Strategy", "repo:api").status == "needs-a-human"
    backup = card.cell("Backup Strategy", "organisation")
    assert (backup.status, backup.missing) == ("not-evidenced", ("backups: error",))


def test_errored_check_with_findings_still_fails() -> None:
    document = doc({"backups": {"status": "error", "stats": {}}}, [RETENTION], "incomplete")
    assert build(document).cell("Backup Strategy", "account:111").status == "fail"


def test_partial_pass_and_uncovered_scope() -> None:
    # env and secrets did not run: Config & Secrets passes on readiness alone, marked partial
    card = build(doc({"readiness": READINESS_OK}, []))
    cell = card.cell("Config & Secrets", "repo:web")
    assert (cell.status, cell.checks, cell.missing) == (
        "pass",
        ("readiness",),
        ("env: not run", "secrets: not run"),
    )
    assert "pass* +h" in render_table(card)
    # a repo the readiness check did not cover (named only by another check's finding)
    other = {
        "id": "s1",
        "check": "secrets",
        "rule": "in-tree",
        "location": {"repo": "legacy", "path": "x"},
        "details": {},
    }
    card = build(
        doc({"readiness": READINESS_OK, "secrets": {"status": "ok", "stats": {}}}, [other])
    )
    assert card.cell("Logging Strategy", "repo:legacy").status == "not-evidenced"
    assert card.cell("Config & Secrets", "repo:legacy").status == "fail"


def test_tags_evidence_only_env_key_for_environment_row() -> None:
    project_tag = {
        "id": "t1",
        "check": "tags",
        "rule": "missing-tag",
        "details": {"account": "111", "key": "Project"},
    }
    env_tag = {
        "id": "t2",
        "check": "tags",
        "rule": "invalid-tag-value",
        "details": {"account": "222", "key": "Env"},
    }
    card = build(doc({"tags": {"status": "ok", "stats": {}}}, [project_tag, env_tag]))
    assert card.cell("Environment Hierarchy", "account:111").status == "pass"
    assert card.cell("Environment Hierarchy", "account:222").findings == ("t2",)
    assert card.cell("Cost Monitoring", "account:111").findings == ("t1",)


def test_to_dict_and_renderings_cover_every_row_and_scope() -> None:
    card = build(
        doc({"readiness": READINESS_OK, "backups": BACKUPS_OK}, [HEALTH, RETENTION]),
        extra_scopes=[Scope("repo", "docs")],
    )
    data = card.to_dict()
    assert data["schema"] == "hygiene.scorecard/v1"
    assert [r["item"] for r in data["rows"]] == [r.item for r in CHECKLIST]
    assert all(set(r["cells"]) == {s.label for s in card.scopes} for r in data["rows"])
    # readiness did not cover repo:docs, so nothing about it is evidenced
    assert data["summary"]["repo:docs"] == {
        "fail": 0,
        "not-evidenced": 6,
        "needs-a-human": 2,
        "pass": 0,
        "n/a": 4,
    }
    assert json.loads(json.dumps(data)) == data
    markdown = render_markdown(card)
    assert all(f"| {r.item} |" in markdown for r in CHECKLIST)
    assert len(CHECKLIST) == 12


def test_rows_that_do_not_concern_a_repo_are_not_applicable() -> None:
    readiness = {
        "status": "ok",
        "stats": {
            "repos": ["api", "lib"],
            "services": ["api"],
            "applications": ["api"],
            "alerting": ["api"],
        },
    }
    card = build(doc({"readiness": readiness}, []))
    lib = {row.item: card.cell(row.item, "repo:lib").status for row in CHECKLIST}
    api = {row.item: card.cell(row.item, "repo:api").status for row in CHECKLIST}
    machine = (
        "Health Checks",
        "Logging Strategy",
        "Monitoring",
        "Alerts",
        "Incident Response",
        "Config & Secrets",
    )
    assert {item: lib[item] for item in machine} == {
        "Health Checks": "n/a",
        "Logging Strategy": "n/a",
        "Monitoring": "n/a",
        "Alerts": "n/a",
        "Incident Response": "pass",
        "Config & Secrets": "pass",
    }
    assert {item: api[item] for item in machine} == dict.fromkeys(machine, "pass")


def test_organisation_without_a_service_has_no_health_evidence() -> None:
    readiness = {
        "status": "ok",
        "stats": {"repos": ["lib"], "services": [], "applications": [], "alerting": []},
    }
    card = build(doc({"readiness": readiness, "probes": {"status": "skipped"}}, []))
    health = card.cell("Health Checks", "organisation")
    assert (health.status, health.checks, health.missing) == (
        "not-evidenced",
        (),
        ("probes: skipped", "readiness: no web service among the repos it read"),
    )
    assert card.cell("Incident Response", "organisation").status == "pass"
    assert card.cell("Health Checks", "repo:lib").status == "n/a"


def test_only_some_kinds_of_scope() -> None:
    card = build(doc({"readiness": READINESS_OK, "backups": BACKUPS_OK}, [HEALTH, RETENTION]))
    accounts = card.only(["organisation", "account"])
    assert [s.label for s in accounts.scopes] == ["organisation", "account:111", "account:222"]
    assert set(accounts.summary()) == {"organisation", "account:111", "account:222"}
    assert accounts.cell("Backup Strategy", "account:111").status == "fail"
    assert card.only([]) is card


def test_to_dict_matches_the_published_schema() -> None:
    import jsonschema

    from tests.conftest import REPO_ROOT

    schema = json.loads((REPO_ROOT / "docs" / "scorecard-v1.schema.json").read_text())
    card = build(
        doc(
            {"readiness": READINESS_OK, "backups": {"status": "error", "stats": {}}},
            [HEALTH, RETENTION],
        )
    )
    jsonschema.validate(card.to_dict(), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**card.to_dict(), "schema": "hygiene.scorecard/v2"}, schema)
